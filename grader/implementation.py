"""Find the package under test (solutions, exercises, or a student's copy), and load it in process.

The folder is imported under one neutral name, ``sophia_impl`` (grader.executor), so
that its relative imports work wherever it lives and it never shadows ``solutions``.
Submodules are imported lazily: a syntax error in one file costs only its checks.
"""
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMED = {"solutions": ROOT / "solutions", "exercises": ROOT / "exercises"}


class MissingSubmission(ValueError):
    """The implementation folder does not exist or is not a package."""


def resolve(impl):
    """A folder for ``impl``: 'solutions', 'exercises', a package folder, or a folder
    holding ``exercises/`` (a student's copy of the whole kit)."""
    folder = NAMED.get(str(impl), Path(impl)).resolve()
    if not folder.is_dir():
        raise MissingSubmission(f"submission folder not found: {folder}")
    if not (folder / "__init__.py").is_file() and (folder / "exercises" / "__init__.py").is_file():
        folder = folder / "exercises"
    if not (folder / "__init__.py").is_file():
        raise MissingSubmission(
            f"{folder} is not a package folder laid out like exercises/ "
            f"(no __init__.py); pass the folder that holds layers.py, losses.py, ...")
    return folder


class Implementation:
    """The package under test, in this process; ``impl.layers`` imports ``layers.py`` on first use.

    For the student's own commands (``train``) and the kit's self-tests: grading
    never imports student code in the judge (see grader.remote).
    """

    def __init__(self, folder, name=None):
        self.folder = resolve(folder)
        self.name = name           # imported as: sophia_impl unless named (two packages side by side)

    def module(self, name):
        from .executor import PACKAGE, load_package
        package = self.name or PACKAGE
        load_package(self.folder, package)
        return importlib.import_module(f"{package}.{name}")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.module(name)

    def __repr__(self):
        return f"Implementation({str(self.folder)!r})"
