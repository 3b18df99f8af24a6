"""The kit's invariants: solutions score 100 %, pristine stubs 0 % (all not started),
exercises/ is what the generator makes, and catalog, code and checks agree."""
import ast
import re
import subprocess
import sys

import pytest

from grader import catalog, runner, scoring
from grader.build import BEGIN, END, stale_files, strip_solutions
from grader.implementation import NAMED, ROOT


@pytest.fixture(scope="module")
def solutions_run():
    return runner.run("solutions")


@pytest.fixture(scope="module")
def stubs_run():
    return runner.run("exercises")


def test_solutions_score_100_percent(solutions_run):
    failed = [(c.nodeid, c.outcome, c.message[:300]) for c in solutions_run.checks
              if c.outcome != "passed"]
    assert not failed
    score, most = scoring.total(scoring.summarize(solutions_run))
    assert score == most > 0


def test_stubs_score_0_with_every_check_not_started(stubs_run):
    assert stubs_run.checks
    assert {c.outcome for c in stubs_run.checks} == {"not_started"}
    results = scoring.summarize(stubs_run)
    assert scoring.total(results)[0] == 0
    assert {r.status for r in results} == {"not started"}


def test_every_catalog_exercise_has_checks_and_every_check_an_exercise(solutions_run):
    graded = {c.exercise for c in solutions_run.checks}
    assert graded == {e.id for e in catalog.exercises()}


def test_each_exercise_s_checks_live_in_its_catalog_suite(solutions_run):
    """`check ID` collects only the exercise's suite file and its hidden checks (tests/hidden/ under
    the same name): a check elsewhere would be lost."""
    misplaced = [c.nodeid for c in solutions_run.checks
                 if not c.nodeid.startswith((f"tests/suites/{catalog.get(c.exercise).suite}::",
                                             f"tests/hidden/{catalog.get(c.exercise).suite}::"))]
    assert not misplaced
    hidden = [c for c in solutions_run.checks if c.nodeid.startswith("tests/hidden/")]
    assert hidden and all(c.visibility in ("hidden", "after_due_date") for c in hidden)


def test_exercises_folder_is_what_the_generator_makes():
    assert stale_files(NAMED["solutions"], NAMED["exercises"]) == []


def student_functions():
    """Qualified names of every marked solution block in solutions/."""
    names = []
    for path in sorted(NAMED["solutions"].glob("*.py")):
        stub = strip_solutions(path.read_text(), str(path))
        names += re.findall(r'raise NotImplementedError\("([\w.]+)"\)', stub)
    return names


def test_every_student_function_belongs_to_exactly_one_exercise():
    owners = {}
    for exercise in catalog.exercises():
        for name in exercise.functions:
            owners.setdefault(name, []).append(exercise.id)
    functions = student_functions()
    assert sorted(set(functions)) == sorted(owners), "catalog functions != marked blocks"
    assert all(len(ids) == 1 for ids in owners.values()), owners


def test_catalog_is_well_formed():
    ids = [e.id for e in catalog.exercises()]
    assert len(ids) == len(set(ids))
    seen = set()
    for exercise in catalog.exercises():
        assert set(exercise.requires) <= seen, f"{exercise.id} requires a later exercise"
        assert len(exercise.hints) >= 3 and exercise.points > 0
        assert (NAMED["solutions"] / f"{exercise.module}.py").is_file()
        seen.add(exercise.id)


def test_check_ids_read_like_the_curriculum(solutions_run):
    def generated(token):   # pytest's fallback ids look like fn0, shape1, case12
        return re.fullmatch(r"[a-z_]{2,}\d+", token) and not re.fullmatch(r"(u?int|float)\d+", token)
    vague = [c.name for c in solutions_run.checks
             if "[" in c.name and any(generated(t) for t in c.name[:-1].split("[", 1)[1].split("-"))]
    assert not vague, f"parametrize with ids=: {vague[:5]}"


def test_packages_use_relative_imports_only():
    for folder in (NAMED["solutions"], NAMED["exercises"]):
        for path in folder.glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    assert node.module.split(".")[0] not in ("solutions", "exercises"), path


def test_every_marker_sits_in_a_function_and_is_closed():
    for path in NAMED["solutions"].glob("*.py"):
        stub = strip_solutions(path.read_text(), str(path))  # raises MarkerError otherwise
        markers = [line for line in stub.splitlines() if BEGIN.match(line) or END.match(line)]
        assert not markers, f"{path.name}: {markers}"


def test_grader_on_the_stubs_prints_zero_and_the_next_exercise():
    done = subprocess.run([sys.executable, "-m", "grader", "--no-colour"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first = catalog.exercises()[0]
    assert re.search(r"^score: 0 / \d+ \(0 %\)", done.stdout, re.M), done.stdout
    assert f"next: {first.id}:" in done.stdout
