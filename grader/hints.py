"""Progressive hints from grader/catalog.toml, one more each time they are asked for.

    python -m grader hint linear           # the next hint (and the ones already seen)
    python -m grader hint linear --reset   # forget the hints seen for linear

What was seen is remembered in .sophia/hints.json at the root of the kit, never in
the student's package folder; delete that file to start over.
"""
import json
import os
from pathlib import Path

from . import catalog
from .implementation import ROOT


def state_dir():
    """Where the grader keeps its small state files (SOPHIA_STATE overrides, for tests)."""
    return Path(os.environ.get("SOPHIA_STATE", ROOT / ".sophia"))


def _path():
    return state_dir() / "hints.json"


def load():
    """{exercise id: number of hints already shown}; a damaged file counts as empty."""
    try:
        data = json.loads(_path().read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def save(seen):
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(seen, indent=1, sort_keys=True) + "\n")


def reveal(exercise_id):
    """Show one more hint of ``exercise_id``: returns (hints shown so far, total)."""
    exercise = catalog.get(exercise_id)
    seen = load()
    count = min(seen.get(exercise.id, 0) + 1, len(exercise.hints))
    seen[exercise.id] = count
    save(seen)
    return list(exercise.hints[:count]), len(exercise.hints)


def forget(exercise_id):
    exercise = catalog.get(exercise_id)
    seen = load()
    seen.pop(exercise.id, None)
    save(seen)


def text(exercise_id):
    """The lines ``hint NAME`` prints after revealing one more hint."""
    exercise = catalog.get(exercise_id)
    shown, total = reveal(exercise_id)
    if not total:
        return f"{exercise.id}: no hints are written for this exercise yet; read its docstring"
    lines = [f"{exercise.id}: {exercise.title} ({exercise.module}.py)"]
    for number, hint in enumerate(shown, start=1):
        lines.append(f"  hint {number}/{total}: {hint}")
    if len(shown) < total:
        lines.append(f"  (ask again for hint {len(shown) + 1}/{total})")
    else:
        lines.append("  (that was the last hint; 'python -m grader check "
                     f"{exercise.id}' shows what still fails)")
    return "\n".join(lines)


def main(argv):
    from .cli import Parser
    parser = Parser(prog="python -m grader hint", description="One more hint for an exercise.")
    parser.add_argument("name", help="exercise id (python -m grader list)")
    parser.add_argument("--reset", action="store_true", help="forget the hints seen for NAME")
    options = parser.parse_args(argv)
    if options.reset:
        forget(options.name)
        print(f"{options.name}: hints forgotten")
    else:
        print(text(options.name))
    return 0
