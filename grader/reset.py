"""Put an exercise's functions back to their pristine stubs, keeping a backup first.

    python -m grader reset linear                  # in exercises/
    python -m grader reset linear --submission DIR # in a copy of exercises/

Only the exercise's own functions (catalog ``functions``) are replaced; the rest
of the file is left as the student wrote it. When the file does not parse or a
function is missing, the whole module is reset (and the message says so). The
pristine text is generated from solutions/ (or, without it, taken from the
kit's exercises/ as committed in git). The backup goes to .sophia/backups/.
"""
import shutil
import subprocess
import time
from pathlib import Path

from . import catalog
from .build import function_spans, strip_solutions
from .cli import Parser, UsageError, add_target, folder_of
from .hints import state_dir
from .implementation import NAMED, ROOT


class ResetError(UsageError):
    """Nothing pristine to reset from: one line, exit status 2."""


def pristine_module(module):
    """The stub text of ``module``.py, generated from solutions/ or read from git."""
    source = NAMED["solutions"] / f"{module}.py"
    if source.is_file():
        return strip_solutions(source.read_text(), str(source))
    try:
        return subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:exercises/{module}.py"],
                              check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise ResetError(f"no pristine copy of {module}.py: neither solutions/ nor git has it") from None


def reset_functions(student, pristine, names):
    """``student`` with each function in ``names`` replaced by its ``pristine`` text.

    Raises ValueError (or SyntaxError) when that cannot be done function by function.
    """
    mine, theirs = function_spans(student), function_spans(pristine)
    missing = [n for n in names if n not in mine or n not in theirs]
    if missing:
        raise ValueError(f"{', '.join(missing)} not found")
    lines, fresh = student.splitlines(keepends=True), pristine.splitlines(keepends=True)
    for name in sorted(names, key=lambda n: mine[n][0], reverse=True):
        (a, b), (c, d) = mine[name], theirs[name]
        lines[a - 1:b] = fresh[c - 1:d]
    return "".join(lines)


def backup(path):
    folder = state_dir() / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6}.py"
    shutil.copy2(path, target)
    return target


def reset(folder, exercise_id):
    """Reset ``exercise_id`` in the package ``folder``; returns the lines to print."""
    exercise = catalog.get(exercise_id)
    if not exercise.functions:
        raise UsageError(f"{exercise.id} has no stub of its own: it runs the code of "
                         f"{', '.join(exercise.requires)}; reset those instead")
    path = Path(folder) / f"{exercise.module}.py"
    pristine = pristine_module(exercise.module)
    student = path.read_text() if path.is_file() else None
    lines = []
    if student is not None:
        lines.append(f"backup of {path.name}: {backup(path)}")
    try:
        if student is None:
            raise ValueError(f"{path.name} does not exist")
        text = reset_functions(student, pristine, exercise.functions)
        what = f"reset {', '.join(exercise.functions)} in {path}"
    except (ValueError, SyntaxError) as why:
        text = pristine
        reason = f"line {why.lineno}: {why.msg}" if isinstance(why, SyntaxError) else str(why)
        what = (f"reset the whole module {path} ({reason}; every exercise in "
                f"{path.name} is back to its stub)")
    path.write_text(text)
    return lines + [what]


def main(argv):
    parser = Parser(prog="python -m grader reset",
                    description="Restore an exercise's stub (a backup of the file is kept).")
    parser.add_argument("name", help="exercise id (python -m grader list)")
    add_target(parser)
    options = parser.parse_args(argv)
    folder = folder_of(options)
    if folder == NAMED["solutions"].resolve():
        raise UsageError("refusing to reset the reference solutions/")
    for line in reset(folder, options.name):
        print(line)
    return 0
