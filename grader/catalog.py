"""The exercise catalog (grader/catalog.toml), read once, in teaching order."""
import difflib
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    module: str
    suite: str
    functions: tuple
    points: float
    requires: tuple
    hints: tuple
    budget: float = 1.0     # CPU seconds per check
    visibility: str = "visible"   # on a platform: visible, hidden or after_due_date


class UnknownExercise(ValueError):
    """An exercise id that the catalog does not list."""


@cache
def exercises():
    """All exercises, in teaching order."""
    with open(CATALOG_PATH, "rb") as f:
        raw = tomllib.load(f)["exercise"]
    return tuple(_checked(Exercise(e["id"], e["title"], e["module"], e["suite"],
                                   tuple(e.get("functions", ())), float(e["points"]),
                                   tuple(e.get("requires", ())), tuple(e.get("hints", ())),
                                   float(e.get("budget", 1.0)), e.get("visibility", "visible")))
                 for e in raw)


VISIBILITIES = ("visible", "hidden", "after_due_date")


def _checked(exercise):
    if exercise.visibility not in VISIBILITIES:
        raise ValueError(f"catalog.toml: exercise '{exercise.id}' has visibility "
                         f"'{exercise.visibility}'; expected one of {', '.join(VISIBILITIES)}")
    return exercise


@cache
def by_id():
    return {e.id: e for e in exercises()}


def get(exercise_id):
    """The exercise named ``exercise_id``, or UnknownExercise with a suggestion."""
    table = by_id()
    if exercise_id in table:
        return table[exercise_id]
    close = difflib.get_close_matches(exercise_id, table, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise UnknownExercise(f"unknown exercise '{exercise_id}'{hint}; "
                          f"'python -m grader list' shows them all")


def named(name):
    """The ids an argument names: an exercise id, or a file of the package (``layers.py``,
    ``exercises/layers.py`` or ``layers``) for all of its exercises."""
    if name in by_id():
        return [name]
    module = Path(name).name.removesuffix(".py")
    found = of_modules([module])
    if found:
        return found
    get(name)                # raises UnknownExercise, with a suggestion
    return []


def with_prerequisites(*exercise_ids):
    """The exercises and everything they require, transitively, in teaching order."""
    table, wanted, todo = by_id(), set(), list(exercise_ids)
    while todo:
        current = get(todo.pop()).id
        if current not in wanted:
            wanted.add(current)
            todo.extend(table[current].requires)
    return [e for e in exercises() if e.id in wanted]


def checked(names):
    """The ids ``python -m grader check NAME ...`` grades: each name's exercises (ids or files)
    and what they require, in teaching order."""
    return [e.id for e in with_prerequisites(*[i for name in names for i in named(name)])]


def of_modules(modules):
    """The ids of the exercises whose code lives in any of ``modules``, in teaching order."""
    modules = set(modules)
    return [e.id for e in exercises() if e.module in modules]


def owner_of(qualname):
    """The exercise whose student-written bodies include ``qualname`` (e.g. 'Linear.forward')."""
    for exercise in exercises():
        if qualname in exercise.functions:
            return exercise
    return None
