"""Checks for the losses (exercises ``cross_entropy``, ``hinge`` and ``regularization``).

A loss returns ``(loss, dscores)``: the loss is a float, the mean over the batch,
and dscores is its exact gradient with the shape and dtype of scores.  Losses
have no upstream gradient: dscores is checked directly against finite differences of
the loss (float64, every coordinate of a small batch), and against the trusted gradients of
tests/trusted_models.py (complex steps of the loss's definition).
"""
import math

import numpy as np
import pytest

from tests.checks import assert_array, assert_close, assert_float, assert_unchanged, snapshot
from tests.gradcheck import assert_gradient, numerical_gradient, sample_indices
from tests.trusted_models import PENALTY, hinge, softmax_loss


def assert_loss_first(name, got, expected, n=None):
    """The loss value, checked before a gradient that is compared with the loss's own finite
    differences: with a wrong loss, a right gradient would look wrong, and the hint misleads."""
    try:
        assert_loss(name, got, expected, n=n)
    except AssertionError as error:
        raise AssertionError(f"{error} Fix the loss value first: the gradient is checked against "
                             f"the finite differences of your loss, so it cannot pass (or "
                             f"passes for the wrong reason) while the loss is wrong.") from None


def loss_of(output):
    """The loss of a loss function's ``(loss, dscores)``."""
    return output[0]


def assert_loss(name, got, expected, n=None, rtol=1e-7):
    """A finite float close to ``expected``; ``n`` lets the message name a missing 1/N."""
    if type(got) in (float, np.float64, np.float32):
        if not np.isfinite(got):
            raise AssertionError(
                f"{name}: got {got} (an exp() that overflows, or log(0) of a softmax that "
                f"underflowed? shift by the max of each row, and take log-probabilities as "
                f"shifted - log(sum(exp(shifted))))")
        assert_close(name, np.array(float(got)), np.array(float(expected)), rtol=rtol, n=n)
    assert_float(name, got, expected, rtol=rtol)


def hinge_scores(rng, n, c, y, delta, gap=1e-3):
    """Scores whose margins s_ij - s_iy + delta are all >= gap from the kink at 0,
    with at least three active and three inactive margins."""
    rows = np.arange(n)
    while True:
        s = rng.standard_normal((n, c))
        m = s - s[rows, y][:, None] + delta
        m[rows, y] = np.nan
        m = m[~np.isnan(m)]
        if np.all(np.abs(m) >= gap) and np.sum(m > 0) >= 3 and np.sum(m < 0) >= 3:
            return s


LOSSES = {
    "cross_entropy": ("softmax_cross_entropy", {}, softmax_loss),
    "hinge": ("hinge_loss", {"delta": 1.0}, lambda s, y: hinge(s, y, 1.0)),
}


def per_loss():
    for exercise, (fn, kwargs, ref) in LOSSES.items():
        yield pytest.param(fn, kwargs, ref, marks=pytest.mark.exercise(exercise), id=fn)


def batch(rng, fn, kwargs, n=None, c=5):
    """A batch whose size N varies from check to check (3 to 9): a 1/N or a wrong N shows."""
    n = int(rng.integers(3, 10)) if n is None else n
    y = rng.integers(0, c, size=n)
    if fn == "hinge_loss":
        return hinge_scores(rng, n, c, y, kwargs["delta"]), y
    return 2.0 * rng.standard_normal((n, c)), y


def call(impl, fn, scores, y, kwargs):
    args = "".join(f", {k}={v:g}" for k, v in kwargs.items())
    return getattr(impl.losses, fn)(scores, y, **kwargs), f"{fn}(scores, y{args})"


# --------------------------------------------------------------- cross_entropy

@pytest.mark.exercise("cross_entropy")
def test_cross_entropy_known_answer(impl):
    # Rows 0 and 1 are the same three scores up to a shift, so with
    # L0 = log(1 + e^-1 + e^-2) (correct class scored highest):
    # loss row 0 = L0, row 1 = 2 + L0 (correct class 2 below the top), row 2 = log 3.
    scores = np.array([[1.0, 2.0, 3.0], [1.0, -1.0, 0.0], [0.5, 0.5, 0.5]])
    y = np.array([2, 1, 0])
    l0 = math.log(1 + math.exp(-1) + math.exp(-2))
    # dscores: the softmax of each row, 1 taken off at its label, all over N = 3 (worked once
    # from p = [e^-2, e^-1, 1] / (1 + e^-1 + e^-2) = [0.0900, 0.2447, 0.6652], then frozen)
    expected = np.array([[0.03001019105679349, 0.08157615701826589, -0.1115863480750594],
                         [0.22174698525827394, -0.30332314227653984, 0.08157615701826589],
                         [-0.22222222222222224, 0.1111111111111111, 0.1111111111111111]])
    (loss, dscores), name = call(impl, "softmax_cross_entropy", scores, y, {})
    assert_loss(f"{name} loss", loss, (l0 + 2 + l0 + math.log(3)) / 3, n=3)
    assert_close(f"{name} dscores", dscores, expected, n=3)


@pytest.mark.exercise("cross_entropy")
def test_cross_entropy_uniform_scores_give_log_c(impl, rng):
    # Every row constant (a different constant per row): p = 1/C, loss = log C;
    # dscores = 1/(C N) = 0.05 off the label, (1/C - 1)/N = -0.2 at it.
    n, c = 4, 5
    scores = np.array([-3.0, 0.0, 2.5, 10.0])[:, None] * np.ones((1, c))
    y = rng.integers(0, c, size=n)
    (loss, dscores), name = call(impl, "softmax_cross_entropy", scores, y, {})
    assert_loss(f"{name} loss", loss, math.log(c), n=n)
    expected = np.full((n, c), 0.05)
    expected[np.arange(n), y] = -0.2
    assert_close(f"{name} dscores", dscores, expected, n=n)


@pytest.mark.exercise("cross_entropy")
def test_cross_entropy_large_logits_stable(impl):
    # Logits ~1000: exp overflows (row 0), underflows to 0/0 (row 2), or log(0) (row 1)
    # unless each row is shifted by its max.  Exact answers:
    # row 0: correct class on top by 1000 -> loss 0, p = onehot;
    # row 1: correct class 2000 below the top -> loss 2000, p = [1, 0, 0];
    # row 2: all equal -> loss log 3, p = 1/3;
    # dscores = (p - 1 at the label) / 3.
    scores = np.array([[1000.0, 2000.0, 3000.0], [1000.0, -1000.0, 0.0],
                       [-1000.0, -1000.0, -1000.0]])
    y = np.array([2, 1, 0])
    (loss, dscores), name = call(impl, "softmax_cross_entropy", scores, y, {})
    assert_loss(f"{name} loss with logits ~1000", loss, (0 + 2000 + math.log(3)) / 3, n=3)
    expected = np.array([[0.0, 0.0, 0.0], [1 / 3, -1 / 3, 0.0], [-2 / 9, 1 / 9, 1 / 9]])
    assert_close(f"{name} dscores with logits ~1000", dscores, expected, atol=1e-15, n=3)


# ------------------------------------------------------------------------ hinge

# Two rows, three classes; margins s_ij - s_iy + delta for j != y_i:
#   row 0, y=0, s=[3, 2.5, 2.2]:  delta=1: 0.5, 0.2 (both active); delta=0.25: -0.25, -0.55
#   row 1, y=2, s=[1, 3, 2.5]:    delta=1: -0.5, 1.5;               delta=0.25: -1.25, 0.75
HINGE_SCORES, HINGE_Y = np.array([[3.0, 2.5, 2.2], [1.0, 3.0, 2.5]]), np.array([0, 2])
HINGE_CASES = [
    pytest.param(1.0, (0.5 + 0.2 + 1.5) / 2, [[-2.0, 1.0, 1.0], [0.0, 1.0, -1.0]], id="delta=1"),
    pytest.param(0.25, 0.75 / 2, [[0.0, 0.0, 0.0], [0.0, 1.0, -1.0]], id="delta=0.25"),
]


@pytest.mark.exercise("hinge")
@pytest.mark.parametrize("delta,loss,counts", HINGE_CASES)
def test_hinge_known_answer(impl, delta, loss, counts):
    (got, dscores), name = call(impl, "hinge_loss", HINGE_SCORES.copy(), HINGE_Y, {"delta": delta})
    if type(got) in (float, np.float64, np.float32) and abs(got - (loss + delta)) < 1e-9:
        raise AssertionError(f"{name} loss: expected {loss}, got {got}, larger by exactly delta "
                             f"(1/N * N * delta): the correct class j = y_i is counted as a "
                             f"margin; sum over j != y_i only")
    assert_loss(f"{name} loss", got, loss)
    assert_close(f"{name} dscores", dscores, np.array(counts) / 2)


@pytest.mark.exercise("hinge")
@pytest.mark.parametrize("delta,loss,counts", HINGE_CASES)
def test_hinge_mean_over_batch(impl, delta, loss, counts):
    # The hand case stacked three times (N = 6): same loss, dscores divided by 3.
    scores, y = np.tile(HINGE_SCORES, (3, 1)), np.tile(HINGE_Y, 3)
    (got, dscores), name = call(impl, "hinge_loss", scores, y, {"delta": delta})
    assert_loss(f"{name} loss (N = 6)", got, loss, n=6)
    assert_close(f"{name} dscores (N = 6)", dscores, np.tile(counts, (3, 1)) / 6, n=6)


@pytest.mark.exercise("hinge")
@pytest.mark.parametrize("delta", [1.0, 0.5], ids=["delta=1", "delta=0.5"])
def test_hinge_gradient(impl, rng, delta):
    n, c = int(rng.integers(3, 10)), 5
    y = rng.integers(0, c, size=n)
    scores = hinge_scores(rng, n, c, y, delta)
    (loss, dscores), name = call(impl, "hinge_loss", scores.copy(), y, {"delta": delta})
    ref_loss, _ = hinge(scores, y, delta)
    assert_loss_first(f"{name} loss", loss, ref_loss, n=n)
    numeric = numerical_gradient(loss_of, (impl.losses.hinge_loss, (scores, y), {"delta": delta}), 0,
                                 sample_indices(scores.shape, rng, 30))
    assert_gradient(f"{name} dscores", dscores, numeric, scores.shape)


# ------------------------------------------ both losses: generic checks per loss

@pytest.mark.parametrize("fn,kwargs,ref", list(per_loss()))
def test_loss_random_batch(impl, rng, fn, kwargs, ref):
    scores, y = batch(rng, fn, kwargs)
    (loss, dscores), name = call(impl, fn, scores, y, kwargs)
    ref_loss, ref_d = ref(scores, y)
    assert_loss(f"{name} loss", loss, ref_loss, n=len(y))
    assert_close(f"{name} dscores", dscores, ref_d, n=len(y))
    # to the precision of a formula: finite differences in disguise reach ~1e-11 at best
    assert_close(f"{name} dscores, to the precision of an analytic formula (a numerical "
                 f"gradient is not accepted)", dscores, ref_d, rtol=1e-12, atol=1e-14)


@pytest.mark.exercise("cross_entropy")
def test_cross_entropy_gradient(impl, rng):
    scores, y = batch(rng, "softmax_cross_entropy", {})
    (loss, dscores), name = call(impl, "softmax_cross_entropy", scores.copy(), y, {})
    assert_loss_first(f"{name} loss", loss, softmax_loss(scores, y)[0], n=len(y))
    numeric = numerical_gradient(loss_of, (impl.losses.softmax_cross_entropy, (scores, y)), 0,
                                 sample_indices(scores.shape, rng, 30))
    assert_gradient(f"{name} dscores", dscores, numeric, scores.shape)


@pytest.mark.parametrize("fn,kwargs,ref", list(per_loss()))
def test_loss_inputs_unchanged(impl, rng, fn, kwargs, ref):
    scores, y = batch(rng, fn, kwargs)
    before = snapshot(scores, y)
    (loss, dscores), name = call(impl, fn, scores, y, kwargs)
    assert_unchanged("scores", before[0], scores)
    assert_unchanged("y", before[1], y)
    ref_loss, ref_d = ref(scores, y)
    assert_loss(f"{name} loss", loss, ref_loss, n=len(y))
    assert_close(f"{name} dscores", dscores, ref_d, n=len(y))


@pytest.mark.parametrize("fn,kwargs,ref", list(per_loss()))
def test_loss_float32_keeps_dtype(impl, rng, fn, kwargs, ref):
    scores, y = batch(rng, fn, kwargs)
    scores32 = scores.astype(np.float32)
    (loss, dscores), name = call(impl, fn, scores32, y, kwargs)
    ref_loss, ref_d = ref(scores32, y)
    assert_loss(f"{name} loss in float32", loss, ref_loss, rtol=1e-5)
    assert_close(f"{name} dscores in float32", dscores, ref_d.astype(np.float32),
                 rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("fn,kwargs,ref", list(per_loss()))
def test_loss_twice_same_result(impl, rng, fn, kwargs, ref):
    scores, y = batch(rng, fn, kwargs)
    (loss1, d1), name = call(impl, fn, scores, y, kwargs)
    d1 = np.array(d1, copy=True) if type(d1) is np.ndarray else d1
    (loss2, d2), _ = call(impl, fn, scores, y, kwargs)
    assert_loss(f"{name} loss (second call)", loss2, loss1, rtol=0)
    assert_close(f"{name} dscores (second call)", d2, d1, rtol=0, atol=0)


# --------------------------------------------------------------- regularization

def l1_weights(rng, shape):
    """Weights at least 0.1 away from 0, where |W| has its kink."""
    w = rng.standard_normal(shape)
    return np.sign(w) * (0.1 + np.abs(w))


PENALTIES = [
    # W = [[1, -2], [0.5, 3]], reg = 0.1:
    # L2: 0.5 * 0.1 * (1 + 4 + 0.25 + 9) = 0.7125, dW = 0.1 * W
    # L1: 0.1 * (1 + 2 + 0.5 + 3) = 0.65,          dW = 0.1 * sign(W)
    pytest.param("l2_regularization", 0.7125, [[0.1, -0.2], [0.05, 0.3]], id="l2"),
    pytest.param("l1_regularization", 0.65, [[0.1, -0.1], [0.1, 0.1]], id="l1"),
]
PENALTY_NAMES = [pytest.param("l2_regularization", id="l2"),
                 pytest.param("l1_regularization", id="l1")]

REGULARIZATION = pytest.mark.exercise("regularization")


@REGULARIZATION
@pytest.mark.parametrize("fn,loss,grad", PENALTIES)
def test_regularization_known_answer(impl, fn, loss, grad):
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    got, dW = getattr(impl.losses, fn)(W, 0.1)
    assert_loss(f"{fn}(W, reg=0.1) loss", got, loss)
    assert_close(f"{fn}(W, reg=0.1) dW", dW, np.array(grad))


@REGULARIZATION
@pytest.mark.parametrize("fn", PENALTY_NAMES)
@pytest.mark.parametrize("shape", [(5, 4), (3, 2, 3, 3)], ids=["5x4", "3x2x3x3"])
def test_regularization_gradient(impl, rng, fn, shape):
    W, reg = l1_weights(rng, shape), 0.3
    penalty = getattr(impl.losses, fn)
    loss, dW = penalty(W.copy(), reg)
    definition = PENALTY["l2" if fn.startswith("l2") else "l1"][0]
    assert_loss_first(f"{fn}(W, reg={reg}) loss", loss, definition(W, reg))
    numeric = numerical_gradient(loss_of, (penalty, (W, reg)), 0, sample_indices(W.shape, rng, 30))
    assert_gradient(f"{fn}(W, reg={reg}) dW", dW, numeric, W.shape)


@REGULARIZATION
def test_l1_gradient_at_zero(impl):
    W = np.array([[0.0, -2.0], [0.5, 0.0]])
    loss, dW = impl.losses.l1_regularization(W, 0.1)
    assert_loss("l1_regularization(W with zeros, reg=0.1) loss", loss, 0.25)
    assert_close("l1_regularization(W with zeros, reg=0.1) dW (0 where W = 0)", dW,
                 np.array([[0.0, -0.1], [0.1, 0.0]]))


@REGULARIZATION
@pytest.mark.parametrize("fn", PENALTY_NAMES)
def test_regularization_zero_reg(impl, rng, fn):
    W = l1_weights(rng, (4, 3))
    loss, dW = getattr(impl.losses, fn)(W, 0.0)
    assert_loss(f"{fn}(W, reg=0) loss", loss, 0.0)
    assert_close(f"{fn}(W, reg=0) dW", dW, np.zeros_like(W))


@REGULARIZATION
@pytest.mark.parametrize("fn", PENALTY_NAMES)
def test_regularization_inputs_unchanged_and_float32(impl, rng, fn):
    W = l1_weights(rng, (4, 3))
    before = snapshot(W)
    loss64, dW64 = getattr(impl.losses, fn)(W, 0.2)
    assert_unchanged("W", before[0], W)
    W32 = W.astype(np.float32)
    loss32, dW32 = getattr(impl.losses, fn)(W32, 0.2)
    assert_unchanged("W (float32)", before[0].astype(np.float32), W32)
    assert_array(f"{fn}(W, reg=0.2) dW (float64)", dW64, W.shape, np.float64)
    assert_loss(f"{fn}(W float32, reg=0.2) loss", loss32, loss64, rtol=1e-5)
    assert_close(f"{fn}(W float32, reg=0.2) dW", dW32, dW64.astype(np.float32), rtol=1e-5)
