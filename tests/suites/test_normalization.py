"""Checks for the normalization layers: exercises batchnorm, batchnorm2d and layernorm.

Known answers: worked out by hand in the first checks (eps chosen so that var + eps is a
perfect square), and, for inputs written by hand below, frozen in KNOWN at the end (with
what each named slip gives); gradient checks of the layer's own forward; and properties
(mean beta and std gamma, examples independent, float32 like float64). The checks against
references on random inputs are the hidden ones (tests/hidden/test_normalization.py). The
layer gets copies of the inputs, except in the inputs-unchanged checks: a layer that
writes into x is named there.
"""
import math

import numpy as np
import pytest

from grader.remote import fill
from tests.checks import assert_array, assert_close, assert_no_slip, assert_unchanged, snapshot
from tests.gradcheck import check_layer_gradients

EPS = 1e-5                  # the layers' default

# ---- helpers ---------------------------------------------------------------------------------

def features(rng, n, d):
    """(N, D) inputs whose features have different means and scales, as after a Linear layer."""
    return rng.uniform(-3.0, 3.0, d) + rng.uniform(0.5, 2.0, d) * rng.standard_normal((n, d))


def affine(rng, d):
    """Non-trivial gamma (either sign, away from 0) and beta: the defaults 1 and 0 hide slips."""
    return rng.choice([-1.0, 1.0], d) * rng.uniform(0.5, 2.0, d), rng.standard_normal(d)


def make_batchnorm(impl, rng, d, cls="BatchNorm1d", **settings):
    """A batchnorm layer with random gamma and beta filled in; returns (layer, gamma, beta)."""
    layer = getattr(impl.normalization, cls)(d, **settings)
    gamma, beta = affine(rng, d)
    fill(layer, ("params", "gamma"), gamma)
    fill(layer, ("params", "beta"), beta)
    return layer, gamma, beta


def set_running(layer, rng, d):
    """Running statistics far from the defaults (zeros, ones); returns (mean, var)."""
    mean, var = rng.uniform(-2.0, 2.0, d), rng.uniform(0.3, 3.0, d)
    fill(layer, ("running_mean",), mean)
    fill(layer, ("running_var",), var)
    return mean, var


def set_mode(layer, mode):
    return layer.train() if mode == "train" else layer.eval()


MODES = pytest.mark.parametrize("mode", ["train", "eval"])

ONLY_CONSTANTS = ("the batch mean and variance depend on every x_n too: their terms are missing "
                  "from dx (in training they are not constants)")
NO_VAR_TERM = "the variance's term is missing from dx (the variance depends on every x_n too)"
NO_MEAN_TERM = "the mean's term is missing from dx (the mean depends on every x_n too)"
NO_GAMMA = "dx lacks the factor gamma (dL/dx_hat is dout * gamma)"
DGAMMA_NO_X_HAT = 'grads["gamma"] sums dout without the factor x_hat (out = gamma * x_hat + beta)'
DGAMMA_RAW_X = 'grads["gamma"] uses x where the normalized x_hat belongs'
EPS_MISSING = ("eps belongs inside the square root: sqrt(var + eps), not var(x + eps) "
               "(adding eps to x leaves the variance unchanged), nor sqrt(var)")
EPS_OUTSIDE = "eps is added outside the square root: sqrt(var) + eps; it belongs inside, sqrt(var + eps)"
UNBIASED = ("normalized with the unbiased variance (divided by N - 1): the variance that "
            "normalizes is the biased one, divided by N")


# ---- known answers ---------------------------------------------------------------------------
# Inputs written by hand. KNOWN (at the end) holds what the references of the hidden checks
# give for them, and what each named slip gives, frozen; known(name) reads one entry as arrays.

BN_X = np.array([[1.2, -0.4, 2.5], [0.3, 1.1, -1.7], [-0.8, 0.6, 0.9], [2.1, -1.5, 0.2]])
BN_DOUT = np.array([[0.7, -1.3, 0.4], [-0.2, 0.9, 1.5], [1.1, 0.3, -0.6], [-0.5, -0.8, 0.2]])
BN_GAMMA, BN_BETA = np.array([1.5, -0.7, 0.9]), np.array([0.2, -0.4, 1.1])
RUNNING_MEAN, RUNNING_VAR = np.array([0.4, -0.9, 1.3]), np.array([0.6, 2.2, 1.4])
RUN_BATCHES = [np.array([[0.5, 2.0], [1.5, -1.0], [-0.5, 0.5], [2.5, 1.5]]),
               np.array([[1.0, 0.2], [3.0, -0.6], [-1.0, 1.4]]),
               np.array([[0.8, -2.0], [2.2, 1.0]])]
BN2D_X = np.array([[[[0.9, -1.1, 2.0], [0.3, 1.6, -0.4]], [[3.1, 2.2, 1.5], [4.0, 2.7, 3.3]]],
                   [[[-0.6, 0.1, 1.2], [-1.8, 0.7, 0.4]], [[2.5, 3.8, 1.9], [2.9, 3.6, 1.1]]]])
BN2D_DOUT = np.array([[[[0.4, -0.9, 1.3], [0.2, -0.5, 0.8]], [[-1.2, 0.6, 0.1], [0.9, -0.3, 1.4]]],
                      [[[1.1, 0.3, -0.7], [-0.6, 1.5, 0.2]], [[0.5, -1.0, 0.7], [-0.4, 0.8, -1.1]]]])
BN2D_GAMMA, BN2D_BETA = np.array([1.3, -0.8]), np.array([0.5, -0.2])
BN2D_BATCHES = [BN2D_X, np.array([[[[1.4, -0.2]], [[2.0, 3.5]]], [[[0.6, 2.4]], [[1.2, 4.1]]]])]
LN_X = np.array([[[1.2, -0.4, 2.5], [0.3, 1.1, -1.7]], [[-0.8, 0.6, 0.9], [4.1, 2.5, 3.0]]])
LN_DOUT = np.array([[[0.7, -1.3, 0.4], [-0.2, 0.9, 1.5]], [[1.1, 0.3, -0.6], [-0.5, -0.8, 0.2]]])
LN_GAMMA, LN_BETA = np.array([1.5, -0.7, 0.9]), np.array([0.2, -0.4, 1.1])
LN_ROW = np.array([0.5, -1.5, 2.5, 1.0, -0.5])


def known(name):
    """KNOWN[name] as float64 arrays."""
    return {key: np.array(value, dtype=np.float64) for key, value in KNOWN[name].items()}


def filled(impl, cls, gamma, beta, **settings):
    """impl.normalization.<cls>(len(gamma), **settings) with gamma and beta filled in."""
    layer = getattr(impl.normalization, cls)(len(gamma), **settings)
    fill(layer, ("params", "gamma"), gamma)
    fill(layer, ("params", "beta"), beta)
    return layer


def assert_like_float64(impl, what, cls, layer, x, dout, gamma, beta, mode="train", running=None):
    """``layer`` (float32) gives, in float32, what the same layer in float64 gives on the same
    inputs: the dtype is kept and nothing is lost on the way (the float64 values are checked
    by the other checks)."""
    wide = filled(impl, cls, gamma.astype(np.float64), beta.astype(np.float64))
    if running is not None:
        fill(wide, ("running_mean",), running[0])
        fill(wide, ("running_var",), running[1])
    set_mode(layer, mode)
    set_mode(wide, mode)
    out, dx = layer.forward(x.copy()), layer.backward(dout.copy())
    out64 = wide.forward(x.astype(np.float64))
    dx64 = wide.backward(dout.astype(np.float64))
    assert_array(f"{what}.forward(x) of float32 x", out, x.shape, np.float32)
    assert_array(f"{what}.backward(dout) of float32 dout", dx, x.shape, np.float32)
    assert_array(f"{what}.forward(x) in float64 (to compare)", out64, x.shape, np.float64)
    assert_array(f"{what}.backward(dout) in float64 (to compare)", dx64, x.shape, np.float64)
    assert_close(f"{what}.forward(x) in float32 ({mode}), against float64", out,
                 out64.astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_close(f"{what}.backward(dout) in float32 ({mode}), against float64", dx,
                 dx64.astype(np.float32), rtol=1e-3, atol=1e-4)


def assert_same_as_on_copies(impl, what, cls, out, dx, x, dout, gamma, beta, mode="train", running=None):
    """``out`` and ``dx`` (from the caller's x and dout) are what a fresh layer gives on copies."""
    twin = filled(impl, cls, gamma, beta)
    if running is not None:
        fill(twin, ("running_mean",), running[0])
        fill(twin, ("running_var",), running[1])
    set_mode(twin, mode)
    twin_out = twin.forward(x.copy())
    twin_out = twin_out.copy() if type(twin_out) is np.ndarray else twin_out
    twin_dx = twin.backward(dout.copy())
    assert_array(f"{what}.forward(x) on a copy of x", twin_out, x.shape, np.float64)
    assert_close(f"{what}.forward(x) ({mode}), the same as on a copy of x", out, twin_out)
    assert_array(f"{what}.backward(dout) on a copy of dout", twin_dx, x.shape, np.float64)
    assert_close(f"{what}.backward(dout) ({mode}), the same as on a copy of dout", dx, twin_dx)


def run_on_the_callers_arrays(layer, x, dout, suffix="", params=None):
    """(out, dx, before) of forward(x) then backward(dout) on the caller's arrays themselves
    (before: copies of x and dout taken first); fails if x, dout or a parameter of ``params``
    ({key: value set}) was written to. ``suffix`` ends each name in the messages."""
    before = snapshot(x, dout)
    out = layer.forward(x)
    out = out.copy() if type(out) is np.ndarray else out
    dx = layer.backward(dout)
    for name, old, new in zip(["x", "dout"], before, [x, dout]):
        assert_unchanged(f"{name}{suffix}", old, new)
    for key, value in (params or {}).items():
        assert_unchanged(f'params["{key}"]{suffix}', value, layer.params[key])
    return out, dx, before


# ---- BatchNorm1d ---------------------------------------------------------------------------

@pytest.mark.exercise("batchnorm")
def test_batchnorm_forward_known_answer(impl):
    layer = impl.normalization.BatchNorm1d(2, eps=0.5)
    fill(layer, ("params", "gamma"), [2.0, -1.0])
    fill(layer, ("params", "beta"), [0.5, 3.0])
    x = np.array([[1.0, 5.0], [2.0, -3.0], [3.0, 2.0], [6.0, 0.0]])
    # column 0: mean 3, var (4 + 1 + 0 + 9) / 4 = 3.5, sqrt(3.5 + 0.5) = 2: x_hat = (-1, -1/2, 0, 3/2)
    # column 1: mean 1, var (16 + 16 + 1 + 1) / 4 = 8.5, sqrt(9) = 3: x_hat = (4, -4, 1, -1) / 3
    x_hat = np.array([[-1.0, 4 / 3], [-0.5, -4 / 3], [0.0, 1 / 3], [1.5, -1 / 3]])
    gamma, beta = np.array([2.0, -1.0]), np.array([0.5, 3.0])
    expected = np.array([[-1.5, 5 / 3], [-0.5, 13 / 3], [0.5, 8 / 3], [3.5, 10 / 3]])
    out = layer.forward(x.copy())
    # the unbiased variances are 14/3 and 34/3
    unbiased = (x - [3.0, 1.0]) / np.sqrt(np.array([14 / 3, 34 / 3]) + 0.5)
    assert_no_slip("BatchNorm1d.forward(x) in training", out, expected,
                   {UNBIASED: gamma * unbiased + beta,
                    "gamma and beta swapped: out = gamma * x_hat + beta": beta * x_hat + gamma})
    assert_close("BatchNorm1d(2, eps=0.5).forward(x) in training (gamma (2, -1), beta (0.5, 3))",
                 out, expected, extras={"beta": np.broadcast_to([0.5, 3.0], x.shape)})


@pytest.mark.exercise("batchnorm")
def test_batchnorm_eps_inside_the_square_root(impl):
    layer = impl.normalization.BatchNorm1d(2, eps=0.5)
    x = np.array([[1.0, 4.0], [2.0, 2.0], [3.0, 3.0], [6.0, 3.0]])
    # variances 3.5 and 0.5: sqrt(var + 0.5) = 2 and 1
    expected = np.array([[-1.0, 1.0], [-0.5, -1.0], [0.0, 0.0], [1.5, 0.0]])
    centered = x - [3.0, 3.0]
    std = np.sqrt([3.5, 0.5])
    out = layer.forward(x.copy())
    assert_no_slip("BatchNorm1d(2, eps=0.5).forward(x)", out, expected,
                   {EPS_MISSING: centered / std, EPS_OUTSIDE: centered / (std + 0.5)})
    assert_close("BatchNorm1d(2, eps=0.5).forward(x): (x - mean) / sqrt(var + eps)", out, expected)


@pytest.mark.exercise("batchnorm")
def test_batchnorm_output_has_mean_beta_and_std_gamma(impl, rng):
    n, d = 5, 4
    layer, gamma, beta = make_batchnorm(impl, rng, d, eps=1e-10)
    out = layer.forward(features(rng, n, d))
    assert_array("BatchNorm1d.forward(x)", out, (n, d), np.float64)
    assert_close("the mean over the batch of each output feature (must be beta)",
                 out.mean(axis=0), beta, rtol=1e-9, atol=1e-9)
    std = out.std(axis=0)
    assert_no_slip("the (biased) std over the batch of each output feature", std, np.abs(gamma),
                   {UNBIASED: np.abs(gamma) * math.sqrt((n - 1) / n)})
    assert_close("the (biased) std over the batch of each output feature (must be |gamma|, "
                 "up to eps = 1e-10)", std, np.abs(gamma), rtol=1e-7)


@pytest.mark.exercise("batchnorm")
@pytest.mark.parametrize("n, d", [(3, 4), (5, 2), (6, 5)], ids=["3x4", "5x2", "6x5"])
def test_batchnorm_backward(impl, rng, n, d):
    layer, _, _ = make_batchnorm(impl, rng, d, momentum=0.2, eps=1e-3)
    errors = check_layer_gradients(layer, features(rng, n, d), rng)   # raises on a mismatch
    assert set(errors) == {"dx", "gamma", "beta"}


@pytest.mark.exercise("batchnorm")
def test_batchnorm_backward_equals_the_jacobian_product(impl):
    layer = filled(impl, "BatchNorm1d", BN_GAMMA, BN_BETA, eps=1e-3)
    layer.forward(BN_X.copy())
    dx = layer.backward(BN_DOUT.copy())
    dgamma, dbeta = layer.grads["gamma"], layer.grads["beta"]
    right = known("batchnorm backward")
    assert_close('grads["beta"]', dbeta, right["dbeta"], n=4)
    assert_no_slip('grads["gamma"]', dgamma, right["dgamma"],
                   {DGAMMA_NO_X_HAT: right["dbeta"], DGAMMA_RAW_X: right["dgamma with x"]})
    assert_close('grads["gamma"]', dgamma, right["dgamma"], n=4)
    assert_no_slip("dx in training", dx, right["dx"], {
        ONLY_CONSTANTS: right["dx without mean and variance terms"],
        NO_VAR_TERM: right["dx without the variance term"],
        NO_MEAN_TERM: right["dx without the mean term"], NO_GAMMA: right["dx without gamma"]})
    assert_close("BatchNorm1d(3, eps=1e-3).backward(dout) in training (each feature's Jacobian "
                 "applied to dout)", dx, right["dx"], n=4)


@pytest.mark.exercise("batchnorm")
def test_batchnorm_running_statistics_after_three_steps(impl):
    d, momentum = 2, 0.3
    layer = impl.normalization.BatchNorm1d(d, momentum=momentum)
    for x in RUN_BATCHES:
        layer.forward(x.copy())
    right = known("batchnorm running")
    for name, k in (("running_mean", 0), ("running_var", 1)):
        got = getattr(layer, name)
        assert_no_slip(f"{name} after 3 training steps with momentum 0.3", got, right[name], {
            "never updated in training (still the initial value): each training forward moves "
            "it towards the batch's statistics": np.full(d, float(k)),
            "momentum is weighted the wrong way round: the new batch's statistic gets weight "
            "momentum (0.3) and the running one 1 - momentum; got 0.7 on the new batch":
                right[f"{name} with momentum 0.7"],
            "momentum ignored: this is the result for the default momentum 0.1":
                right[f"{name} with momentum 0.1"],
            "running_var moves towards the biased batch variance: it takes the unbiased one, "
            "var * N / (N - 1), as in PyTorch": right[f"{name} biased"],
            "a statistic of the last batch only, not a running average": right[f"{name} last batch"]})
        assert_close(f"{name} after 3 training steps (N = 4, 3, 2) with momentum 0.3", got, right[name])


@pytest.mark.exercise("batchnorm")
def test_batchnorm_eval_uses_running_statistics(impl):
    layer = filled(impl, "BatchNorm1d", BN_GAMMA, BN_BETA, eps=1e-3)
    fill(layer, ("running_mean",), RUNNING_MEAN)
    fill(layer, ("running_var",), RUNNING_VAR)
    layer.eval()
    out = layer.forward(BN_X.copy())
    assert_close("running_mean after an evaluation forward (only training updates it)",
                 layer.running_mean, RUNNING_MEAN, rtol=0, atol=0)
    assert_close("running_var after an evaluation forward (only training updates it)",
                 layer.running_var, RUNNING_VAR, rtol=0, atol=0)
    right = known("batchnorm eval")
    assert_no_slip("BatchNorm1d.forward(x) in evaluation mode", out, right["out"], {
        "in evaluation mode normalize with running_mean and running_var, not the batch's "
        "statistics": right["out with the batch statistics"]})
    assert_close("BatchNorm1d.forward(x) in evaluation mode (with the running statistics)",
                 out, right["out"])
    assert_close("BatchNorm1d.forward(x) in evaluation mode on one example (N = 1)",
                 layer.forward(BN_X[2:3] + 1.0), right["one example"])


@pytest.mark.exercise("batchnorm")
def test_batchnorm_backward_in_eval_mode(impl, rng):
    layer = filled(impl, "BatchNorm1d", BN_GAMMA, BN_BETA, eps=1e-2)
    fill(layer, ("running_mean",), RUNNING_MEAN)
    fill(layer, ("running_var",), RUNNING_VAR)
    layer.eval()
    layer.forward(BN_X.copy())
    dx = layer.backward(BN_DOUT.copy())
    right = known("batchnorm eval backward")
    cause = ("backward in evaluation mode used the training formula: in evaluation the running "
             "statistics are constants, so dx has no mean or variance terms")
    assert_no_slip("dx in evaluation mode", dx, right["dx"], {
        cause + " (got them with the batch statistics)": right["dx with the batch statistics"],
        cause + " (got them with the running statistics)": right["dx with the running statistics"]})
    assert_close("dx in evaluation mode (running statistics are constants)", dx, right["dx"], n=4)
    check_layer_gradients(layer, BN_X, rng)


@pytest.mark.exercise("batchnorm")
def test_batchnorm_constant_feature_stays_finite(impl):
    layer = filled(impl, "BatchNorm1d", BN_GAMMA, BN_BETA)
    x = BN_X.copy()
    x[:, 1] = 2.5                                   # variance 0: only eps keeps 1 / std finite
    out = layer.forward(x.copy())
    right = known("batchnorm constant feature")
    cause = "a feature with variance 0: is eps added to the variance, inside the square root?"
    assert_array("BatchNorm1d.forward(x) with a constant feature", out, (4, 3), np.float64, cause)
    assert_close("BatchNorm1d.forward(x) with a constant feature (its x_hat is 0: out = beta)",
                 out, right["out"], atol=1e-9)
    dx = layer.backward(BN_DOUT.copy())
    assert_array("dx with a constant feature", dx, (4, 3), np.float64, cause)
    assert_close("dx with a constant feature", dx, right["dx"], rtol=1e-6, atol=1e-9)


@pytest.mark.exercise("batchnorm")
@MODES
def test_batchnorm_float32_keeps_dtype(impl, mode):
    gamma, beta = BN_GAMMA.astype(np.float32), BN_BETA.astype(np.float32)
    layer = filled(impl, "BatchNorm1d", gamma, beta, dtype=np.float32)
    fill(layer, ("running_mean",), RUNNING_MEAN.astype(np.float32))
    fill(layer, ("running_var",), RUNNING_VAR.astype(np.float32))
    assert_like_float64(impl, "BatchNorm1d", "BatchNorm1d", layer, BN_X.astype(np.float32),
                        BN_DOUT.astype(np.float32), gamma, beta, mode, (RUNNING_MEAN, RUNNING_VAR))


@pytest.mark.exercise("batchnorm")
@MODES
def test_batchnorm_inputs_unchanged(impl, rng, mode):
    n, d = 5, 4
    layer, gamma, beta = make_batchnorm(impl, rng, d)
    mean, var = set_running(layer, rng, d)
    set_mode(layer, mode)
    x, dout = features(rng, n, d), rng.standard_normal((n, d))
    out, dx, before = run_on_the_callers_arrays(layer, x, dout, f" ({mode})",
                                                {"gamma": gamma, "beta": beta})
    assert_same_as_on_copies(impl, "BatchNorm1d", "BatchNorm1d", out, dx, *before, gamma, beta, mode,
                             (mean, var))


@pytest.mark.exercise("batchnorm")
def test_batchnorm_backward_twice_same_grads(impl, rng):
    n, d = 4, 3
    layer, _, _ = make_batchnorm(impl, rng, d)
    x, dout = features(rng, n, d), rng.standard_normal((n, d))
    layer.forward(x.copy())
    dx1 = layer.backward(dout.copy())
    first = {key: layer.grads[key] for key in ("gamma", "beta")}
    dx2 = layer.backward(dout.copy())
    for key in ("beta", "gamma"):
        assert_close(f'grads["{key}"] (second backward after one forward: overwritten, '
                     f'not accumulated)', layer.grads[key], first[key])
    assert_close("dx (second backward after one forward: does backward change what forward "
                 "cached?)", dx2, dx1)


# ---- BatchNorm2d ------------------------------------------------------------------------------

@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_normalizes_each_channel_over_n_h_w(impl):
    out = impl.normalization.BatchNorm2d(2).forward(BN2D_X.copy())
    right = known("batchnorm2d forward")
    assert_no_slip("BatchNorm2d(2).forward(x) for x (2, 2, 2, 3)", out, right["out"], {
        "each (c, h, w) position normalized over the batch only (axis 0): a channel's "
        "statistics are over its N * H * W values, axes (0, 2, 3)": right["over the batch only"],
        "normalized over the last axis W as if it were the channels: the channels are axis 1, "
        "the statistics over axes (0, 2, 3)": right["over the last axis"],
        "each example's channel normalized over H and W only (instance norm): BatchNorm2d "
        "takes a channel's statistics over the batch too, axes (0, 2, 3)": right["instance norm"],
        "x.reshape(-1, C) without moving the channel axis last: transpose(0, 2, 3, 1) "
        "before the reshape to (N * H * W, C)": right["reshaped without moving C"],
        "the output was reshaped straight to (N, C, H, W): reshape it to (N, H, W, C), then "
        "transpose(0, 3, 1, 2)": right["output reshaped straight"]})
    assert_close("BatchNorm2d(2).forward(x) for x (2, 2, 2, 3): channel c normalized over "
                 "x[:, c, :, :]", out, right["out"])


@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_backward_known_answer(impl):
    layer = filled(impl, "BatchNorm2d", BN2D_GAMMA, BN2D_BETA, eps=1e-3)
    out = layer.forward(BN2D_X.copy())
    dx = layer.backward(BN2D_DOUT.copy())
    right = known("batchnorm2d backward")
    assert_close("BatchNorm2d(2, eps=1e-3).forward(x) (gamma (1.3, -0.8), beta (0.5, -0.2))",
                 out, right["out"])
    assert_no_slip("BatchNorm2d.backward(dout)", dx, right["dx"], {
        "dout.reshape(-1, C) without moving the channel axis last: transpose(0, 2, 3, 1) "
        "before the reshape": right["dout reshaped without moving C"],
        "dx was reshaped straight to (N, C, H, W): reshape it to (N, H, W, C), then transpose("
        "0, 3, 1, 2)": right["dx reshaped straight"]})
    assert_close("BatchNorm2d.backward(dout)", dx, right["dx"])
    assert_close('grads["beta"] (C,)', layer.grads["beta"], right["dbeta"])
    assert_close('grads["gamma"] (C,)', layer.grads["gamma"], right["dgamma"])


@pytest.mark.exercise("batchnorm2d")
@MODES
def test_batchnorm2d_backward(impl, rng, mode):
    c = 3
    layer, _, _ = make_batchnorm(impl, rng, c, "BatchNorm2d", eps=1e-3)
    set_running(layer, rng, c)
    set_mode(layer, mode)
    x = rng.uniform(-2.0, 2.0, (1, c, 1, 1)) + rng.standard_normal((2, c, 2, 3))
    errors = check_layer_gradients(layer, x, rng, max_coords=36)
    assert set(errors) == {"dx", "gamma", "beta"}


@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_running_statistics_per_channel(impl):
    layer = filled(impl, "BatchNorm2d", BN2D_GAMMA, BN2D_BETA, momentum=0.3)
    for x in BN2D_BATCHES:
        layer.forward(x.copy())
    right = known("batchnorm2d running")
    for name in ("running_mean", "running_var"):
        assert_no_slip(f"{name} (C,) after 2 training steps", getattr(layer, name), right[name], {
            "the unbiased correction counts every value of a channel, N * H * W / "
            "(N * H * W - 1), not the batch size N / (N - 1)": right[f"{name} with N / (N - 1)"],
            "running_var moves towards the biased variance: it takes the unbiased one, "
            "var * count / (count - 1), count = N * H * W": right[f"{name} biased"]})
        assert_close(f"{name} (C,) after 2 training steps (x (2, 2, 2, 3), then (2, 2, 1, 2)) "
                     f"with momentum 0.3", getattr(layer, name), right[name])
    layer.eval()
    assert_close("BatchNorm2d.forward(x) in evaluation mode (the running statistics of each "
                 "channel)", layer.forward(BN2D_X[:, :, :1].copy()), right["eval out"])


@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_float32_and_inputs_unchanged(impl, rng):
    shape, c = (2, 3, 2, 4), 3
    layer = impl.normalization.BatchNorm2d(c, dtype=np.float32)
    x = (rng.uniform(-2.0, 2.0, (1, c, 1, 1)) + rng.standard_normal(shape)).astype(np.float32)
    dout = rng.standard_normal(shape).astype(np.float32)
    out, dx, before = run_on_the_callers_arrays(layer, x, dout)
    assert_like_float64(impl, "BatchNorm2d", "BatchNorm2d", impl.normalization.BatchNorm2d(
        c, dtype=np.float32), *before, np.ones(c, np.float32), np.zeros(c, np.float32))
    again = impl.normalization.BatchNorm2d(c, dtype=np.float32)
    assert_close("BatchNorm2d.forward(x) in float32, the same as on a copy of x", out,
                 again.forward(before[0].copy()), rtol=0, atol=0)
    assert_close("BatchNorm2d.backward(dout) in float32, the same as on a copy of dout", dx,
                 again.backward(before[1].copy()), rtol=0, atol=0)


# ---- LayerNorm ---------------------------------------------------------------------------------

def make_layernorm(impl, rng, d, **settings):
    layer = impl.normalization.LayerNorm(d, **settings)
    gamma, beta = affine(rng, d)
    fill(layer, ("params", "gamma"), gamma)
    fill(layer, ("params", "beta"), beta)
    return layer, gamma, beta


def examples(rng, shape):
    """Inputs whose examples have different means and scales (what LayerNorm removes)."""
    lead = shape[:-1] + (1,)
    return rng.uniform(-3.0, 3.0, lead) + rng.uniform(0.5, 2.0, lead) * rng.standard_normal(shape)


@pytest.mark.exercise("layernorm")
def test_layernorm_forward_known_answer(impl):
    layer = impl.normalization.LayerNorm(4, eps=0.5)
    gamma, beta = np.array([2.0, -1.0, 0.5, 1.0]), np.array([0.5, 3.0, 0.0, -1.0])
    fill(layer, ("params", "gamma"), gamma)
    fill(layer, ("params", "beta"), beta)
    x = np.array([[1.0, 2.0, 3.0, 6.0], [5.0, -3.0, 2.0, 0.0]])
    # row 0: mean 3, var 3.5, sqrt(3.5 + 0.5) = 2; row 1: mean 1, var 8.5, sqrt(9) = 3
    x_hat = np.array([[-1.0, -0.5, 0.0, 1.5], [4 / 3, -4 / 3, 1 / 3, -1 / 3]])
    expected = x_hat * gamma + beta
    centered = x - [[3.0], [1.0]]
    std = np.sqrt([[3.5], [8.5]])
    out = layer.forward(x.copy())
    assert_no_slip("LayerNorm(4, eps=0.5).forward(x)", out, expected, {
        "normalized over the batch axis (axis 0) like BatchNorm: LayerNorm normalizes each "
        "example over its own features, the last axis":
            known("layernorm known answer")["over the batch axis"],
        UNBIASED.replace("N", "D"): centered / np.sqrt(std ** 2 * 4 / 3 + 0.5) * gamma + beta,
        EPS_MISSING: centered / std * gamma + beta,
        EPS_OUTSIDE: centered / (std + 0.5) * gamma + beta})
    assert_close("LayerNorm(4, eps=0.5).forward(x) (gamma (2, -1, 0.5, 1), beta (0.5, 3, 0, -1))",
                 out, expected)


@pytest.mark.exercise("layernorm")
@pytest.mark.parametrize("shape", [(5,), (2, 2, 3)], ids=["1d", "3d"])
def test_layernorm_forward_any_leading_axes(impl, shape):
    x = LN_ROW if len(shape) == 1 else LN_X
    gamma, beta = (LN_GAMMA, LN_BETA) if len(shape) > 1 else (np.linspace(-1.0, 2.0, 5), np.ones(5))
    layer = filled(impl, "LayerNorm", gamma, beta, eps=1e-3)
    assert_close(f"LayerNorm.forward(x) for x of shape {shape} (over the last axis)",
                 layer.forward(x.copy()), known("layernorm forward")[f"out {len(shape)}d"])


@pytest.mark.exercise("layernorm")
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)], ids=["2d", "3d"])
def test_layernorm_backward(impl, rng, shape):
    layer, _, _ = make_layernorm(impl, rng, shape[-1], eps=1e-3)
    errors = check_layer_gradients(layer, examples(rng, shape), rng)   # raises on a mismatch
    assert set(errors) == {"dx", "gamma", "beta"}


@pytest.mark.exercise("layernorm")
def test_layernorm_backward_equals_the_jacobian_product(impl):
    layer = filled(impl, "LayerNorm", LN_GAMMA, LN_BETA, eps=1e-3)
    layer.forward(LN_X.copy())
    dx = layer.backward(LN_DOUT.copy())
    right = known("layernorm backward")
    assert_close('grads["beta"] (summed over every axis but the last)', layer.grads["beta"],
                 right["dbeta"])
    assert_no_slip('grads["gamma"]', layer.grads["gamma"], right["dgamma"],
                   {DGAMMA_NO_X_HAT: right["dbeta"], DGAMMA_RAW_X: right["dgamma with x"]})
    assert_close('grads["gamma"] (summed over every axis but the last)', layer.grads["gamma"],
                 right["dgamma"])
    assert_no_slip("dx", dx, right["dx"], {
        ONLY_CONSTANTS.replace("batch", "example's"): right["dx without mean and variance terms"],
        NO_VAR_TERM.replace("x_n", "x_d"): right["dx without the variance term"],
        NO_MEAN_TERM.replace("x_n", "x_d"): right["dx without the mean term"],
        NO_GAMMA: right["dx without gamma"]})
    assert_close("LayerNorm(3, eps=1e-3).backward(dout) for x (2, 2, 3) (each example's Jacobian "
                 "applied to dout)", dx, right["dx"])


@pytest.mark.exercise("layernorm")
def test_layernorm_examples_are_independent(impl, rng):
    layer, _, _ = make_layernorm(impl, rng, 4)
    x = examples(rng, (5, 4))
    first = layer.forward(x.copy())
    changed = x.copy()
    changed[2] = 10.0 * changed[2] + 7.0
    second = layer.forward(changed.copy())
    assert_array("LayerNorm.forward(x)", second, x.shape, np.float64)
    others = [0, 1, 3, 4]
    assert_close("LayerNorm.forward(x) of the examples other than x[2], after x[2] changed (each "
                 "example is normalized by its own statistics, never over the batch axis)",
                 second[others], first[others], rtol=1e-12)


@pytest.mark.exercise("layernorm")
def test_layernorm_same_in_eval_and_train(impl):
    layer = filled(impl, "LayerNorm", LN_GAMMA, LN_BETA, eps=1e-3)
    right = known("layernorm backward")
    for mode in ("eval", "train", "eval"):
        set_mode(layer, mode)
        assert_close(f"LayerNorm.forward(x) in {mode} mode (the same in both)",
                     layer.forward(LN_X.copy()), right["out"])
        assert_close(f"LayerNorm.backward(dout) in {mode} mode (the same in both)",
                     layer.backward(LN_DOUT.copy()), right["dx"])


@pytest.mark.exercise("layernorm")
def test_layernorm_float32_keeps_dtype(impl):
    gamma, beta = LN_GAMMA.astype(np.float32), LN_BETA.astype(np.float32)
    layer = filled(impl, "LayerNorm", gamma, beta, dtype=np.float32)
    assert_like_float64(impl, "LayerNorm", "LayerNorm", layer, LN_X.astype(np.float32),
                        LN_DOUT.astype(np.float32), gamma, beta)


@pytest.mark.exercise("layernorm")
def test_layernorm_inputs_unchanged(impl, rng):
    shape = (2, 3, 4)
    layer, gamma, beta = make_layernorm(impl, rng, 4)
    x, dout = examples(rng, shape), rng.standard_normal(shape)
    out, dx, before = run_on_the_callers_arrays(layer, x, dout, params={"gamma": gamma, "beta": beta})
    assert_same_as_on_copies(impl, "LayerNorm", "LayerNorm", out, dx, *before, gamma, beta)


@pytest.mark.exercise("layernorm")
def test_layernorm_backward_twice_same_grads(impl, rng):
    layer, _, _ = make_layernorm(impl, rng, 4)
    x, dout = examples(rng, (3, 4)), rng.standard_normal((3, 4))
    layer.forward(x.copy())
    dx1 = layer.backward(dout.copy())
    first = {key: layer.grads[key] for key in ("gamma", "beta")}
    dx2 = layer.backward(dout.copy())
    for key in ("beta", "gamma"):
        assert_close(f'grads["{key}"] (second backward after one forward: overwritten, '
                     f'not accumulated)', layer.grads[key], first[key])
    assert_close("dx (second backward after one forward: does backward change what forward "
                 "cached?)", dx2, dx1)


# ---- frozen known answers -------------------------------------------------------------------
KNOWN = {  # derived once with the references of tests/hidden/test_normalization.py, rounded to 12 digits
    "batchnorm backward": {
        "dx": [[0.882571870375, 0.578988454117, 0.382245958136],
               [-0.894399033413, -0.211887542803, 0.277064052213],
               [0.282041632855, -0.0419003639689, -0.504956540142],
               [-0.270214469817, -0.325200547345, -0.154353470207]],
        "dgamma": [-1.78575679633, 2.85429157102, -1.83237564543],
        "dbeta": [1.1, -0.9, 1.5],
        "dgamma with x": [-1.15, 2.89, -2.05],
        "dx without mean and variance terms": [[0.976585747993, 0.912971996356, 0.238789224382],
                                               [-0.279024499427, -0.632057535939, 0.895459591432],
                                               [1.53463474685, -0.210685845313, -0.358183836573],
                                               [-0.697561248567, 0.561828920834, 0.119394612191]],
        "dx without the variance term": [[0.592927061282, 0.754957612371, 0.0149243265239],
                                         [-0.662683186138, -0.790071919923, 0.671594693574],
                                         [1.15097606013, -0.368700229298, -0.582048734431],
                                         [-1.08121993528, 0.40381453685, -0.104470285667]],
        "dx without the mean term": [[1.26623055709, 0.737002838102, 0.606110855994],
                                     [-0.510740346701, -0.0538731588187, 0.500928950071],
                                     [0.665700319566, 0.116114020016, -0.281091642284],
                                     [0.113444216895, -0.16718616336, 0.0695114276511]],
        "dx without gamma": [[0.588381246917, -0.827126363025, 0.424717731262],
                             [-0.596266022275, 0.302696489719, 0.307848946904],
                             [0.188027755236, 0.0598576628127, -0.56106282238],
                             [-0.180142979878, 0.464572210493, -0.171503855785]],
    },
    "batchnorm running": {
        "running_mean": [0.807, 0.03025],
        "running_mean with momentum 0.7": [1.323, -0.23275],
        "running_mean with momentum 0.1": [0.321, 0.04075],
        "running_mean biased": [0.807, 0.03025],
        "running_mean last batch": [1.5, -0.5],
        "running_var": [1.722, 2.16305],
        "running_var with momentum 0.7": [1.658, 3.50005],
        "running_var with momentum 0.1": [1.322, 1.41195],
        "running_var biased": [1.23375, 1.35280416667],
        "running_var last batch": [0.98, 4.5],
    },
    "batchnorm eval": {
        "out": [[1.74790395554, -0.635916340603, 2.01244078157],
                [0.00651200555759, -1.34366536241, -1.18110195392],
                [-2.12185593331, -1.10774902181, 0.79585307281],
                [3.48929590552, -0.116900391276, 0.263595950228]],
        "out with the batch statistics": [[0.897561248567, -0.154199847135, 2.30887044843],
                                          [-0.358048998853, -1.2076290737, -0.198416407577],
                                          [-1.8926837457, -0.856485998178, 1.35371355091],
                                          [2.15317149599, 0.618314919012, 0.935832408237]],
        "one example": [[-0.186975988885, -1.57958170302, 1.55622039078]],
    },
    "batchnorm eval backward": {
        "dx": [[1.3443872393, 0.612132242537, 0.303174691584],
               [-0.384110639799, -0.423783860218, 1.13690509344],
               [2.11260851889, -0.141261286739, -0.454762037376],
               [-0.960276599497, 0.376696764638, 0.151587345792]],
        "dx with the batch statistics": [[0.876927245335, 0.577956309817, 0.380045497963],
                                         [-0.889154423386, -0.216101612675, 0.27807013119],
                                         [0.287636908052, -0.044632523473, -0.504263211497],
                                         [-0.275409730001, -0.317222173669, -0.153852417656]],
        "dx with the running statistics": [[1.81744153134, 0.561582860517, 0.664000953509],
                                           [-1.03741357224, -0.308143493132, -0.759952518133],
                                           [0.0826467565141, -0.0810175026887, -0.954005822498],
                                           [0.639134917042, 0.204274899942, -0.723937084913]],
    },
    "batchnorm constant feature": {
        "out": [[0.897860136766, -0.4, 2.30913380934],
                [-0.358288109413, -0.4, -0.1986992767],
                [-1.8935804103, -0.4, 1.35376882418],
                [2.15400838294, -0.4, 0.935796643176]],
        "dx": [[0.883198402376, 237.961393928, 0.382489332593],
               [-0.894980958828, -249.029365738, 0.276952453845],
               [0.281417367288, -116.213704011, -0.505032947339],
               [-0.269634810836, 127.281675822, -0.1544088391]],
    },
    "batchnorm2d forward": {
        "out": [[[[0.586597650608, -1.29051483134, 1.61900951568],
                  [0.0234639060243, 1.24358701929, -0.633525462656]],
                 [[0.437873993863, -0.590177991728, -1.38977398052],
                  [1.46592597945, -0.0190379997332, 0.666329990661]]],
                [[[-0.821236710851, -0.16424734217, 0.868164522899],
                  [-1.94750420002, 0.398886402413, 0.117319530122]],
                 [[-0.247493996531, 1.23746998266, -0.932861986925],
                  [0.209417997065, 1.00901398586, -1.84668597412]]]],
        "over the batch only": [[[[0.99999111123, -0.9999861114, 0.999968751465],
                                  [0.999995464883, 0.999975309556, -0.999968751465]],
                                 [[0.999944449074, -0.999992187592, -0.999875023433],
                                  [0.999983471484, -0.999975309556, 0.999995867794]]],
                                [[[-0.99999111123, 0.9999861114, -0.999968751465],
                                  [-0.999995464883, -0.999975309556, 0.999968751465]],
                                 [[-0.999944449074, 0.999992187592, 0.999875023433],
                                  [-0.999983471484, 0.999975309556, -0.999995867794]]]],
        "over the last axis": [[[[-0.270069818651, -1.7415137895, 0.602976031579],
                                 [-0.586249118535, -0.0621969210537, -1.71245192968]],
                                [[0.889254280924, 0.310984605269, 0.120595206316],
                                 [1.36352323075, 0.621969210537, 1.85716617726]]],
                               [[[-1.06051806836, -0.995150736859, -0.168833288842],
                                 [-1.69287666813, -0.621969210537, -0.940642609263]],
                                [[0.57307498104, 1.30613534213, 0.506499866526],
                                 [0.783861180962, 1.18174150002, -0.265309453895]]]],
        "instance norm": [[[[0.323689025091, -1.52596254686, 1.34099738966],
                            [-0.231206446494, 0.971067075273, -0.878584496676]],
                           [[0.374997070347, -0.749994140694, -1.62498730484],
                            [1.49998828139, -0.124999023449, 0.624995117245]]],
                          [[[-0.615583771345, 0.102597295224, 1.23116754269],
                            [-1.84675131404, 0.718181066569, 0.410389180897]],
                           [[-0.142222817803, 1.24444965578, -0.782225497919],
                            [0.284445635607, 1.03111542908, -1.63556240474]]]],
        "reshaped without moving C": [[[[-0.780053617768, -1.24122274585, 0.21962674675],
                                        [-0.496489098341, -0.143893385802, -0.868855922098]],
                                       [[1.21930711127, 0.514220851854, -0.23477341894],
                                        [1.47173554151, 0.855786978717, 1.09936871776]]],
                                      [[[-2.14325411484, -0.602879619415, -0.507413518354],
                                        [-1.61358956961, -0.961813684044, -0.443293837805]],
                                       [[0.674026912441, 1.36534502044, 0.128746713612],
                                        [0.88658767561, 1.67370727696, -0.0709270140488]]]],
        "output reshaped straight": [[[[0.586597650608, 0.437873993863, -1.29051483134],
                                       [-0.590177991728, 1.61900951568, -1.38977398052]],
                                      [[0.0234639060243, 1.46592597945, 1.24358701929],
                                       [-0.0190379997332, -0.633525462656, 0.666329990661]]],
                                     [[[-0.821236710851, -0.247493996531, -0.16424734217],
                                       [1.23746998266, 0.868164522899, -0.932861986925]],
                                      [[-1.94750420002, 0.209417997065, 0.398886402413],
                                       [1.00901398586, 0.117319530122, -1.84668597412]]]],
    },
    "batchnorm2d backward": {
        "out": [[[[1.26224464947, -1.17693822883, 2.60379523253],
                  [0.530489785979, 2.11595865687, -0.323224221426]],
                 [[-0.550073163589, 0.271837742229, 0.911101780087],
                  [-1.37198406941, -0.18477942767, -0.732720031549]]],
                [[[-0.567142509256, 0.286571498149, 1.62812208121],
                  [-2.03065223624, 1.01832636164, 0.652448929894]],
                 [[-0.00213255971046, -1.18933720145, 0.545808044168],
                  [-0.36742629563, -1.00669033349, 1.27639551601]]]],
        "dx": [[[[0.0174977015675, -1.07108236193, 0.841841152733],
                 [-0.0773539440429, -1.25404567626, 0.828312002037]],
                [[1.23787780902, -0.560651043452, -0.224361571984],
                 [-0.525207263711, 0.347208218388, -1.10215213204]]],
               [[[1.24387831452, 0.094294080612, -1.39858620261],
                 [-0.531293847594, 1.40873716537, -0.102198384413]],
                [[-0.417758595859, 1.1755586395, -0.703543491045],
                 [0.472910994777, -0.502642514549, 0.802760950955]]]],
        "dgamma": [2.60570401711, 1.9786744029],
        "dbeta": [3.1, 1.0],
        "dout reshaped without moving C": [[[[0.234089341214, 0.940382566715, -0.648306465668],
                                             [-1.83465868235, 0.00518058387552, -0.873995061518]],
                                            [[0.871866734903, -0.178508124046, -0.762084238615],
                                             [-0.452167689622, -0.792318225698, -1.21839067215]]],
                                           [[[0.794299046319, -1.26399686974, 1.63434078474],
                                             [-0.172259259011, 0.560832865985, 0.62409114944]],
                                            [[-0.254559196302, 0.633531943653, -0.19378048577],
                                             [0.9530085944, 0.440703501211, 0.952697858036]]]],
        "dx reshaped straight": [[[[0.0174977015675, 1.23787780902, -1.07108236193],
                                   [-0.560651043452, 0.841841152733, -0.224361571984]],
                                  [[-0.0773539440429, -0.525207263711, -1.25404567626],
                                   [0.347208218388, 0.828312002037, -1.10215213204]]],
                                 [[[1.24387831452, -0.417758595859, 0.094294080612],
                                   [1.1755586395, -1.39858620261, -0.703543491045]],
                                  [[-0.531293847594, 0.472910994777, 1.40873716537],
                                   [-0.502642514549, -0.102198384413, 0.802760950955]]]],
    },
    "batchnorm2d running": {
        "running_mean": [0.37275, 1.3805],
        "running_mean with N / (N - 1)": [0.37275, 1.3805],
        "running_mean biased": [0.37275, 1.3805],
        "running_var": [1.12106590909, 1.19957272727],
        "running_var with N / (N - 1)": [1.5232875, 1.61288333333],
        "running_var biased": [1.00664375, 1.05144166667],
        "eval out": [[[[1.14735488665, -1.30823501055, 2.4979293301]],
                      [[-1.45596363556, -0.798582261905, -0.287285637947]]],
                     [[[-0.694337536247, 0.16511892777, 1.51569337123]],
                      [[-1.01770938646, -1.96726025952, -0.579455137351]]]],
    },
    "layernorm known answer": {
        "over the batch axis": [[-1.38561808316, 2.03774955135, 0.288675134595, -0.0266714732154],
                                [2.38561808316, 3.96225044865, -0.288675134595, -1.97332852678]],
    },
    "layernorm forward": {
        "out 1d": [0.926299046635, 1.35007952848, 1.77386001033, 1.55275715024, -0.326617160567],
        "out 3d": [[[0.326427440467, 0.484992083269, 2.16199049992],
                    [0.709341041839, -1.11307745857, -0.122418500413]],
                   [[-1.89023071872, -0.74612422654, 1.90912156854],
                    [2.21769905002, 0.332350025562, 0.830973459998]]],
    },
    "layernorm backward": {
        "out": [[[0.326427440467, 0.484992083269, 2.16199049992],
                 [0.709341041839, -1.11307745857, -0.122418500413]],
                [[-1.89023071872, -0.74612422654, 1.90912156854],
                 [2.21769905002, 0.332350025562, 0.830973459998]]],
        "dx": [[[0.24827705465, -0.111140521073, -0.137136533577],
                [-0.125881340359, 0.0892519339428, 0.0366294064158]],
               [[0.0111583243186, -0.0457205186181, 0.0345621942995],
                [-0.0112103665631, -0.0172977959244, 0.0285081624875]]],
        "dgamma": [-2.21431487709, 3.5456810134, -2.16456644419],
        "dbeta": [1.1, -0.9, 1.5],
        "dgamma with x": [-2.15, -0.31, -1.49],
        "dx without mean and variance terms": [[[0.884992083269, 0.766993138834, 0.303425857121],
                                                [-0.254670520919, -0.534808093931, 1.14601734414]],
                                               [[2.22508431347, -0.283192548987, -0.728209411682],
                                                [-1.12094391668, 0.836971457785, 0.269026540002]]],
        "dx without the variance term": [[[0.233188390195, 0.115189445759, -0.348377835954],
                                          [-0.373516764015, -0.653654337026, 1.02717110104]],
                                         [[1.8205235292, -0.687753333255, -1.13277019595],
                                          [-1.11596194371, 0.841953430748, 0.274008512965]]],
        "dx without the mean term": [[[0.900080747725, 0.540663172002, 0.514667159497],
                                      [-0.00703509726296, 0.208098177038, 0.155475649512]],
                                     [[0.415719108586, 0.35884026565, 0.439122978567],
                                      [-0.0161923395261, -0.0222797688874, 0.0235261895245]]],
        "dx without gamma": [[[0.594691634484, -0.267118591954, -0.32757304253],
                              [-0.678115404196, 0.48406227206, 0.194053132136]],
                             [[-0.0813372358752, 0.472573427733, -0.391236191858],
                              [-0.269390079355, -0.593125582319, 0.862515661674]]],
    },
}
