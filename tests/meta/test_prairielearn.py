"""PrairieLearn: ``prairielearn-run`` on a simulated /grade layout, and ``--format prairielearn``.

Every results file is checked against the fields and types PrairieLearn documents (its
"External Grading" page, section "Grading results"), by a small validator below.
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import catalog, cli, gradescope, prairielearn, runner, scoring
from grader.implementation import NAMED, ROOT

TEST_TEXT = ("name", "description", "message", "output")


def validate(data, raw_size):
    """Problems with ``data`` as a PrairieLearn results.json (an empty list: none)."""
    problems = []
    if raw_size >= 1_000_000:
        problems.append(f"{raw_size} bytes; PrairieLearn takes at most 1 MB")
    gradable = data.get("gradable", True)
    if not isinstance(gradable, bool):
        problems.append(f"gradable is {gradable!r}, not a boolean")
    if gradable:
        score = data.get("score")
        if not isinstance(score, (int, float)) or isinstance(score, bool) or \
                not math.isfinite(score) or not 0.0 <= score <= 1.0:
            problems.append(f"score is {score!r}, not a number in [0, 1]")
    else:
        errors = data.get("format_errors")
        if not (isinstance(errors, str) or
                (isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors))):
            problems.append(f"an ungradable result needs format_errors (a string or strings): {errors!r}")
    for key in ("message", "output"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key} is not a string")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return problems + ["tests is not a list"]
    for test in tests:
        if not isinstance(test.get("name"), str) or not test["name"]:
            problems.append(f"a test without a name: {test}")
        problems += [f"{test.get('name')}: {key} is not a string"
                     for key in TEST_TEXT if key in test and not isinstance(test[key], str)]
        got, most = test.get("points"), test.get("max_points")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (got, most)) \
                or not 0 <= got <= most:
            problems.append(f"{test.get('name')}: points {got!r} of max_points {most!r}")
    return problems


def read_results(path):
    raw = Path(path).read_bytes()
    data = json.loads(raw)
    problems = validate(data, len(raw))
    assert not problems, "results.json is not PrairieLearn's format:\n" + "\n".join(problems)
    return data


def grade_job(root, files, *exercises):
    """Run the entry point on /grade simulated at ``root``: ``files`` maps a file name in
    /grade/student to its source file. Returns (exit status, validated results)."""
    student = root / "student"
    student.mkdir(parents=True)
    for name, source in files.items():
        (student / name).write_text(Path(source).read_text())
    argv = ["prairielearn-run", "--root", str(root)] + [a for e in exercises for a in ("--exercise", e)]
    status = cli.main(argv)
    return status, read_results(root / "results" / "results.json")


def by_exercise(data):
    return {t["name"].split(":")[0]: t for t in data["tests"]}


def test_a_solved_upload_scores_one_with_a_test_per_exercise(tmp_path):
    status, data = grade_job(tmp_path / "grade", {"initializers.py": NAMED["solutions"] / "initializers.py"},
                             "initializers.py")
    assert status == 0
    assert data["gradable"] is True and data["score"] == 1.0
    tests = by_exercise(data)
    assert sorted(tests) == ["he", "init_basic", "xavier"]
    assert all(t["points"] == t["max_points"] > 0 for t in tests.values())
    assert tests["xavier"]["max_points"] == 3.0 and "initializers.py" in data["output"]


def test_the_pristine_stubs_score_zero_and_say_not_started(tmp_path):
    status, data = grade_job(tmp_path / "grade", {"initializers.py": NAMED["exercises"] / "initializers.py"},
                             "initializers.py")
    assert status == 0 and data["gradable"] is True and data["score"] == 0.0
    assert all(t["points"] == 0 and t["message"].startswith("not started")
               for t in data["tests"])
    assert "NotImplementedError" in by_exercise(data)["xavier"]["output"]


def test_a_partly_solved_upload_scores_in_between_exercise_by_exercise(tmp_path):
    files = {"initializers.py": NAMED["solutions"] / "initializers.py",
             "losses.py": NAMED["exercises"] / "losses.py"}
    status, data = grade_job(tmp_path / "grade", files, "init_basic", "cross_entropy")
    tests = by_exercise(data)
    assert status == 0 and list(tests) == ["init_basic", "cross_entropy"]
    assert tests["init_basic"]["points"] == tests["init_basic"]["max_points"] == 2.0
    assert tests["cross_entropy"]["points"] == 0 and tests["cross_entropy"]["max_points"] == 5.0
    assert data["score"] == pytest.approx(2 / 7, abs=1e-4)
    assert data["message"].startswith("2 of 7 points")


def test_an_upload_without_a_module_of_the_package_is_not_gradable(tmp_path):
    status, data = grade_job(tmp_path / "grade", {"notes.txt": NAMED["exercises"] / "__init__.py"})
    assert status == 0 and data["gradable"] is False
    assert "no file of the package" in data["message"] and "layers.py" in data["format_errors"][0]
    status, missing = 0, prairielearn.grade_upload(tmp_path / "nowhere")
    assert missing["gradable"] is False and "does not exist" in missing["message"]


def test_a_grader_failure_still_writes_a_results_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the judge could not start")
    monkeypatch.setattr(runner, "run", broken)
    status, data = grade_job(tmp_path / "grade", {"losses.py": NAMED["exercises"] / "losses.py"},
                             "hinge")
    assert status == 1 and data["gradable"] is False
    assert "the judge could not start" in data["message"]


def test_format_prairielearn_writes_the_results_of_a_grading_run(tmp_path):
    package = tmp_path / "package"
    shutil.copytree(NAMED["exercises"], package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(NAMED["solutions"] / "initializers.py", package / "initializers.py")
    out = tmp_path / "out" / "results.json"
    status = cli.main(["check", "he", "--submission", str(package), "--format", "prairielearn",
                       "--json", str(out)])
    data = read_results(out)
    assert status == 0 and data["score"] == 1.0 and list(by_exercise(data)) == ["init_basic", "xavier", "he"]
    assert "max_score" not in data        # not Gradescope's file


def test_format_prairielearn_on_a_missing_submission_writes_an_ungradable_result(tmp_path, capsys):
    out = tmp_path / "results.json"
    status = cli.main(["--submission", str(tmp_path / "nothing"), "--format", "prairielearn",
                       "--json", str(out)])
    data = read_results(out)
    assert status == 2 and data["gradable"] is False and "not found" in data["message"]


def fake_run(outcomes, exercise="xavier"):
    """A Run of ``exercise`` whose checks ended with ``outcomes`` (no grading)."""
    checks = [runner.Check(f"tests/suites/x.py::test_{n}", exercise, f"test_{n}", outcome,
                           f"wrong value in check {n}. Got 1." if outcome != "passed" else "")
              for n, outcome in enumerate(outcomes)]
    return runner.Run(folder=Path("package"), seed=3, checks=checks)


def test_points_are_rounded_like_the_terminal_report(tmp_path):
    run = fake_run(["passed", "passed"] + ["failed"] * 5)      # 3 points * 2/7 = 0.857...
    results = scoring.summarize(run, ["xavier"])
    data = prairielearn.results_json(run, results)
    assert data["tests"][0]["points"] == 0.86 and data["tests"][0]["max_points"] == 3.0
    assert data["score"] == pytest.approx(2 / 7, abs=1e-4)
    assert "0.86 of 3 points" in data["message"]
    assert not validate(data, 0)


def test_hidden_checks_count_but_their_messages_are_withheld():
    run = fake_run(["passed", "failed", "failed"])
    run.checks[2].visibility = "hidden"
    run.checks[2].message = "the secret hidden input. Got 1."
    data = prairielearn.results_json(run, scoring.summarize(run, ["xavier"]))
    test = data["tests"][0]
    assert test["points"] == 1.0 and "secret" not in json.dumps(data)
    assert "wrong value in check 1" in test["output"] and "hidden checks: 0 of 1 passed" in test["output"]


def readme_info_json():
    """The question's info.json the README's PrairieLearn bullet shows."""
    text = (ROOT / "README.md").read_text()
    bullet = text[text.index("- **PrairieLearn**"):]
    block = re.search(r"```json\n(.*?)```", bullet, re.S).group(1)
    return json.loads(block)


def test_the_readme_setup_grades_a_job_from_the_gradescope_zip(tmp_path):
    options = readme_info_json()["externalGradingOptions"]
    assert options["enabled"] is True and options["timeout"] <= 600     # PrairieLearn's maximum
    root = tmp_path / "grade"
    (folder,) = options["serverFilesCourse"]
    kit = root / "serverFilesCourse" / folder
    gradescope.build_zip(tmp_path / "autograder.zip")
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        archive.extractall(kit)
    assert not (kit / "solutions").exists()
    student = root / "student"
    student.mkdir()
    shutil.copy(NAMED["solutions"] / "layers.py", student / "layers.py")
    # a student's grader.py in the working folder must not be the grader that runs
    (student / "grader.py").write_text("raise SystemExit('the student grader ran')\n")
    command = [sys.executable if part == "/usr/local/bin/python3" else part.replace("/grade", str(root))
               for part in options["entrypoint"]]
    env = {"PATH": os.environ["PATH"],
           **{k: v.replace("/grade", str(root)) for k, v in options["environment"].items()}}
    done = subprocess.run(command, cwd=student, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    data = read_results(root / "results" / "results.json")
    assert data["score"] == 1.0 and list(by_exercise(data)) == catalog.of_modules(["layers"])
    assert int(options["timeout"]) > int(command[command.index("--timeout") + 1])
