"""The feedback a student reads for realistic mistakes (fixtures in tests/meta/mistakes/).

Each mistake is planted in a copy of the solutions and graded by the real runner;
its exercise's feedback must name the cause, and must read exactly as the fixture.
"""
import os

import numpy as np
import pytest

from grader import report, runner, scoring
from tests.checks import assert_close
from tests.meta.mistakes import HERE, MISTAKES, normalize
from tests.meta.planting import plant


def feedback_of(tmp_path, name):
    exercise, module, old, new, _ = MISTAKES[name]
    folder = plant(tmp_path, module, old, new)
    run = runner.run(folder, exercises=[exercise])
    (result,) = scoring.summarize(run, [exercise])
    return result, normalize("\n".join(report.feedback(result)).strip(), folder)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_feedback_names_the_cause(tmp_path, name):
    result, text = feedback_of(tmp_path, name)
    assert result.status in ("failed", "error"), text
    missing = [phrase for phrase in MISTAKES[name][4] if phrase not in text]
    assert not missing, f"feedback lacks {missing}:\n{text}"
    leaked = [word for word in ("tests/", "_pytest", "grader/", "<frozen") if word in text]
    assert not leaked, f"feedback shows the grader's own frames {leaked}:\n{text}"
    fixture = HERE / f"{name}.txt"
    if os.environ.get("SOPHIA_REGENERATE"):
        fixture.write_text(text + "\n")
    assert text == fixture.read_text().rstrip("\n"), f"feedback changed:\n{text}"


def test_feedback_shows_shape_dtype_and_worst_entry():
    got = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(AssertionError) as caught:
        assert_close("out", got, got * 2, n=2)
    message = str(caught.value)
    assert message.startswith("out (2, 2) float64: 4 of 4 entries differ")
    assert "worst at index (1, 1): expected 8, got 4." in message
    assert "half the expected value" in message


def test_feedback_recognises_a_missing_bias_and_a_constant_offset():
    expected = np.arange(6.0).reshape(3, 2)
    with pytest.raises(AssertionError, match="same in every row"):
        assert_close("out", expected + np.array([1.0, -2.0]), expected)
    with pytest.raises(AssertionError, match="off by the same 0.5"):
        assert_close("out", expected + 0.5, expected)


def test_only_the_first_failures_are_shown_in_full():
    checks = [runner.Check(f"n{i}", "linear", f"check_{i}", "failed", f"line one {i}\nline two {i}")
              for i in range(report.FULL_FAILURES + 2)]
    result = scoring.ExerciseResult(scoring.catalog.get("linear"), checks, "failed", 0.0)
    text = "\n".join(report.feedback(result))
    assert text.count("line two") == report.FULL_FAILURES
    assert f"x check_{report.FULL_FAILURES + 1}: line one {report.FULL_FAILURES + 1}" in text


def test_the_root_cause_comes_first_and_all_shows_every_failure():
    messages = [f"dx: wrong values {i}\nmore {i}" for i in range(report.FULL_FAILURES + 1)]
    messages.append("x was modified in place: work on a copy")
    checks = [runner.Check(f"n{i}", "linear", f"check_{i}", "failed", m) for i, m in enumerate(messages)]
    result = scoring.ExerciseResult(scoring.catalog.get("linear"), checks, "failed", 0.0)
    lines = report.feedback(result)
    assert "check_4" in lines[2] and "modified in place" in lines[3], lines
    assert "\n".join(report.feedback(result, full=None)).count("more ") == report.FULL_FAILURES + 1
    run = runner.Run(folder=report.Path("exercises"), seed=0, checks=checks)
    text = report.terminal(run, scoring.summarize(run, ["linear"]), colour=False, every_failure=True)
    assert text.count("more ") == report.FULL_FAILURES + 1


def test_numbers_read_as_a_person_reads_them():
    from tests.checks import assert_float
    with pytest.raises(AssertionError) as caught:
        assert_float("loss", np.float64(1.0), np.float64(0.5))
    message = str(caught.value)
    assert message.startswith("loss: expected 0.5, got 1.0. Got twice"), message
    assert "np.float64" not in message
    with pytest.raises(AssertionError) as caught:
        assert_close("loss", np.array(2.0), np.array(1.0))
    message = str(caught.value)
    assert message.startswith("loss (float64): expected 1, got 2. Got twice"), message
    assert "index ()" not in message and "shape" not in message
