"""The class roster for ``batch --roster FILE.csv``: student id, name and email.

The header names the columns (any order, any case; other columns are ignored):
the id is the name of the student's folder in SUBMISSIONS/.
"""
import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = {"id": ("id", "student", "student_id", "sid"), "name": ("name", "full name", "full_name"),
           "email": ("email", "e-mail")}


class RosterError(ValueError):
    """The roster cannot be read: one line that says what is wrong."""


@dataclass
class Student:
    id: str
    name: str
    email: str


def read(path):
    """{id: Student} from the roster CSV at ``path``."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
    except OSError as error:
        raise RosterError(f"roster {path}: {error.strerror or error}") from None
    if not table:
        raise RosterError(f"roster {path}: empty (expected a header: id,name,email)")
    header = [cell.strip().lower() for cell in table[0]]
    where = {}
    for column, names in COLUMNS.items():
        found = [i for i, cell in enumerate(header) if cell in names]
        if not found:
            raise RosterError(f"roster {path}: no '{column}' column (header: {', '.join(table[0])}; "
                              f"the {column} column may be named {' or '.join(names)})")
        where[column] = found[0]
    students, lines = {}, {}
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        student = Student(**{column: cells[i].strip() for column, i in where.items()})
        if not student.id:
            raise RosterError(f"roster {path}, line {number}: no student id")
        if student.id in students:
            raise RosterError(f"roster {path}: student id {student.id} on lines {lines[student.id]} "
                              f"and {number}")
        students[student.id], lines[student.id] = student, number
    return students
