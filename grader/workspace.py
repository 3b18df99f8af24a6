"""The executor's folders: its code (the few modules it runs), a copy of the package, a home.

    workspace = Workspace(folder)     # made by the judge, once per run
    workspace.original(path)          # the student's name for a file of the copy

The copy keeps the student's own files out of reach of their code and lets an
unprivileged user read it; messages name the original files.
"""
import os
import shutil
import tempfile
from pathlib import Path

from .sandbox import unprivileged_user

EXECUTOR_FILES = ("wire.py", "executor.py", "doubles.py", "confine.py")   # all the executor imports


class Workspace:
    """The executor's folders, in a new temporary folder."""

    def __init__(self, folder, user=False):
        self.folder = Path(folder).resolve()
        self.user = unprivileged_user() if user is False else user
        self.root = Path(tempfile.mkdtemp(prefix="sophia-executor-"))
        self.root.chmod(0o755)
        code = self.root / "code" / "grader"
        code.mkdir(parents=True)
        (code / "__init__.py").write_text("")
        for name in EXECUTOR_FILES:
            shutil.copyfile(Path(__file__).parent / name, code / name)
        self.package = self.root / "package"
        shutil.copytree(self.folder, self.package, ignore=_not_source)
        self.home = self.root / "home"
        self.home.mkdir()
        for path in [self.root / "code", code, self.package, *self.package.rglob("*"), *code.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o444)
        if self.user:
            os.chown(self.home, *self.user)
        self.home.chmod(0o700)

    def original(self, filename):
        """The student's path for a file of the executor's copy."""
        try:
            return str(self.folder / Path(filename).relative_to(self.package))
        except ValueError:
            return filename

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def _not_source(directory, names):
    """Copy only Python sources (and folders): no bytecode, no compiled extension, no data."""
    return [n for n in names if not (n.endswith(".py") or (Path(directory) / n).is_dir())
            or n == "__pycache__" or (Path(directory) / n).is_symlink()]
