"""Plant a bug in a copy of the solutions and see which checks the grader fails.

    folder = plant(tmp_path, "layers", "x.T @ dout", "dout.T @ x")
    failures = failing_checks(folder, "linear")   # {check name: message}
"""
import shutil
from pathlib import Path

from grader.implementation import NAMED


def plant(tmp_path, module, old, new):
    """A copy of solutions/ in ``tmp_path`` with ``old`` replaced by ``new`` (exactly once)."""
    folder = Path(tmp_path) / "planted"
    shutil.copytree(NAMED["solutions"], folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / f"{module}.py"
    text = path.read_text()
    count = text.count(old)
    assert count == 1, f"{old!r} occurs {count} times in {module}.py; make it unique"
    path.write_text(text.replace(old, new))
    return folder


def failing_checks(folder, exercise):
    """{check name: feedback} for every check of ``exercise`` that did not pass on ``folder``."""
    from grader.runner import run
    result = run(folder, exercises=[exercise])
    checks = [c for c in result.checks if c.exercise == exercise]
    assert checks, f"no checks ran for {exercise}"
    return {c.name: c.message for c in checks if c.outcome != "passed"}
