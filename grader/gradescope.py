"""Build a Gradescope autograder zip from the kit, without the solutions.

    python -m grader gradescope --out autograder.zip [--seed N] [--memory-mb 768] [--timeout 300]

The zip holds setup.sh, run_autograder, requirements.txt (exact versions, those this
kit runs with), grader/, tests/ (the suites and their trusted helpers, not the kit's
self-tests), data/, the pristine exercises/ and pyproject.toml; solutions/ never goes in.
setup.sh (run once, when Gradescope builds the image) installs Python >= 3.11 and fails
the build with a message when it cannot; run_autograder calls

    python -m grader gradescope-run /autograder/submission /autograder/results/results.json

which reads the upload with grader.uploads (the same rules as ``batch``) and writes
results.json: one test per exercise, and a hidden zero-point test, "Notes for
instructors", with the files graded and ignored and the lines worth a human look.
"""
import json
import re
import tempfile
import tomllib
import traceback
import zipfile
from importlib import metadata
from pathlib import Path

from . import report, runner, scoring, uploads
from .implementation import ROOT

MEMORY_MB = 768          # Gradescope's default container
RESERVED_MB = 256        # the judge, the zygote and this process (grader.runner, grader.remote)
TIMEOUT = runner.TOTAL_TIMEOUT
NOTES = "Notes for instructors"

CHECK_PYTHON = """\
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "setup.sh: Sophia's grader needs Python >= 3.11 (it reads its catalog with tomllib);" \\
       "'$PY' is $("$PY" --version 2>&1 || echo 'not runnable')." \\
       "Use Gradescope's Ubuntu 22.04 base image (or newer) and rebuild." >&2
  exit 1
fi
"""
SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (base image: Ubuntu 22.04 or newer).
# The grader needs Python >= 3.11 (tomllib). The build FAILS (exit 1, with a message) without it:
# a silent fallback to an older Python would fail every submission instead.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
ok() { "$1" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; }
apt-get update -qq
apt-get install -y -qq python3 python3-venv > /dev/null || true
PY=$(command -v python3 || true)
if [ -z "$PY" ] || ! ok "$PY"; then            # Ubuntu 22.04: python3 is 3.10, python3.11 is in jammy
  apt-get install -y -qq python3.11 python3.11-venv > /dev/null || {
    apt-get install -y -qq software-properties-common > /dev/null
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update -qq
    apt-get install -y -qq python3.11 python3.11-venv > /dev/null
  } || true
  PY=$(command -v python3.11 || echo python3.11)
fi
""" + CHECK_PYTHON + """\
"$PY" -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --no-cache-dir -r /autograder/source/requirements.txt
"""
RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; results.json is the score.
cd /autograder/source
/autograder/venv/bin/python -m grader gradescope-run /autograder/submission \\
  /autograder/results/results.json --seed {seed} --memory-mb {memory_mb} --timeout {timeout:g}
"""
SKIP = ("__pycache__", "*.pyc", ".pytest_cache", "meta")
# lines of a student's module that deserve a human look (none is forbidden: the sandbox contains them)
REVIEW = re.compile(r"""
    ^\s*(?:import|from)\s+(?:[\w.]+\s*,\s*)*(?:os|sys|subprocess|ctypes|inspect|gc|builtins)\b
  | \bimport\s+(?:[\w.]+\s*(?:as\s+\w+\s*)?,\s*)+(?:os|sys|subprocess|ctypes|inspect|gc|builtins)\b
  | __import__ | \bsys\.modules\b | \b(?:open|exec|eval|_?exit|quit)\s*\(
  | \b(?:np|numpy)\.random\.(?!default_rng\b|Generator\b)\w+
""", re.VERBOSE)
REVIEW_SHOWN = 40      # lines to review listed; the rest are counted


def requirements():
    """requirements.txt: exact versions of the kit's dependencies (pyproject) and of theirs,
    as installed where the zip is built (the versions the kit was tested with)."""
    from packaging.requirements import Requirement  # pytest's own dependency
    roots = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins, todo = {}, [Requirement(r) for r in roots]
    while todo:
        requirement = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = requirement.name.lower().replace("_", "-")
        if name in pins:
            continue
        distribution = metadata.distribution(requirement.name)
        pins[name] = f"{distribution.metadata['Name']}=={distribution.version}"
        todo += [Requirement(r) for r in distribution.requires or ()]
    return "".join(f"{pins[name]}\n" for name in sorted(pins))


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


def build_zip(out, seed=0, memory_mb=MEMORY_MB, timeout=TIMEOUT):
    """Write the autograder zip to ``out``; returns the names it holds."""
    executor_memory(memory_mb)           # refuse a budget the grader cannot run in, now
    names = []
    scripts = (("setup.sh", SETUP, 0o755), ("requirements.txt", requirements(), 0o644),
               ("run_autograder", RUN.format(seed=seed, memory_mb=memory_mb, timeout=timeout), 0o755))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text, mode in scripts:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, text)
            names.append(name)
        for name, path in members():
            if name.split("/")[0] == "solutions":
                raise RuntimeError(f"refusing to ship the reference solutions ({name})")
            archive.write(path, name)
            names.append(name)
    return names


def executor_memory(memory_mb):
    """Bytes of address space for each executor, from the container's memory in MB.

    One executor runs at a time beside the judge, the zygote and gradescope-run, which
    keep RESERVED_MB; an address-space limit bounds resident memory too, so the
    student's code meets a MemoryError (charged to its check) before the container's
    out-of-memory killer ends the whole run without a results.json.
    """
    if memory_mb < RESERVED_MB + 256:
        raise ValueError(f"--memory-mb {memory_mb}: the grader needs at least {RESERVED_MB + 256} MB")
    return (memory_mb - RESERVED_MB) * 1024 ** 2


def lines_to_review(package, files):
    """``file:line: code`` for each line of the student's modules worth a human look."""
    found = []
    for name in files:
        module = Path(name).name
        text = (Path(package) / module).read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.lstrip().startswith("#") and REVIEW.search(line):
                found.append(f"{name}:{number}: {line.strip()[:160]}")
    if len(found) > REVIEW_SHOWN:
        found = found[:REVIEW_SHOWN] + [f"... and {len(found) - REVIEW_SHOWN} more"]
    return found


def instructor_notes(upload):
    """The hidden zero-point test: the upload's notes and the lines to review."""
    review = lines_to_review(upload.folder, upload.used)
    text = "\n".join(["Upload:"] + [f"  {note}" for note in upload.notes] +
                     ["", "Lines to review:"] + ([f"  {line}" for line in review] or ["  none"]))
    return {"name": NOTES, "score": 0, "max_score": 0, "output": text, "visibility": "hidden"}


def grade_upload(upload, results_path, seed=0, memory_mb=MEMORY_MB, timeout=TIMEOUT):
    """Grade a Gradescope upload folder and write results.json; returns the Run."""
    with tempfile.TemporaryDirectory(prefix="sophia-upload-") as tmp:
        read = uploads.assemble(upload, Path(tmp) / "submission")
        # one lane: two judges with their executors would not fit in the container's memory
        run = runner.run(read.folder, seed=seed, total_timeout=timeout,
                         memory_limit=executor_memory(memory_mb), lanes=1)
        data = report.results_json(run, scoring.summarize(run))
        solutions = [f"ignored {path}: {reason}" for path, reason in read.ignored
                     if reason == uploads.SOLUTIONS]
        data["output"] += "\n" + "\n".join([read.summary()] + solutions)   # the student sees these
        data["tests"].append(instructor_notes(read))
    write(results_path, data)
    return run


def write(path, data):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def main(argv):
    from .cli import Parser, positive
    parser = Parser(prog="python -m grader gradescope",
                    description="Build the Gradescope autograder zip (without solutions/).")
    parser.add_argument("--out", default="autograder.zip", metavar="ZIP")
    parser.add_argument("--seed", type=int, default=0, help="seed used for every submission")
    parser.add_argument("--memory-mb", type=positive, default=MEMORY_MB,
                        help=f"the container's memory in MB (default {MEMORY_MB}, Gradescope's default)")
    parser.add_argument("--timeout", type=positive, default=int(TIMEOUT),
                        help=f"seconds the whole grading may take (default {TIMEOUT:g}); set "
                             f"Gradescope's autograder timeout above it")
    options = parser.parse_args(argv)
    try:
        names = build_zip(options.out, options.seed, options.memory_mb, options.timeout)
    except ValueError as error:
        from .cli import UsageError
        raise UsageError(str(error)) from None
    print(f"wrote {options.out}: {len(names)} files, seed {options.seed}, {options.memory_mb} MB, "
          f"{options.timeout} s, no solutions/")
    return 0


def run_main(argv):
    from .cli import Parser, positive
    from .implementation import MissingSubmission
    parser = Parser(prog="python -m grader gradescope-run",
                    description="Grade a Gradescope upload (used by run_autograder).")
    parser.add_argument("upload", help="the uploaded files (/autograder/submission)")
    parser.add_argument("results", help="where results.json goes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mb", type=positive, default=MEMORY_MB)
    parser.add_argument("--timeout", type=positive, default=int(TIMEOUT))
    options = parser.parse_args(argv)
    if not Path(options.upload).is_dir():
        raise MissingSubmission(f"upload folder not found: {options.upload}")
    try:
        grade_upload(options.upload, options.results, options.seed, options.memory_mb, options.timeout)
    except Exception as error:      # never leave Gradescope without a results.json
        traceback.print_exc()
        write(options.results, {"score": 0, "output": f"The autograder failed on this submission "
                                f"({type(error).__name__}: {error}); tell your instructor.",
                                "tests": []})
        return 1
    return 0
