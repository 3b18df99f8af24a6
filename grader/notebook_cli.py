"""``python -m grader notebook NAME``: open a chapter of notebooks/ as a Jupyter notebook.

    python -m grader notebook 4              # notebooks/04_layers.py -> notebooks/04_layers.ipynb
    python -m grader notebook layers         # the same, by name
    python -m grader notebook 04 --force     # overwrite an .ipynb newer than the script

The chapters are kept as jupytext percent scripts (readable diffs, and they run as plain
``python notebooks/04_layers.py``); this writes the .ipynb beside the script. An .ipynb
newer than its script holds your edits and outputs: it is kept unless --force.
"""
from pathlib import Path

from .cli import Parser, UsageError
from .implementation import ROOT

NOTEBOOKS = ROOT / "notebooks"


def chapters(folder):
    """The chapter scripts of ``folder``, in order: notebooks/NN_name.py."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.py"))


def find(name, folder):
    """The script a NAME means: a number (4, 04), a name (layers, 04_layers, 04_layers.py)."""
    scripts = chapters(folder)
    text = Path(name).name.removesuffix(".py").removesuffix(".ipynb").lower()
    if text.isdigit():
        matches = [p for p in scripts if int(p.name[:2]) == int(text)]
    else:
        matches = [p for p in scripts if text in (p.stem, p.stem[3:])]
        matches = matches or [p for p in scripts if p.stem[3:].startswith(text)]
    if len(matches) != 1:
        known = ", ".join(p.stem for p in scripts) or "none"
        what = "matches several chapters" if matches else "is no chapter"
        raise UsageError(f"'{name}' {what}; the chapters: {known}")
    return matches[0]


def shown(path):
    """``path`` as the reader typed it: relative to the current folder when it lies inside it."""
    here = Path.cwd()
    return path.relative_to(here) if path.is_relative_to(here) else path


def main(argv):
    parser = Parser(prog="python -m grader notebook",
                    description="Write notebooks/NAME.ipynb from its percent script, to open in Jupyter.")
    parser.add_argument("name", metavar="NAME", help="a chapter: its number (4) or name (layers)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an .ipynb that is newer than its script (your edits in it are lost)")
    options = parser.parse_args(argv)
    script = find(options.name, NOTEBOOKS)
    target = script.with_suffix(".ipynb")
    if target.exists() and target.stat().st_mtime > script.stat().st_mtime and not options.force:
        raise UsageError(f"{shown(target)} is newer than {script.name}: it may hold your "
                         f"edits; nothing was written. --force overwrites it")
    try:
        import jupytext
    except ImportError:
        raise UsageError("the notebooks need jupytext and a kernel: python -m pip install -e "
                         "\".[notebooks]\"") from None
    notebook = jupytext.read(script, fmt="py:percent")
    jupytext.write(notebook, target, fmt="ipynb")
    print(f"wrote {shown(target)}; open it in Jupyter:\n"
          f"    python -m jupyter lab {shown(target)}\n"
          f"(python -m pip install jupyterlab first if needed; VS Code opens it too, with this\n"
          f"environment's Python as the kernel). It imports your exercises/ (SOPHIA_IMPL=solutions:\n"
          f"the reference); {script.name} stays the source, your edits live in the .ipynb.")
    return 0
