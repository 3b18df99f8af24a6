"""Hidden checks for the normalization layers (exercises batchnorm, batchnorm2d, layernorm):
each layer against trusted references on random inputs of several sizes.

The references normalize one group of values at a time by the definition (sums over the
group, float64) and differentiate through the explicit Jacobian of that group;
BatchNorm2d's reference loops over the channels, never through a reshape. The visible
suite (tests/suites/test_normalization.py) checks the same behaviours on frozen known
answers; its helpers build the layers and word the messages.
"""
import math

import numpy as np
import pytest

from grader.remote import fill
from tests.checks import assert_array, assert_close, assert_no_slip
from tests.gradcheck import check_layer_gradients
from tests.suites.test_normalization import (
    DGAMMA_NO_X_HAT,
    DGAMMA_RAW_X,
    EPS,
    MODES,
    NO_GAMMA,
    NO_MEAN_TERM,
    NO_VAR_TERM,
    ONLY_CONSTANTS,
    affine,
    examples,
    features,
    make_batchnorm,
    make_layernorm,
    run_on_the_callers_arrays,
    set_mode,
    set_running,
)

# ---- trusted references ---------------------------------------------------------------


def normalized(values, eps):
    """(x_hat, std) of one group of values: (x - mean) / std, std = sqrt(biased var + eps)."""
    count = values.size
    mean = sum(values) / count
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / count + eps)
    return (values - mean) / std, std


def normalized_vjp(values, g, eps, mean_term=True, var_term=True):
    """dL/dvalues given g = dL/dx_hat, through the (symmetric) Jacobian of x_hat:
    (I - 1/m - x_hat x_hat^T / m) / std. The flags drop the mean's or the variance's term
    (the slips of a backward that treats those statistics as constants)."""
    m = values.size
    x_hat, std = normalized(values, eps)
    jacobian = np.eye(m) - mean_term / m - var_term * np.outer(x_hat, x_hat) / m
    return jacobian @ g / std


def batchnorm(x, gamma, beta, eps):
    """BatchNorm1d in training: each column (feature) of x normalized over the batch."""
    x_hat = np.column_stack([normalized(column, eps)[0] for column in x.T])
    return gamma * x_hat + beta


def batchnorm_backward(x, gamma, eps, dout, **terms):
    """(dx, dgamma, dbeta) of BatchNorm1d in training, column by column."""
    x_hat = batchnorm(x, 1.0, 0.0, eps)
    dx = np.column_stack([normalized_vjp(column, g * scale, eps, **terms)
                          for column, g, scale in zip(x.T, dout.T, gamma)])
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def batchnorm_eval(x, gamma, beta, eps, mean, var):
    """BatchNorm1d in evaluation, entry by entry, with the given running statistics."""
    out = np.empty_like(x, dtype=np.float64)
    for (n, d), value in np.ndenumerate(x):
        out[n, d] = gamma[d] * (value - mean[d]) / math.sqrt(var[d] + eps) + beta[d]
    return out


def running_statistics(batches, momentum, factors=None):
    """(running_mean, running_var) after training on ``batches`` (each (count, D)) from zeros and
    ones: each step moves them by ``momentum`` towards the batch's mean and its biased variance
    times ``factors[k]`` (the unbiased variance by default: count / (count - 1))."""
    mean, var = np.zeros(batches[0].shape[1]), np.ones(batches[0].shape[1])
    for k, x in enumerate(batches):
        count = len(x)
        factor = count / (count - 1) if factors is None else factors[k]
        batch_mean = x.sum(axis=0) / count
        batch_var = ((x - batch_mean) ** 2).sum(axis=0) / count * factor
        mean = mean + momentum * (batch_mean - mean)
        var = var + momentum * (batch_var - var)
    return mean, var


def channel_values(x):
    """The (N * H * W, C) array whose column c holds every value of channel c of x (N, C, H, W)."""
    return np.column_stack([x[:, c].ravel() for c in range(x.shape[1])])


def batchnorm2d(x, gamma, beta, eps):
    """BatchNorm2d in training: channel by channel, over its N * H * W values."""
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        out[:, c] = gamma[c] * normalized(x[:, c].ravel(), eps)[0].reshape(out[:, c].shape) + beta[c]
    return out


def batchnorm2d_backward(x, gamma, eps, dout):
    """(dx, dgamma, dbeta) of BatchNorm2d in training, channel by channel."""
    dx = np.empty_like(x)
    for c in range(x.shape[1]):
        dx[:, c] = normalized_vjp(x[:, c].ravel(), gamma[c] * dout[:, c].ravel(),
                                  eps).reshape(dx[:, c].shape)
    x_hat = batchnorm2d(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), eps)
    return dx, (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def layernorm(x, gamma, beta, eps):
    """LayerNorm: each example (row of the last axis) normalized over its own features."""
    rows = x.reshape(-1, x.shape[-1])
    x_hat = np.array([normalized(row, eps)[0] for row in rows]).reshape(x.shape)
    return gamma * x_hat + beta


def layernorm_backward(x, gamma, eps, dout, **terms):
    """(dx, dgamma, dbeta) of LayerNorm, row by row; dgamma and dbeta sum over every leading axis."""
    d = x.shape[-1]
    dx = np.array([normalized_vjp(row, g, eps, **terms) for row, g in
                   zip(x.reshape(-1, d), (dout * gamma).reshape(-1, d))]).reshape(x.shape)
    x_hat = layernorm(x, np.ones(d), np.zeros(d), eps)
    return dx, (dout * x_hat).reshape(-1, d).sum(axis=0), dout.reshape(-1, d).sum(axis=0)



# ---- checks on random inputs ---------------------------------------------------------

@pytest.mark.exercise("batchnorm")
def test_batchnorm_backward_equals_the_jacobian_product_on_random_inputs(impl, rng):
    n, d = 5, 3
    layer, gamma, beta = make_batchnorm(impl, rng, d, eps=1e-3)
    x, dout = features(rng, n, d), rng.standard_normal((n, d))
    layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    dgamma, dbeta = layer.grads["gamma"], layer.grads["beta"]
    right = batchnorm_backward(x, gamma, 1e-3, dout)
    assert_close('grads["beta"]', dbeta, right[2], n=n)
    assert_no_slip('grads["gamma"]', dgamma, right[1],
                   {DGAMMA_NO_X_HAT: right[2], DGAMMA_RAW_X: (dout * x).sum(axis=0)})
    assert_close('grads["gamma"]', dgamma, right[1], n=n)
    assert_no_slip("dx in training", dx, right[0], {
        ONLY_CONSTANTS: batchnorm_backward(x, gamma, 1e-3, dout, mean_term=False, var_term=False)[0],
        NO_VAR_TERM: batchnorm_backward(x, gamma, 1e-3, dout, var_term=False)[0],
        NO_MEAN_TERM: batchnorm_backward(x, gamma, 1e-3, dout, mean_term=False)[0],
        NO_GAMMA: batchnorm_backward(x, np.ones(d), 1e-3, dout)[0]})
    assert_close("dx in training (each feature's Jacobian applied to dout)", dx, right[0], n=n)


@pytest.mark.exercise("batchnorm")
def test_batchnorm_running_statistics_after_three_steps_on_random_inputs(impl, rng):
    d, momentum = 3, 0.3
    layer = impl.normalization.BatchNorm1d(d, momentum=momentum)
    batches = [features(rng, n, d) for n in (4, 6, 3)]
    for x in batches:
        layer.forward(x.copy())
    mean, var = layer.running_mean, layer.running_var
    right_mean, right_var = running_statistics(batches, momentum)
    for name, got, right, k in (("running_mean", mean, right_mean, 0), ("running_var", var, right_var, 1)):
        assert_no_slip(f"{name} after 3 training steps with momentum 0.3", got, right, {
            "never updated in training (still the initial value): each training forward moves "
            "it towards the batch's statistics": np.full(d, float(k)),
            "momentum is weighted the wrong way round: the new batch's statistic gets weight "
            "momentum (0.3) and the running one 1 - momentum; got 0.7 on the new batch":
                running_statistics(batches, 1 - momentum)[k],
            "momentum ignored: this is the result for the default momentum 0.1":
                running_statistics(batches, 0.1)[k],
            "running_var moves towards the biased batch variance: it takes the unbiased one, "
            "var * N / (N - 1), as in PyTorch": running_statistics(batches, momentum, [1, 1, 1])[k],
            "a statistic of the last batch only, not a running average":
                running_statistics(batches[-1:], 1.0)[k]})
        assert_close(f"{name} after 3 training steps (N = 4, 6, 3) with momentum 0.3", got, right)


@pytest.mark.exercise("batchnorm")
def test_batchnorm_eval_uses_running_statistics_on_random_inputs(impl, rng):
    d = 4
    layer, gamma, beta = make_batchnorm(impl, rng, d, eps=1e-3)
    mean, var = set_running(layer, rng, d)
    layer.eval()
    x = features(rng, 5, d)
    out = layer.forward(x.copy())
    assert_close("running_mean after an evaluation forward (only training updates it)",
                 layer.running_mean, mean, rtol=0, atol=0)
    assert_close("running_var after an evaluation forward (only training updates it)",
                 layer.running_var, var, rtol=0, atol=0)
    expected = batchnorm_eval(x, gamma, beta, 1e-3, mean, var)
    assert_no_slip("BatchNorm1d.forward(x) in evaluation mode", out, expected, {
        "in evaluation mode normalize with running_mean and running_var, not the batch's "
        "statistics": batchnorm(x, gamma, beta, 1e-3)})
    assert_close("BatchNorm1d.forward(x) in evaluation mode (with the running statistics)",
                 out, expected)
    one = x[2:3] + 1.0
    assert_close("BatchNorm1d.forward(x) in evaluation mode on one example (N = 1)",
                 layer.forward(one.copy()), batchnorm_eval(one, gamma, beta, 1e-3, mean, var))


@pytest.mark.exercise("batchnorm")
def test_batchnorm_backward_in_eval_mode_on_random_inputs(impl, rng):
    n, d = 4, 3
    layer, gamma, _ = make_batchnorm(impl, rng, d, eps=1e-2)
    mean, var = set_running(layer, rng, d)
    layer.eval()
    x, dout = features(rng, n, d), rng.standard_normal((n, d))
    layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    right = dout * gamma / np.sqrt(var + 1e-2)
    # the training formula's mean and variance terms, on the x_hat of the running statistics
    x_hat = (x - mean) / np.sqrt(var + 1e-2)
    terms = right - gamma / np.sqrt(var + 1e-2) * (dout.mean(axis=0) + x_hat * (dout * x_hat).mean(axis=0))
    cause = ("backward in evaluation mode used the training formula: in evaluation the running "
             "statistics are constants, so dx has no mean or variance terms")
    assert_no_slip("dx in evaluation mode", dx, right, {
        cause + " (got them with the batch statistics)": batchnorm_backward(x, gamma, 1e-2, dout)[0],
        cause + " (got them with the running statistics)": terms})
    assert_close("dx in evaluation mode (running statistics are constants)", dx, right, n=n)
    check_layer_gradients(layer, x, rng)


@pytest.mark.exercise("batchnorm")
def test_batchnorm_constant_feature_stays_finite_on_random_inputs(impl, rng):
    n, d = 4, 3
    layer, gamma, beta = make_batchnorm(impl, rng, d)
    x = features(rng, n, d)
    x[:, 1] = 2.5                                   # variance 0: only eps keeps 1 / std finite
    dout = rng.standard_normal((n, d))
    out = layer.forward(x.copy())
    cause = "a feature with variance 0: is eps added to the variance, inside the square root?"
    assert_array("BatchNorm1d.forward(x) with a constant feature", out, (n, d), np.float64, cause)
    assert_close("BatchNorm1d.forward(x) with a constant feature (its x_hat is 0: out = beta)",
                 out, batchnorm(x, gamma, beta, EPS), atol=1e-9)
    dx = layer.backward(dout.copy())
    assert_array("dx with a constant feature", dx, (n, d), np.float64, cause)
    assert_close("dx with a constant feature", dx, batchnorm_backward(x, gamma, EPS, dout)[0],
                 rtol=1e-6, atol=1e-9)


@pytest.mark.exercise("batchnorm")
@MODES
def test_batchnorm_float32_keeps_dtype_on_random_inputs(impl, rng, mode):
    n, d = 5, 3
    layer = impl.normalization.BatchNorm1d(d, momentum=0.5, dtype=np.float32)
    gamma, beta = (a.astype(np.float32) for a in affine(rng, d))
    fill(layer, ("params", "gamma"), gamma)
    fill(layer, ("params", "beta"), beta)
    x = features(rng, n, d).astype(np.float32)
    dout = rng.standard_normal((n, d)).astype(np.float32)
    layer.forward(x.copy())                                 # running statistics away from 0 and 1
    set_mode(layer, mode)
    mean, var = (np.asarray(a, np.float64) for a in (layer.running_mean, layer.running_var))
    out = layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    x64, dout64, gamma64 = x.astype(np.float64), dout.astype(np.float64), gamma.astype(np.float64)
    if mode == "train":
        expected = batchnorm(x64, gamma64, beta, EPS)
        expected_dx = batchnorm_backward(x64, gamma64, EPS, dout64)[0]
    else:
        expected = batchnorm_eval(x64, gamma64, beta, EPS, mean, var)
        expected_dx = dout64 * gamma64 / np.sqrt(var + EPS)
    assert_close(f"BatchNorm1d.forward(x) in float32 ({mode})", out,
                 expected.astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_close(f"dx in float32 ({mode})", dx, expected_dx.astype(np.float32), rtol=1e-3, atol=1e-4)


@pytest.mark.exercise("batchnorm")
@MODES
def test_batchnorm_inputs_unchanged_on_random_inputs(impl, rng, mode):
    n, d = 5, 4
    layer, gamma, beta = make_batchnorm(impl, rng, d)
    mean, var = set_running(layer, rng, d)
    set_mode(layer, mode)
    x, dout = features(rng, n, d), rng.standard_normal((n, d))
    out, dx, _ = run_on_the_callers_arrays(layer, x, dout, f" ({mode})", {"gamma": gamma, "beta": beta})
    if mode == "train":
        assert_close("BatchNorm1d.forward(x)", out, batchnorm(x, gamma, beta, EPS))
        assert_close("dx", dx, batchnorm_backward(x, gamma, EPS, dout)[0])
    else:
        assert_close("BatchNorm1d.forward(x) in evaluation mode", out,
                     batchnorm_eval(x, gamma, beta, EPS, mean, var))
        assert_close("dx in evaluation mode", dx, dout * gamma / np.sqrt(var + EPS))


def from_channel_values(values, shape):
    """channel_values undone: (N * H * W, C) back to (N, C, H, W)."""
    n, c, h, w = shape
    return np.stack([values[:, k].reshape(n, h, w) for k in range(c)], axis=1)


def channel_slips(x, eps):
    """{cause: output} of the channel-axis mixups, with gamma = 1 and beta = 0."""
    n, c, h, w = x.shape

    def by_column(a):
        return batchnorm(a, np.ones(a.shape[1]), np.zeros(a.shape[1]), eps)
    return {
        "each (c, h, w) position normalized over the batch only (axis 0): a channel's "
        "statistics are over its N * H * W values, axes (0, 2, 3)":
            by_column(x.reshape(n, -1)).reshape(x.shape),
        "normalized over the last axis W as if it were the channels: the channels are axis 1, "
        "the statistics over axes (0, 2, 3)": by_column(x.reshape(-1, w)).reshape(x.shape),
        "each example's channel normalized over H and W only (instance norm): BatchNorm2d "
        "takes a channel's statistics over the batch too, axes (0, 2, 3)":
            by_column(x.reshape(n * c, -1).T).T.reshape(x.shape),
        "x.reshape(-1, C) without moving the channel axis last: transpose(0, 2, 3, 1) "
        "before the reshape to (N * H * W, C)": by_column(x.reshape(-1, c)).reshape(x.shape),
        "the output was reshaped straight to (N, C, H, W): reshape it to (N, H, W, C), then "
        "transpose(0, 3, 1, 2)": by_column(x.transpose(0, 2, 3, 1).reshape(-1, c)).reshape(x.shape),
    }


@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_normalizes_each_channel_over_n_h_w_on_random_inputs(impl, rng):
    shape = (3, 2, 4, 5)
    x = rng.uniform(-2.0, 2.0, (1, 2, 1, 5)) + rng.standard_normal(shape)   # offsets per channel and w
    out = impl.normalization.BatchNorm2d(2).forward(x.copy())
    expected = batchnorm2d(x, np.ones(2), np.zeros(2), EPS)
    assert_no_slip("BatchNorm2d(2).forward(x) for x (3, 2, 4, 5)", out, expected, channel_slips(x, EPS))
    assert_close("BatchNorm2d(2).forward(x) for x (3, 2, 4, 5): channel c normalized over "
                 "x[:, c, :, :]", out, expected)


@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_equals_batchnorm1d_on_the_reshaped_input(impl, rng):
    shape, c = (2, 3, 4, 5), 3
    layer, gamma, beta = make_batchnorm(impl, rng, c, "BatchNorm2d", eps=1e-3)
    x = rng.uniform(-2.0, 2.0, (1, c, 1, 1)) + rng.standard_normal(shape)
    dout = rng.standard_normal(shape)
    out = layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    assert_close("BatchNorm2d.forward(x) (BatchNorm1d of x.transpose(0, 2, 3, 1).reshape(-1, C), "
                 "shaped back)", out, batchnorm2d(x, gamma, beta, 1e-3))
    right = batchnorm2d_backward(x, gamma, 1e-3, dout)
    # the slips of backward: dout or dx moved without the channel axis
    values = channel_values(x)
    flat_dx = batchnorm_backward(values, gamma, 1e-3, dout.reshape(-1, c))[0]
    assert_no_slip("BatchNorm2d.backward(dout)", dx, right[0], {
        "dout.reshape(-1, C) without moving the channel axis last: transpose(0, 2, 3, 1) "
        "before the reshape": from_channel_values(flat_dx, shape),
        "dx was reshaped straight to (N, C, H, W): reshape it to (N, H, W, C), then transpose("
        "0, 3, 1, 2)": batchnorm_backward(values, gamma, 1e-3, channel_values(dout))[0].reshape(shape)})
    assert_close("BatchNorm2d.backward(dout)", dx, right[0])
    assert_close('grads["beta"] (C,)', layer.grads["beta"], right[2])
    assert_close('grads["gamma"] (C,)', layer.grads["gamma"], right[1])


@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_running_statistics_per_channel_on_random_inputs(impl, rng):
    c, momentum = 2, 0.3
    layer, gamma, beta = make_batchnorm(impl, rng, c, "BatchNorm2d", momentum=momentum)
    batches = [rng.uniform(-2.0, 2.0, (1, c, 1, 1)) + rng.standard_normal(shape)
               for shape in ((2, c, 3, 4), (3, c, 2, 2))]
    for x in batches:
        layer.forward(x.copy())
    columns = [channel_values(x) for x in batches]
    for name, k in (("running_mean", 0), ("running_var", 1)):
        right = running_statistics(columns, momentum)[k]
        assert_no_slip(f"{name} (C,) after 2 training steps", getattr(layer, name), right, {
            "the unbiased correction counts every value of a channel, N * H * W / "
            "(N * H * W - 1), not the batch size N / (N - 1)":
                running_statistics(columns, momentum, [2 / 1, 3 / 2])[k],
            "running_var moves towards the biased variance: it takes the unbiased one, "
            "var * count / (count - 1), count = N * H * W":
                running_statistics(columns, momentum, [1, 1])[k]})
        assert_close(f"{name} (C,) after 2 training steps (x (2, 2, 3, 4), then (3, 2, 2, 2)) "
                     f"with momentum 0.3", getattr(layer, name), right)
    mean, var = running_statistics(columns, momentum)
    layer.eval()
    x = rng.standard_normal((2, c, 3, 2))
    expected = from_channel_values(batchnorm_eval(channel_values(x), gamma, beta, EPS, mean, var),
                                   x.shape)
    assert_close("BatchNorm2d.forward(x) in evaluation mode (the running statistics of each "
                 "channel)", layer.forward(x.copy()), expected)


@pytest.mark.exercise("batchnorm2d")
def test_batchnorm2d_float32_and_inputs_unchanged_on_random_inputs(impl, rng):
    shape, c = (2, 3, 2, 4), 3
    layer = impl.normalization.BatchNorm2d(c, dtype=np.float32)
    x = (rng.uniform(-2.0, 2.0, (1, c, 1, 1)) + rng.standard_normal(shape)).astype(np.float32)
    dout = rng.standard_normal(shape).astype(np.float32)
    out, dx, _ = run_on_the_callers_arrays(layer, x, dout)
    x64, dout64, ones = x.astype(np.float64), dout.astype(np.float64), np.ones(c)
    assert_close("BatchNorm2d.forward(x) in float32", out,
                 batchnorm2d(x64, ones, 0 * ones, EPS).astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_close("BatchNorm2d.backward(dout) in float32", dx,
                 batchnorm2d_backward(x64, ones, EPS, dout64)[0].astype(np.float32),
                 rtol=1e-3, atol=1e-4)


@pytest.mark.exercise("layernorm")
@pytest.mark.parametrize("shape", [(6,), (2, 3, 4)], ids=["1d", "3d"])
def test_layernorm_forward_any_leading_axes_on_random_inputs(impl, rng, shape):
    layer, gamma, beta = make_layernorm(impl, rng, shape[-1], eps=1e-3)
    x = examples(rng, shape)
    assert_close(f"LayerNorm.forward(x) for x of shape {shape} (over the last axis)",
                 layer.forward(x.copy()), layernorm(x, gamma, beta, 1e-3))


@pytest.mark.exercise("layernorm")
def test_layernorm_backward_equals_the_jacobian_product_on_random_inputs(impl, rng):
    shape, d = (3, 2, 5), 5
    layer, gamma, _ = make_layernorm(impl, rng, d, eps=1e-3)
    x, dout = examples(rng, shape), rng.standard_normal(shape)
    layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    right = layernorm_backward(x, gamma, 1e-3, dout)
    assert_close('grads["beta"] (summed over every axis but the last)', layer.grads["beta"], right[2])
    assert_no_slip('grads["gamma"]', layer.grads["gamma"], right[1],
                   {DGAMMA_NO_X_HAT: right[2],
                    DGAMMA_RAW_X: (dout * x).reshape(-1, d).sum(axis=0)})
    assert_close('grads["gamma"] (summed over every axis but the last)', layer.grads["gamma"], right[1])
    assert_no_slip("dx", dx, right[0], {
        ONLY_CONSTANTS.replace("batch", "example's"):
            layernorm_backward(x, gamma, 1e-3, dout, mean_term=False, var_term=False)[0],
        NO_VAR_TERM.replace("x_n", "x_d"): layernorm_backward(x, gamma, 1e-3, dout, var_term=False)[0],
        NO_MEAN_TERM.replace("x_n", "x_d"): layernorm_backward(x, gamma, 1e-3, dout, mean_term=False)[0],
        NO_GAMMA: layernorm_backward(x, np.ones(d), 1e-3, dout)[0]})
    assert_close("dx (each example's Jacobian applied to dout)", dx, right[0])


@pytest.mark.exercise("layernorm")
def test_layernorm_same_in_eval_and_train_on_random_inputs(impl, rng):
    layer, gamma, beta = make_layernorm(impl, rng, 5, eps=1e-3)
    x, dout = examples(rng, (3, 5)), rng.standard_normal((3, 5))
    expected = layernorm(x, gamma, beta, 1e-3)
    expected_dx = layernorm_backward(x, gamma, 1e-3, dout)[0]
    for mode in ("eval", "train", "eval"):
        set_mode(layer, mode)
        assert_close(f"LayerNorm.forward(x) in {mode} mode (the same in both)", layer.forward(x.copy()),
                     expected)
        assert_close(f"LayerNorm.backward(dout) in {mode} mode (the same in both)",
                     layer.backward(dout.copy()), expected_dx)


@pytest.mark.exercise("layernorm")
def test_layernorm_float32_keeps_dtype_on_random_inputs(impl, rng):
    shape, d = (4, 3), 3
    layer = impl.normalization.LayerNorm(d, dtype=np.float32)
    gamma, beta = (a.astype(np.float32) for a in affine(rng, d))
    fill(layer, ("params", "gamma"), gamma)
    fill(layer, ("params", "beta"), beta)
    x = examples(rng, shape).astype(np.float32)
    dout = rng.standard_normal(shape).astype(np.float32)
    out = layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    x64, g64, b64 = x.astype(np.float64), gamma.astype(np.float64), beta.astype(np.float64)
    assert_close("LayerNorm.forward(x) in float32", out,
                 layernorm(x64, g64, b64, EPS).astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_close("dx in float32", dx, layernorm_backward(
        x64, g64, EPS, dout.astype(np.float64))[0].astype(np.float32), rtol=1e-3, atol=1e-4)


@pytest.mark.exercise("layernorm")
def test_layernorm_inputs_unchanged_on_random_inputs(impl, rng):
    shape = (2, 3, 4)
    layer, gamma, beta = make_layernorm(impl, rng, 4)
    x, dout = examples(rng, shape), rng.standard_normal(shape)
    out, dx, _ = run_on_the_callers_arrays(layer, x, dout, params={"gamma": gamma, "beta": beta})
    assert_close("LayerNorm.forward(x)", out, layernorm(x, gamma, beta, EPS))
    assert_close("dx", dx, layernorm_backward(x, gamma, EPS, dout)[0])
