"""Hidden checks: graded with the visible ones where the instructor grades, their feedback kept
out of what a student sees on a platform, never in a handout."""
import functools
import shutil

import pytest

from grader import catalog, report, runner, sandbox, scoring
from grader.implementation import NAMED, ROOT

HIDDEN_LINEAR = '''
import numpy as np
import pytest

pytestmark = pytest.mark.exercise("linear")


def test_linear_output_shape_on_a_batch_of_seven(impl, rng):
    out = impl.layers.Linear(3, 2, rng).forward(rng.standard_normal((7, 3)))
    assert out.shape == (7, 2), f"secret message: got shape {out.shape}"


@pytest.mark.visibility("after_due_date")
def test_linear_bias_is_added(impl, rng):
    layer = impl.layers.Linear(2, 2, rng)
    assert np.allclose(layer.forward(np.zeros((1, 2))), layer.params["b"]), "secret: bias"
'''


@pytest.fixture
def kit_with_hidden(tmp_path, monkeypatch):
    """A copy of the kit whose tests/hidden holds two checks of `linear`; the runner grades it."""
    kit = tmp_path / "kit"
    for name in sandbox.KIT:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, kit / name, ignore=shutil.ignore_patterns("__pycache__", "hidden"))
        else:
            shutil.copyfile(ROOT / name, kit / name)
    (kit / "tests" / "hidden").mkdir()
    (kit / "tests" / "hidden" / "test_linear.py").write_text(HIDDEN_LINEAR)
    monkeypatch.setattr(runner.sandbox, "copy_kit", functools.partial(sandbox.copy_kit, root=kit))
    return kit


def linear_tests(folder):
    run = runner.run(folder, exercises=["linear"])
    results = scoring.summarize(run, ["linear"])
    return run, results, report.results_json(run, results)["tests"]


def test_hidden_checks_count_and_have_their_own_hidden_tests(kit_with_hidden):
    run, results, tests = linear_tests("solutions")
    kinds = {c.name: c.visibility for c in run.checks}
    assert kinds["test_linear_output_shape_on_a_batch_of_seven"] == "hidden"
    assert kinds["test_linear_bias_is_added"] == "after_due_date"
    visible = sum(v == "visible" for v in kinds.values())
    assert visible >= 5 and results[0].score == results[0].max_score == 6
    assert [t["visibility"] for t in tests] == ["visible", "after_due_date", "hidden"]
    assert [t["name"].endswith("(hidden checks)") for t in tests] == [False, True, True]
    shares = [t["max_score"] for t in tests]
    assert sum(shares) == pytest.approx(6, abs=1e-9) and shares[1] == pytest.approx(6 / len(kinds), abs=1e-4)
    assert all(t["score"] == t["max_score"] for t in tests)


def test_a_student_never_sees_the_feedback_of_hidden_checks(kit_with_hidden, tmp_path):
    path = kit_with_hidden / "tests" / "hidden" / "test_linear.py"
    path.write_text(path.read_text().replace("(7, 2)", "(7, 3)"))     # this hidden check now fails
    run, results, tests = linear_tests("solutions")
    visible, after, hidden = tests
    assert results[0].status == "failed" and hidden["score"] == 0 < visible["score"]
    assert visible["status"] == "passed" and visible["output"].startswith("all ")
    assert "secret message: got shape (7, 2)" in hidden["output"]
    # a forward that is off by 0.001: visible and hidden checks fail together
    shutil.copytree(NAMED["solutions"], tmp_path / "wrong", ignore=shutil.ignore_patterns("__pycache__"))
    layers = tmp_path / "wrong" / "layers.py"
    layers.write_text(layers.read_text().replace('+ self.params["b"]\n', '+ self.params["b"] + 1e-3\n', 1))
    run, results, (visible, after, hidden) = linear_tests(tmp_path / "wrong")
    assert visible["status"] == after["status"] == hidden["status"] == "failed"
    assert "secret" in hidden["output"] + after["output"]
    assert "secret" not in visible["output"] and "batch_of_seven" not in visible["output"]


def test_without_hidden_checks_each_exercise_is_one_visible_test():
    run, results, tests = linear_tests(NAMED["solutions"])
    assert {c.visibility for c in run.checks if not c.nodeid.startswith("tests/hidden")} == {"visible"}
    ours = [t for t in tests if not t["name"].endswith("(hidden checks)")]
    assert len(ours) == 1 and ours[0]["visibility"] == "visible"


def test_a_misspelt_visibility_stops_the_run_by_name(kit_with_hidden):
    path = kit_with_hidden / "tests" / "hidden" / "test_linear.py"
    path.write_text(path.read_text().replace('"after_due_date"', '"after_deadline"'))
    run = runner.run("solutions", exercises=["linear"])
    assert not run.checks and "visibility 'after_deadline'" in run.output


def test_a_run_without_hidden_checks_is_what_a_handout_grades(kit_with_hidden):
    run = runner.run("solutions", exercises=["linear"], hidden=False)
    assert run.checks and {c.visibility for c in run.checks} == {"visible"}
    everything = runner.run("solutions", hidden=False)
    assert not [c for c in everything.checks if c.nodeid.startswith("tests/hidden/")]
    assert {c.exercise for c in everything.checks} == {e.id for e in catalog.exercises()}
