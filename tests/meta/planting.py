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
    """{check name: feedback} for every check of ``exercise`` that did not pass on ``folder``.

    Only the visible checks run: what a student grades in a handout must name the bug by itself
    (the hidden checks add strength where the instructor grades; they are tested on their own).
    """
    from grader.runner import run
    result = run(folder, exercises=[exercise], hidden=False)
    checks = [c for c in result.checks if c.exercise == exercise]
    assert checks, f"no checks ran for {exercise}"
    return {c.name: c.message for c in checks if c.outcome != "passed"}


def assert_caught(tmp_path, exercise, module, old, new, phrase):
    """Planting ``old`` -> ``new`` fails a check of ``exercise`` whose name or message says ``phrase``."""
    failures = failing_checks(plant(tmp_path, module, old, new), exercise)
    assert failures, f"no check of {exercise} fails when {old!r} becomes {new!r}"
    report = "\n".join(f"  {name}: {message[:300]}" for name, message in failures.items())
    assert any(phrase in message or phrase in name for name, message in failures.items()), (
        f"checks of {exercise} fail, but no message says {phrase!r}:\n{report}")
