"""The batch cache: a re-run grades only the submissions whose graded files changed.

An entry's key is a hash of the package folder that would be graded (every module,
after grader.uploads assembled it), the seed, and the grader's version (every file
the judge imports: grader/, tests/ without the kit's self-tests, data/). Only complete
gradings are kept; an entry holds the row's points and statuses and the results.json.
"""
import hashlib
import json
import os
import tempfile
from pathlib import Path

from . import sandbox
from .implementation import ROOT

SELF_TESTS = Path("tests") / "meta"    # never imported by a grading: changing them changes no score


def default_folder(csv_path):
    """Where ``batch`` keeps its cache by default: .sophia/batch-cache beside the CSV."""
    return Path(csv_path).resolve().parent / ".sophia" / "batch-cache"


def _hash_files(digest, root, paths):
    for path in paths:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def _files(folder):
    return sorted(p for p in Path(folder).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def grader_version(root=ROOT):
    """A hash of the files that decide a grade: the grader, the checks, their data."""
    digest = hashlib.sha256()
    for name in sandbox.KIT:
        paths = _files(root / name) if (root / name).is_dir() else [root / name]
        _hash_files(digest, root, [p for p in paths if p.exists()
                                   and SELF_TESTS not in p.relative_to(root).parents])
    return digest.hexdigest()


def key(package, seed, version):
    """The cache key of grading ``package`` (an assembled folder) with ``seed``."""
    digest = hashlib.sha256(f"sophia-batch 1\0{version}\0{seed}\0".encode())
    _hash_files(digest, Path(package), _files(package))
    return digest.hexdigest()


def load(folder, entry):
    """The cached value of ``entry``, or None (none kept, or unreadable)."""
    if folder is None:
        return None
    try:
        return json.loads((Path(folder) / f"{entry}.json").read_text())
    except (OSError, ValueError):
        return None


def store(folder, entry, value):
    """Keep ``value`` under ``entry``; written whole or not at all (workers run in parallel)."""
    if folder is None:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(handle, "w") as f:
        json.dump(value, f)
    os.replace(temporary, Path(folder) / f"{entry}.json")
