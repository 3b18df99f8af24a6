"""Kit self-test: bad input to the initializers and losses raises a ValueError that
names the function and what was expected against what was given.

These run against the package under test (the reference solutions by default);
the checks in inputs.py sit outside the student's blocks, so they hold for the
stubs too.  They carry no exercise marker: they earn no points.
"""
import re

import numpy as np
import pytest

LOSS_FUNCTIONS = ["softmax_cross_entropy", "hinge_loss"]
PENALTIES = ["l2_regularization", "l1_regularization"]
RANDOM_INITS = ["small_normal", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal"]


def raises(where, message):
    """pytest.raises(ValueError) whose message starts with ``where: `` and contains ``message``."""
    return pytest.raises(ValueError, match=re.escape(where) + ": .*" + re.escape(message))


def good_scores():
    return np.zeros((5, 3)), np.array([0, 1, 2, 1, 0])


# ---------------------------------------------------------------------- losses

BAD_SCORES = [
    pytest.param(np.zeros(5), "scores must have shape (N, C), got shape (5,)", id="1-d scores"),
    pytest.param(np.zeros((5, 3, 2)), "scores must have shape (N, C), got shape (5, 3, 2)",
                 id="3-d scores"),
    pytest.param(np.zeros((5, 3), dtype=np.int64), "scores must be a float array",
                 id="integer scores"),
    pytest.param(np.zeros((5, 3), dtype=object), "got dtype object", id="object scores"),
]


@pytest.mark.parametrize("fn", LOSS_FUNCTIONS)
@pytest.mark.parametrize("scores,message", BAD_SCORES)
def test_loss_rejects_bad_scores(impl, fn, scores, message):
    with raises(fn, message):
        getattr(impl.losses, fn)(scores, np.array([0, 1, 2, 1, 0]))


BAD_LABELS = [
    pytest.param(np.array([0, 1, 2, 1]),
                 "labels y must have shape (5,) to match scores (5, 3), got shape (4,)",
                 id="too few labels"),
    pytest.param(np.array([[0], [1], [2], [1], [0]]),
                 "labels y must have shape (5,) to match scores (5, 3), got shape (5, 1)",
                 id="labels as a column"),
    pytest.param(np.array([0, 1, 3, 1, 0]), "labels must lie in [0, 3), got values from 0 to 3",
                 id="label equal to C"),
    pytest.param(np.array([0, -1, 2, 1, 0]), "labels must lie in [0, 3), got values from -1 to 2",
                 id="negative label"),
    pytest.param(np.array([0.0, 1.0, 2.0, 1.0, 0.0]),
                 "labels y must be integers, got dtype float64",
                 id="float labels"),
]


@pytest.mark.parametrize("fn", LOSS_FUNCTIONS)
@pytest.mark.parametrize("y,message", BAD_LABELS)
def test_loss_rejects_bad_labels(impl, fn, y, message):
    with raises(fn, message):
        getattr(impl.losses, fn)(np.zeros((5, 3)), y)


@pytest.mark.parametrize("fn", PENALTIES)
@pytest.mark.parametrize("W", [pytest.param(np.ones((3, 2), dtype=np.int64), id="integer W"),
                               pytest.param(np.ones((3, 2), dtype=object), id="object W")])
def test_penalty_rejects_non_float_weights(impl, fn, W):
    with raises(fn, f"W must be a float array (float32 or float64), got dtype {W.dtype}"):
        getattr(impl.losses, fn)(W, 0.1)


# ---------------------------------------------------------------- initializers

BAD_RNGS = [pytest.param(np.random, "got module", id="np.random"),
            pytest.param(0, "got int", id="int seed"),
            pytest.param(np.random.RandomState(0), "got RandomState", id="RandomState"),
            pytest.param(None, "got NoneType", id="None")]


@pytest.mark.parametrize("fn", RANDOM_INITS)
@pytest.mark.parametrize("rng,message", BAD_RNGS)
def test_initializer_rejects_non_generator_rng(impl, fn, rng, message):
    with raises(fn, "rng must be a numpy Generator (np.random.default_rng(seed)), " + message):
        getattr(impl.initializers, fn)((4, 3), rng)


BAD_SHAPES = [pytest.param((5,), "shape must hold at least two positive sizes, got (5,)",
                           id="1-d shape"),
              pytest.param((3, 0), "shape must hold at least two positive sizes, got (3, 0)",
                           id="zero size"),
              pytest.param((4, -2), "shape must hold at least two positive sizes, got (4, -2)",
                           id="negative size"),
              pytest.param(7, "shape must be a tuple of ints, got 7", id="int shape")]


def call_initializer(impl, fn, shape):
    init = impl.initializers
    if fn == "constant":
        return init.constant(shape, 0.5)
    if fn in ("zeros", "fans"):
        return getattr(init, fn)(shape)
    return getattr(init, fn)(shape, np.random.default_rng(0))


@pytest.mark.parametrize("fn", ["zeros", "constant", "fans"] + RANDOM_INITS)
@pytest.mark.parametrize("shape,message", BAD_SHAPES)
def test_initializer_rejects_bad_shape(impl, fn, shape, message):
    with raises(fn, message):
        call_initializer(impl, fn, shape)


def test_good_input_is_accepted(impl):
    """The checks above must not reject valid input: lists, float32, uint labels."""
    scores, y = good_scores()
    impl.module("inputs").check_scores_labels(scores.astype(np.float32), y.astype(np.uint8), "f")
    impl.module("inputs").check_scores_labels(scores.tolist(), y.tolist(), "f")
    assert impl.module("inputs").check_shape([4, 3], "f") == (4, 3)
    impl.module("inputs").check_rng(np.random.default_rng(0), "f")


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "hinge_loss"])
def test_losses_reject_an_empty_batch(impl, loss):
    with pytest.raises(ValueError, match=r"N, C >= 1\), got shape \(0, 3\)"):
        getattr(impl.losses, loss)(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))


@pytest.mark.parametrize("shape", [(4.7, 3), (True, 3)], ids=["float-size", "bool-size"])
def test_initializers_reject_non_integer_sizes(impl, shape):
    with pytest.raises(ValueError, match="zeros: shape must be a tuple of ints"):
        impl.initializers.zeros(shape)


@pytest.mark.parametrize("a, b", [(np.zeros(3), np.zeros(4)), (np.zeros(0), np.zeros(0))],
                         ids=["shape-mismatch", "empty"])
def test_relative_error_rejects_mismatched_or_empty_arrays(impl, a, b):
    with pytest.raises(ValueError, match=r"relative_error: a and b must have the same, non-empty"):
        impl.numgrad.relative_error(a, b)
