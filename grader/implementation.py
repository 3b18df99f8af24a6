"""Load the package under test (solutions, exercises, or a student's copy) from a folder.

The folder is imported under one neutral name, ``sophia_impl``, so that its
relative imports work wherever it lives and it never shadows ``solutions``.
Submodules are imported lazily: a syntax error in one file costs only its checks.
"""
import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

PACKAGE = "sophia_impl"
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
    """The package under test; ``impl.layers`` imports ``layers.py`` on first use."""

    def __init__(self, folder):
        self.folder = resolve(folder)

    def _package(self):
        package = sys.modules.get(PACKAGE)
        if package is None:
            # its modules load from source only: no compiled extension or bytecode file
            # shipped in the folder is ever imported (see the threat model in the README)
            sys.path_importer_cache[str(self.folder)] = importlib.machinery.FileFinder(
                str(self.folder), (importlib.machinery.SourceFileLoader,
                                   importlib.machinery.SOURCE_SUFFIXES))
            spec = importlib.util.spec_from_file_location(
                PACKAGE, self.folder / "__init__.py", submodule_search_locations=[str(self.folder)])
            package = importlib.util.module_from_spec(spec)
            sys.modules[PACKAGE] = package
            try:
                spec.loader.exec_module(package)
            except BaseException:
                sys.modules.pop(PACKAGE, None)
                raise
        return package

    def module(self, name):
        self._package()
        return importlib.import_module(f"{PACKAGE}.{name}")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.module(name)

    def __repr__(self):
        return f"Implementation({str(self.folder)!r})"
