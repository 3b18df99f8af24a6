"""Copies of a student's files, kept before any command of the kit changes them.

    path = backup(Path("exercises/layers.py"))   # .sophia/backups/20261130-041502-123456-layers.py
    listing()                                    # every backup, oldest first
    restore("20261130-041502-123456-layers.py", folder)   # the current file is backed up first

Names start with the time (to the microsecond), so they sort in time order.
"""
import shutil
import time
from pathlib import Path

from .hints import state_dir


def folder():
    return state_dir() / "backups"


def backup(path):
    """Copy ``path`` into the backups folder; returns the copy's path."""
    target_dir = folder()
    target_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now * 1e6) % 10**6:06d}"
    target = target_dir / f"{stamp}-{Path(path).name}"
    shutil.copy2(path, target)
    return target


def listing():
    """Every backup, oldest first."""
    return sorted(folder().glob("*.py")) if folder().is_dir() else []


def module_of(backup_path):
    """'layers.py' for '20261130-041502-123456-layers.py'."""
    return Path(backup_path).name.split("-", 3)[3]


def restore(name, package):
    """Put backup ``name`` back as its module in ``package``; returns the lines to print."""
    source = folder() / Path(name).name
    if not source.is_file():
        raise FileNotFoundError(f"no backup named {name!r}; 'python -m grader reset --list' lists them")
    target = Path(package) / module_of(source)
    lines = [f"backup of the current {target.name}: {backup(target)}"] if target.is_file() else []
    shutil.copy2(source, target)
    return lines + [f"restored {target} from {source.name}"]
