"""Put an exercise's functions back to their pristine stubs, keeping a backup first.

    python -m grader reset linear                  # in exercises/
    python -m grader reset linear --submission DIR # in a copy of exercises/

    python -m grader reset --list                  # the backups, oldest first
    python -m grader reset --restore NAME          # put a backup back (after backing up)

Only the exercise's own functions (catalog ``functions``) are replaced; the rest
of the file is left as the student wrote it. When the file does not parse, or one
of those functions is missing, nothing is changed and the message says why
(``--whole-file`` resets the whole module, every exercise in it). The pristine
text is generated from solutions/ (or, without it, taken from the copy a handout
carries in grader/pristine/, or from the kit's exercises/ as committed in git).
The backup goes to .sophia/backups/.
"""
import subprocess
from pathlib import Path

from . import backups, catalog
from .build import function_spans, strip_solutions
from .cli import Parser, UsageError, add_target, folder_of
from .handout import PRISTINE
from .implementation import NAMED, ROOT


class ResetError(UsageError):
    """Nothing pristine to reset from: one line, exit status 2."""


def pristine_module(module):
    """The stub text of ``module``.py: generated from solutions/, or the copy a handout carries
    (grader/pristine/), or read from git."""
    source = NAMED["solutions"] / f"{module}.py"
    if source.is_file():
        return strip_solutions(source.read_text(), str(source))
    carried = ROOT / PRISTINE / f"{module}.py"
    if carried.is_file():
        return carried.read_text()
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


def reset(folder, exercise_id, whole_file=False):
    """Reset ``exercise_id`` in the package ``folder``; returns the lines to print."""
    exercise = catalog.get(exercise_id)
    if not exercise.functions:
        raise UsageError(f"{exercise.id} has no stub of its own: it runs the code of "
                         f"{', '.join(exercise.requires)}; reset those instead")
    path = Path(folder) / f"{exercise.module}.py"
    pristine = pristine_module(exercise.module)
    if not path.is_file() or whole_file:
        lines = [f"backup of {path.name}: {backups.backup(path)}"] if path.is_file() else []
        path.write_text(pristine)
        return lines + [f"reset the whole module {path}: every exercise in {path.name} is back "
                        f"to its stub"]
    try:
        text = reset_functions(path.read_text(), pristine, exercise.functions)
    except (ValueError, SyntaxError) as why:
        reason = f"it does not parse (line {why.lineno}: {why.msg})" if isinstance(why, SyntaxError) \
            else str(why)
        raise UsageError(f"nothing changed: cannot reset {exercise.id} function by function in "
                         f"{path}: {reason}. Fix the file, restore a backup "
                         f"('python -m grader reset --list'), or reset every exercise of "
                         f"{path.name} with --whole-file") from None
    lines = [f"backup of {path.name}: {backups.backup(path)}"]
    path.write_text(text)
    return lines + [f"reset {', '.join(exercise.functions)} in {path}"]


def main(argv):
    parser = Parser(prog="python -m grader reset",
                    description="Restore an exercise's stub (a backup of the file is kept).")
    parser.add_argument("name", nargs="?", help="exercise id (python -m grader list)")
    parser.add_argument("--whole-file", action="store_true",
                        help="reset the exercise's whole module (every exercise in it)")
    parser.add_argument("--list", action="store_true", help="list the backups, oldest first")
    parser.add_argument("--restore", metavar="BACKUP", help="put a backup back (see --list)")
    add_target(parser)
    options = parser.parse_args(argv)
    if options.list:
        found = backups.listing()
        for path in found:
            print(path.name)
        print(f"{len(found)} backups in {backups.folder()}" if found else "no backups yet")
        return 0
    folder = folder_of(options)
    if folder == NAMED["solutions"].resolve():
        raise UsageError("refusing to reset the reference solutions/")
    if options.restore:
        try:
            lines = backups.restore(options.restore, folder)
        except FileNotFoundError as error:
            raise UsageError(str(error)) from None
    elif options.name:
        lines = reset(folder, options.name, options.whole_file)
    else:
        raise UsageError("name an exercise to reset, or give --list or --restore")
    for line in lines:
        print(line)
    return 0
