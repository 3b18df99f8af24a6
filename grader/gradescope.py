"""Build a Gradescope autograder zip from the kit, without the solutions.

    python -m grader gradescope --out autograder.zip [--seed N]

The zip holds setup.sh, run_autograder, grader/, tests/ (the suites and their
trusted helpers, not the kit's self-tests), data/, the pristine exercises/ and
pyproject.toml; solutions/ never goes in. On Gradescope (base image Ubuntu 22.04), setup.sh
installs Python 3.11 in /autograder/venv and run_autograder calls

    python -m grader gradescope-run /autograder/submission /autograder/results/results.json

which starts from the pristine stubs and copies over them each module the
student uploaded (layers.py, losses.py, ... found anywhere in the upload, the
shallowest first), so an upload of loose files, of exercises/ or of a whole
repository all grade the same, and a missing file only costs its exercises.
"""
import shutil
import tempfile
import zipfile
from pathlib import Path

from . import report, runner, scoring
from .implementation import NAMED, ROOT

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built (base image: Ubuntu 22.04).
# The grader needs Python >= 3.11 (tomllib): install it and a virtual environment.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3.11 python3.11-venv > /dev/null \
  || apt-get install -y -qq python3 python3-venv > /dev/null
PY=$(command -v python3.11 || command -v python3)
"$PY" -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet "numpy>=1.26" "pytest>=8" "pytest-timeout>=2.2" \
  "matplotlib>=3.7"
"""
RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; results.json is the score.
cd /autograder/source
/autograder/venv/bin/python -m grader gradescope-run /autograder/submission \
  /autograder/results/results.json --seed {seed}
"""
SKIP = ("__pycache__", "*.pyc", ".pytest_cache", "meta")


def members():
    """(path in the zip, file on disk) of everything the autograder needs."""
    for folder in ("grader", "tests", "exercises", "data"):
        base = ROOT / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(ROOT)
            if path.is_file() and not any(rel.match(p) or p in rel.parts for p in SKIP):
                yield str(rel), path
    yield "pyproject.toml", ROOT / "pyproject.toml"


def build_zip(out, seed=0):
    """Write the autograder zip to ``out``; returns the names it holds."""
    names = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.format(seed=seed))):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
            names.append(name)
        for name, path in members():
            if name.split("/")[0] == "solutions":
                raise RuntimeError(f"refusing to ship the reference solutions ({name})")
            archive.write(path, name)
            names.append(name)
    return names


def assemble(upload, target):
    """A package folder at ``target``: the pristine stubs, overlaid with the upload's modules."""
    upload, target = Path(upload), Path(target)
    shutil.copytree(NAMED["exercises"], target, ignore=shutil.ignore_patterns("__pycache__"))
    used = []
    for stub in sorted(target.glob("*.py")):
        if stub.name == "__init__.py":
            continue
        found = sorted(upload.rglob(stub.name), key=lambda p: (len(p.parts), str(p)))
        found = [p for p in found if "__pycache__" not in p.parts and p.is_file()]
        if found:
            shutil.copyfile(found[0], stub)
            used.append(str(found[0].relative_to(upload)))
    return used


def grade_upload(upload, results_path, seed=0):
    """Grade a Gradescope upload folder and write results.json; returns the Run."""
    with tempfile.TemporaryDirectory(prefix="sophia-upload-") as tmp:
        used = assemble(upload, Path(tmp) / "submission")
        run = runner.run(Path(tmp) / "submission", seed=seed)
        report.write_json(results_path, run, scoring.summarize(run),
                          note="files graded: " + (", ".join(used) or "none (no module found)"))
    return run


def main(argv):
    from .cli import Parser
    parser = Parser(prog="python -m grader gradescope",
                    description="Build the Gradescope autograder zip (without solutions/).")
    parser.add_argument("--out", default="autograder.zip", metavar="ZIP")
    parser.add_argument("--seed", type=int, default=0, help="seed used for every submission")
    options = parser.parse_args(argv)
    names = build_zip(options.out, options.seed)
    print(f"wrote {options.out}: {len(names)} files, seed {options.seed}, no solutions/")
    return 0


def run_main(argv):
    from .cli import Parser
    from .implementation import MissingSubmission
    parser = Parser(prog="python -m grader gradescope-run",
                    description="Grade a Gradescope upload (used by run_autograder).")
    parser.add_argument("upload", help="the uploaded files (/autograder/submission)")
    parser.add_argument("results", help="where results.json goes")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(argv)
    if not Path(options.upload).is_dir():
        raise MissingSubmission(f"upload folder not found: {options.upload}")
    grade_upload(options.upload, options.results, options.seed)
    return 0
