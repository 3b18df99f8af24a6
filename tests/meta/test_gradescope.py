"""Gradescope, simulated end to end: the zip built, unzipped as /autograder/source, uploads of
every layout graded by the unzipped run_autograder, results.json read back; setup.sh's checks."""
import concurrent.futures as futures
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata

import pytest

from grader import gradescope, scoring
from grader.implementation import NAMED

SOLVED, STUB = NAMED["solutions"], NAMED["exercises"]
HOG = "        np.empty(80_000_000)   # 640 MB of address space, never touched\n"
# Python 3.10 as the check sees it: this Python, its version_info set back to 3.10.12
OLD_PYTHON = f"""#!/bin/sh
if [ "$1" = --version ]; then echo 'Python 3.10.12'; exit 0; fi
if [ "$1" = -c ]; then exec {sys.executable} -c "import sys; sys.version_info = (3, 10, 12, 'final', 0)
$2"; fi
exit 1
"""


def copy(source, target):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))


def layouts(root):
    """{name: upload folder}: each layout a student may upload."""
    loose = root / "loose"
    loose.mkdir(parents=True)
    (loose / "layers.py").write_text((SOLVED / "layers.py").read_text() + "import os  # a look\n")
    relu = (SOLVED / "activations.py").read_text()
    marker = "        self.cache = x > 0\n"
    assert relu.count(marker) == 1
    (loose / "activations.py").write_text(relu.replace(marker, HOG + marker))
    folder = root / "exercises_folder"
    copy(STUB, folder / "exercises")
    shutil.copyfile(SOLVED / "losses.py", folder / "exercises" / "losses.py")
    (folder / "exercises" / "__init__.py").write_text("raise SystemExit('not the pristine one')\n")
    repository = root / "repository_zip"
    copy(SOLVED, repository / "sophia-main" / "exercises")
    (repository / "sophia-main" / "README.md").write_text("# my copy\n")
    with_solutions = root / "with_solutions"
    copy(STUB, with_solutions / "exercises")
    copy(SOLVED, with_solutions / "solutions")
    return {p.name: p for p in (loose, folder, repository, with_solutions)}


def run_autograder(source, upload, results):
    """The unzipped run_autograder, its /autograder paths moved to tmp, the kit's venv python."""
    script = (source / "run_autograder").read_text()
    for old, new in (("/autograder/venv/bin/python", sys.executable), ("/autograder/source", source),
                     ("/autograder/submission", upload), ("/autograder/results/results.json", results)):
        script = script.replace(old, str(new))
    assert "/autograder" not in script
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(results.read_text())


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    root = tmp_path_factory.mktemp("gradescope")
    names = gradescope.build_zip(root / "kit.zip", seed=4, memory_mb=768, timeout=240)
    source = root / "unzipped" / "source"     # no "autograder" in the path: run_autograder moves those
    with zipfile.ZipFile(root / "kit.zip") as archive:
        archive.extractall(source)
        executable = {i.filename for i in archive.infolist() if i.external_attr >> 16 & 0o111}
    return source, names, executable


@pytest.fixture(scope="module")
def graded(autograder, tmp_path_factory):
    """{layout: results.json} of every layout, graded two at a time."""
    source, _, _ = autograder
    root = tmp_path_factory.mktemp("uploads")
    uploads = layouts(root / "submissions")
    with futures.ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {name: pool.submit(run_autograder, source, upload, root / f"{name}.json")
                for name, upload in uploads.items()}
        return {name: job.result() for name, job in jobs.items()}


def scores(results):
    """Points per exercise id: its visible test and its hidden checks' test added up."""
    total = {}
    for test in results["tests"]:
        if test["name"] != gradescope.NOTES:
            exercise = test["name"].split(":")[0]
            total[exercise] = round(total.get(exercise, 0.0) + test["score"], 4)
    return total


def notes(results):
    [test] = [t for t in results["tests"] if t["name"] == gradescope.NOTES]
    return test


def test_the_zip_holds_no_solutions_and_pins_every_dependency(autograder):
    source, names, executable = autograder
    assert not any(name.startswith("solutions/") for name in names) and not (source / "solutions").exists()
    assert {"setup.sh", "run_autograder", "requirements.txt", "exercises/layers.py"} <= set(names)
    pins = dict(line.split("==") for line in (source / "requirements.txt").read_text().splitlines())
    for name in ("numpy", "pytest", "pytest-timeout", "matplotlib", "pluggy", "contourpy"):
        assert pins[name] == metadata.version(name), name
    assert "-r /autograder/source/requirements.txt" in (source / "setup.sh").read_text()
    assert {"run_autograder", "setup.sh"} <= executable


def test_limits_are_written_into_run_autograder(tmp_path):
    gradescope.build_zip(tmp_path / "a.zip", seed=1, memory_mb=1024, timeout=120)
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        script = archive.read("run_autograder").decode()
    assert "--seed 1 --memory-mb 1024 --timeout 120" in script
    assert gradescope.executor_memory(768) == 512 * 1024 ** 2
    with pytest.raises(ValueError, match="at least 512 MB"):
        gradescope.executor_memory(400)


def test_loose_modules_are_graded_and_the_memory_budget_reaches_the_executor(graded):
    results = graded["loose"]
    got = scores(results)
    assert got["linear"] == 6 and got["sigmoid"] == 3 and got["cross_entropy"] == 0
    # 640 MB passes under the grader's default 4 GB, not under a 768 MB container's budget
    assert got["relu"] == 0, "--memory-mb did not reach the executors"
    [relu] = [t for t in results["tests"] if t["name"].startswith("relu:") and t["visibility"] == "visible"]
    assert "memory" in relu["output"].lower(), relu["output"]


def test_instructors_see_the_lines_to_review_and_students_do_not(graded):
    results = graded["loose"]
    hidden = notes(results)
    assert hidden["visibility"] == "hidden" and hidden["score"] == hidden["max_score"] == 0
    line = len((SOLVED / "layers.py").read_text().splitlines()) + 1
    assert f"layers.py:{line}: import os  # a look" in hidden["output"]
    assert "files graded: activations.py, layers.py" in hidden["output"]
    shown = results["output"] + "".join(t["output"] for t in results["tests"] if t is not hidden)
    assert "import os" not in shown and "Lines to review" not in shown
    assert "files graded: activations.py, layers.py" in results["output"]


def test_an_exercises_folder_is_graded_with_the_pristine_init(graded):
    results = graded["exercises_folder"]
    got = scores(results)
    assert got["cross_entropy"] == 5 and got["hinge"] == 5 and got["linear"] == 0
    assert "ignored exercises/__init__.py: the pristine __init__.py is always used" \
        in notes(results)["output"]


def test_a_whole_repository_is_graded_from_its_exercises(graded):
    results = graded["repository_zip"]
    assert results["score"] == results["max_score"] == scoring.max_total()
    assert "not modules of the package, not graded: sophia-main/README.md" in notes(results)["output"]


def test_a_solutions_folder_beside_the_stubs_scores_nothing_and_says_why(graded):
    results = graded["with_solutions"]
    assert results["score"] == 0 and set(scores(results).values()) == {0}
    assert "ignored solutions/layers.py: files under solutions/ are never graded" in results["output"]


def fake_bin(folder, python):
    folder.mkdir()
    for name, text in (("apt-get", "#!/bin/sh\necho \"apt-get $*\" >> \"$LOG\"\n"),
                       ("add-apt-repository", "#!/bin/sh\necho \"add-apt-repository $*\" >> \"$LOG\"\n"),
                       ("python3", python), ("python3.11", python)):
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    return folder


def test_setup_fails_the_build_when_python_is_older_than_3_11(autograder, tmp_path):
    source, _, _ = autograder
    env = dict(os.environ, PATH=f"{fake_bin(tmp_path / 'bin', OLD_PYTHON)}:/usr/bin:/bin",
               LOG=str(tmp_path / "log"))
    done = subprocess.run(["bash", str(source / "setup.sh")], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode != 0
    assert "needs Python >= 3.11" in done.stderr and "Python 3.10.12" in done.stderr, done.stderr
    assert "install -y -qq python3.11 python3.11-venv" in (tmp_path / "log").read_text()


@pytest.mark.parametrize("python, code", [(OLD_PYTHON, 1), (None, 0)], ids=["python_3_10", "this_python"])
def test_the_version_check_tells_an_old_python_from_a_new_one(tmp_path, python, code):
    if python:
        (tmp_path / "py").write_text(python)
        (tmp_path / "py").chmod(0o755)
    done = subprocess.run(["bash", "-c", gradescope.CHECK_PYTHON], capture_output=True, text=True,
                          env=dict(os.environ, PY=str(tmp_path / "py") if python else sys.executable))
    assert done.returncode == code, done.stderr
