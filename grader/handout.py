"""Write the student copy of the kit: no solutions, no history, no answers.

    python -m grader handout DIR

DIR gets what a student works and grades with: the grader, the visible checks
(tests/ without the kit's self-tests in tests/meta and the hidden checks in
tests/hidden), data/, the chapter notebooks, the stubs in exercises/ and a copy of them for ``reset``
(grader/pristine/), pyproject.toml and a README for students. Nothing of solutions/
goes in, nor the git history that holds it. Before anything is written, every line
of every solution block is looked for in every file that would go in: one found
stops the handout, naming the file and the line.
"""
import re
from pathlib import Path

from .build import BEGIN, END, generated_files
from .implementation import NAMED, ROOT

# what a student's copy holds: everything else of the kit stays with the instructor
SHIPPED = ("grader", "tests", "data", "notebooks")
LEFT_OUT = ("tests/meta", "tests/hidden", "grader/mutants_allowed.toml", "grader/pristine")
FILES = ("pyproject.toml", ".gitignore")
PRISTINE = Path("grader") / "pristine"   # reset's stubs where there is no solutions/
# Statements of solution blocks so generic that any Python file may hold them: reviewed one by one.
GENERIC = {"else:", "break", "continue", "return out", "return dx", "return None", "results = []",
           "return float(loss)", "if self.training:", "if not self.training:", "model.train()",
           "n, c, h, w = x.shape", "rows = np.arange(n)", "if average is None:", "waited += 1",
           "if len(shape) == 2:", "if on_step is not None:", "for step in range(1, steps + 1):",
           "for _ in range(trials):", "for t in range(x.shape[1]):", "count = np.count_nonzero(mask)",
           "return grad"}
README_SECTIONS = ("### Try your code, and run the checks yourself", "### Read the chapters", "## Curriculum",
                   "### Check your own gradients first", "## How grading works",
                   "### Commands for students", "### Reset an exercise")
QUICK_START = """## Quick start

```
python -m pip install -e . && python -m grader
```

Run it from this folder with Python 3.11 or newer (a fresh virtual environment is
best: `python3 -m venv .venv && . .venv/bin/activate`). It installs the kit and grades
the stubs in `exercises/`: score 0, and the line `next: init_basic: ...` says where
to start. Then open the file named by `next:`, read the docstring, replace the two
`TODO` lines with your code, and run `python -m grader check ID` (one exercise, about
a second) or `python -m grader` (everything).
"""


class HandoutError(ValueError):
    """The handout cannot be written (a folder in the way, or an answer found in a file)."""


def solution_lines(solutions=NAMED["solutions"]):
    """{stripped line: 'module.py:number'} of every statement inside a solution block, except
    those the given code has too and the reviewed GENERIC ones."""
    inside, given = {}, set()
    for path in sorted(Path(solutions).glob("*.py")):
        block = False
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if BEGIN.match(line) or END.match(line):
                block = bool(BEGIN.match(line))
                continue
            text = _statement(line)
            if text and block:
                inside.setdefault(text, f"{path.name}:{number}")
            elif text:
                given.add(text)
    return {text: where for text, where in inside.items() if text not in given and text not in GENERIC}


def _statement(line):
    """A line without indentation and trailing comment ('' for a blank or comment line)."""
    return re.sub(r"\s+#.*$", "", line.strip()) if not line.strip().startswith("#") else ""


def members(root=ROOT, solutions=NAMED["solutions"]):
    """{relative path: bytes} of the handout."""
    root = Path(root)
    files = {}
    for folder in SHIPPED:
        for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else ():
            relative = path.relative_to(root)
            if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc" \
                    and not any(relative.is_relative_to(out) for out in LEFT_OUT):
                files[str(relative)] = path.read_bytes()
    for name in FILES:
        if (root / name).is_file():
            files[name] = (root / name).read_bytes()
    for relative, text in generated_files(solutions):
        files[f"exercises/{relative}"] = text.encode()
        files[str(PRISTINE / relative)] = text.encode()
    files["README.md"] = student_readme((root / "README.md").read_text()).encode()
    return files


def student_readme(readme):
    """The kit's README for a student: its opening, a one-command quick start, and the
    sections about the exercises and the grader."""
    sections = re.split(r"(?m)^(?=#{2,3} )", readme)
    kept = [sections[0]] + [QUICK_START]
    kept += [s for s in sections[1:] if s.splitlines()[0].strip() in README_SECTIONS]
    return "\n".join(s.rstrip() + "\n" for s in kept)


def leaks(files, solutions=NAMED["solutions"]):
    """['path:line: text (solution of module.py:number)'] for every solution line in ``files``."""
    answers = solution_lines(solutions)
    found = []
    for name, data in sorted(files.items()):
        try:
            text = data.decode()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            statement = _statement(line)
            if statement in answers:
                found.append(f"{name}:{number}: {statement}   (the solution's {answers[statement]})")
    return found


def write(destination, root=ROOT, solutions=NAMED["solutions"]):
    """Write the handout into ``destination`` (absent or empty); returns the paths written."""
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise HandoutError(f"{destination} exists and is not an empty folder: nothing was written")
    if not Path(solutions).is_dir():
        raise HandoutError(f"the handout is made from the solutions, and {solutions} is not there")
    files = members(root, solutions)
    found = leaks(files, solutions)
    if found:
        raise HandoutError(f"{len(found)} lines of the solutions found in files of the handout; "
                           "nothing was written:\n  " + "\n  ".join(found[:20]))
    for name, data in files.items():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return sorted(files)


def main(argv):
    from .cli import Parser, UsageError
    parser = Parser(prog="python -m grader handout",
                    description="Write the student copy of the kit: no solutions, no answers.")
    parser.add_argument("dir", help="where to write it (a new or empty folder)")
    options = parser.parse_args(argv)
    try:
        names = write(options.dir)
    except HandoutError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {options.dir}: {len(names)} files (no solutions/, no tests/meta, no tests/hidden); "
          f"'cd {options.dir} && python -m grader' grades the stubs 0 %")
    return 0
