"""One way to read an upload: the package folder to grade, made from what a student handed in.

``batch`` (each student's folder) and ``gradescope-run`` (/autograder/submission) both call
``assemble``, so the same files get the same score wherever they are graded. It starts
from the pristine stubs and copies over them each module of the package the upload
holds, found anywhere in it: the package folder itself, loose modules, a folder holding
exercises/, a repository's zip (``sophia-main/exercises/layers.py``). Rules:

- the shallowest copy of a module wins; a tie at the same depth goes to the first path in
  alphabetical order, and the notes say so;
- files under any ``solutions/`` folder are never graded (a student's copy of the
  reference must not stand in for their work);
- the pristine ``__init__.py`` is always used: it decides what the package exposes;
- symbolic links are never followed (they could point anywhere on the grading machine);
- every other file is stray: listed in the notes, not graded.
"""
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .implementation import NAMED

SKIPPED = ("__pycache__", ".git", ".ipynb_checkpoints")   # folders no one means to hand in
STRAY_SHOWN = 10       # stray files named in the notes; the rest are counted
SOLUTIONS = "files under solutions/ are never graded"
INIT = "the pristine __init__.py is always used"


@dataclass
class Upload:
    folder: Path                                   # the package folder to grade
    used: list = field(default_factory=list)       # upload paths copied over the stubs
    ignored: list = field(default_factory=list)    # (upload path, reason)
    stray: list = field(default_factory=list)      # upload paths that are not modules of the package
    notes: list = field(default_factory=list)      # lines for a person: what was graded and why

    def summary(self):
        """One line: the files graded."""
        return "files graded: " + (", ".join(self.used) or "none (no module of the package found)")


def modules(stubs=None):
    """The module file names of the package (layers.py, ...), without __init__.py."""
    stubs = Path(stubs or NAMED["exercises"])
    return sorted(p.name for p in stubs.glob("*.py") if p.name != "__init__.py")


def files_of(upload):
    """Every file of the upload, as paths relative to it, sorted; skipped folders left out."""
    found = []
    for path in Path(upload).rglob("*"):
        relative = path.relative_to(upload)
        if any(part in SKIPPED for part in relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_symlink() or path.is_file():
            found.append(relative)
    return sorted(found, key=lambda p: (len(p.parts), p.as_posix()))


def assemble(upload, target, stubs=None):
    """Make the package folder ``target`` from the pristine ``stubs`` and ``upload``; an Upload."""
    upload, target = Path(upload), Path(target)
    stubs = Path(stubs or NAMED["exercises"])
    shutil.copytree(stubs, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    result = Upload(folder=target)
    wanted = set(modules(stubs))
    candidates = {}                      # module name -> upload paths, shallowest first
    for relative in files_of(upload):
        name = relative.as_posix()
        if "solutions" in relative.parts[:-1]:
            result.ignored.append((name, SOLUTIONS))
        elif (upload / relative).is_symlink():
            result.ignored.append((name, "symbolic links are never graded"))
        elif relative.name in wanted:
            candidates.setdefault(relative.name, []).append(relative)
        elif relative.name != "__init__.py":
            result.stray.append(name)
    folders = set()
    for module, paths in sorted(candidates.items()):
        chosen, rest = paths[0], paths[1:]
        shutil.copyfile(upload / chosen, target / module)
        result.used.append(chosen.as_posix())
        folders.add(chosen.parent)
        tied = [p.as_posix() for p in rest if len(p.parts) == len(chosen.parts)]
        if tied:
            result.notes.append(f"{module}: {len(tied) + 1} copies at the same depth; graded "
                                f"{chosen.as_posix()} (the first in alphabetical order), not "
                                f"{', '.join(tied)}")
        for path in rest:
            why = "the same depth, first in order" if path.as_posix() in tied else "the shallowest"
            result.ignored.append((path.as_posix(), f"{chosen.as_posix()} is graded ({why})"))
    for relative in files_of(upload):     # an __init__.py beside graded modules was meant for them
        if relative.name == "__init__.py" and "solutions" not in relative.parts[:-1]:
            if relative.parent in folders:
                result.ignored.append((relative.as_posix(), INIT))
            else:
                result.stray.append(relative.as_posix())
    result.used.sort()
    result.notes = [result.summary()] + \
        [f"ignored {path}: {reason}" for path, reason in result.ignored] + result.notes
    if result.stray:
        more = len(result.stray) - STRAY_SHOWN
        result.notes.append("not modules of the package, not graded: "
                            + ", ".join(result.stray[:STRAY_SHOWN])
                            + (f" and {more} more" if more > 0 else ""))
    return result
