"""Checks for the sequence exercises: embedding, temporal_loss and rnn (the LSTM's are in
test_lstm.py).

Everything is batch-first: tokens (N, T), vectors (N, T, D), hidden states (N, T, H).
The trusted references here are float64 and never call the student's code: the Embedding's
gradient adds row by row in a loop, the temporal loss gathers the unmasked positions into a
batch of rows for the cross-entropy of the losses chapter, and the RNN runs the definition step
after step, with backpropagation through time whose known slips (a gradient not carried from
later steps, parameter gradients of one step only, tanh's derivative taken at its input) are
computed with it to name them. Gradients are checked against the trusted central differences
of tests/gradcheck.py, with a random upstream gradient on every step.
"""
import math

import numpy as np
import pytest

from grader.remote import fill, type_name
from tests.checks import (
    assert_array,
    assert_close,
    assert_float,
    assert_no_slip,
    assert_unchanged,
    fmt_shape,
    snapshot,
)
from tests.gradcheck import assert_gradient, numerical_gradient, sample_indices
from tests.trusted_models import onehot, require, softmax_loss

EMBEDDING = pytest.mark.exercise("embedding")
TEMPORAL = pytest.mark.exercise("temporal_loss")
RNN_CHECK = pytest.mark.exercise("rnn")


# ---- embedding ---------------------------------------------------------------------------------

FANCY_INDEX = ("an index used several times got only one of its gradients: dW[x] += dout with "
               "fancy indexing writes each row once, so repeated indices lose all but one; "
               "np.add.at(dW, x, dout) adds every one")


def embedding_backward(x, dout, vocabulary):
    """dL/dW by the definition: each output vector's gradient added into its row, one at a time."""
    dW = np.zeros((vocabulary, dout.shape[-1]))
    for index, g in zip(x.reshape(-1), dout.reshape(-1, dout.shape[-1])):
        dW[index] += g
    return dW


def one_write_per_index(x, dout, vocabulary, keep):
    """What fancy-index assignment leaves: the ``keep`` ("first" or "last") gradient of each index."""
    dW = np.zeros((vocabulary, dout.shape[-1]))
    order = zip(x.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    for index, g in (reversed(list(order)) if keep == "first" else order):
        dW[index] = g
    return dW


def make_embedding(impl, rng, vocabulary, dim, dtype=np.float64):
    """An Embedding with its table W filled from ``rng`` (the initializer is not this exercise's)."""
    layer = impl.recurrent.Embedding(vocabulary, dim, rng, dtype=dtype)
    W = rng.standard_normal((vocabulary, dim)).astype(dtype)
    fill(layer, ("params", "W"), W)
    return layer, W


def tokens(rng, n, t, vocabulary):
    """(N, T) int64 tokens in which the first index appears three times or more."""
    x = rng.integers(0, vocabulary, size=(n, t))
    x.reshape(-1)[rng.choice(n * t, 3, replace=False)] = x[0, 0]
    return x


def grad_of(layer):
    """The layer's grads["W"], after a clear message if backward did not set it."""
    grads = layer.grads
    require(type(grads) is dict and "W" in grads,
            f'Embedding.backward did not set grads["W"] (grads is {type_name(grads)}'
            f"{' with keys ' + str(sorted(grads)) if type(grads) is dict else ''}).")
    return grads["W"]


def assert_embedding_grad(name, got, x, dout, vocabulary):
    right = embedding_backward(x, dout, vocabulary)
    counts = np.bincount(x.reshape(-1), minlength=vocabulary)
    index = int(np.argmax(counts))
    assert_no_slip(name, got, right, {
        f"{FANCY_INDEX} (index {index} is used {counts[index]} times)":
            one_write_per_index(x, dout, vocabulary, "last"),
        f"{FANCY_INDEX} (index {index} is used {counts[index]} times; got its first gradient)":
            one_write_per_index(x, dout, vocabulary, "first")})
    assert_close(name, got, right.astype(dout.dtype), rtol=1e-7 if dout.dtype == np.float64 else 1e-5)


@EMBEDDING
def test_embedding_forward_known_answer(impl, rng):
    layer = impl.recurrent.Embedding(5, 3, rng)
    W = np.array([[0.0, 1.0, 2.0], [-1.0, 0.5, 3.0], [4.0, -2.0, 0.25],
                  [1.5, 1.5, -1.5], [-3.0, 0.0, 1.0]])
    fill(layer, ("params", "W"), W)
    x = np.array([[4, 0, 2], [2, 2, 1]])
    out = layer.forward(x)
    # out[n, t] is row x[n, t] of W
    expected = np.array([[[-3.0, 0.0, 1.0], [0.0, 1.0, 2.0], [4.0, -2.0, 0.25]],
                         [[4.0, -2.0, 0.25], [4.0, -2.0, 0.25], [-1.0, 0.5, 3.0]]])
    name = "Embedding(5, 3).forward(x) for x of shape (2, 3)"
    if type(out) is np.ndarray and out.shape == (3, 2, 3):
        raise AssertionError(f"{name}: got shape (3, 2, 3), time first: the output is batch-first, "
                             f"out[n, t] = W[x[n, t]], shape (N, T, D) = (2, 3, 3).")
    assert_close(name, out, expected)


@EMBEDDING
def test_embedding_backward_adds_repeated_indices(impl, rng):
    # index 1 is used three times, 3 twice, 0 once; 2 and 4 not at all
    layer, _ = make_embedding(impl, rng, 5, 3)
    x = np.array([[1, 3, 1], [1, 0, 3]])
    dout = rng.standard_normal((2, 3, 3))
    layer.forward(x)
    layer.backward(dout)
    assert_embedding_grad('Embedding.backward: grads["W"] (index 1 used 3 times, 3 twice)',
                          grad_of(layer), x, dout, 5)


@EMBEDDING
def test_embedding_backward_random_tokens(impl, rng):
    v, d = int(rng.integers(6, 10)), int(rng.integers(2, 5))
    n, t = int(rng.integers(2, 5)), int(rng.integers(3, 6))
    layer, _ = make_embedding(impl, rng, v, d)
    x, dout = tokens(rng, n, t, v), rng.standard_normal((n, t, d))
    layer.forward(x)
    layer.backward(dout)
    assert_embedding_grad(f'Embedding({v}, {d}).backward: grads["W"] for x of shape {fmt_shape(x.shape)}',
                          grad_of(layer), x, dout, v)


@EMBEDDING
def test_embedding_unused_rows_get_zero_gradient(impl, rng):
    # A first backward touches every row; the second uses rows 1 and 4 only, so the other rows'
    # gradients must be zeros again, not what the first backward left there.
    layer, _ = make_embedding(impl, rng, 6, 3)
    everything = np.arange(12).reshape(2, 6) % 6
    layer.forward(everything)
    layer.backward(rng.standard_normal((2, 6, 3)))
    x, dout = np.array([[4, 1], [1, 1]]), rng.standard_normal((2, 2, 3))
    layer.forward(x)
    layer.backward(dout)
    dW = grad_of(layer)
    assert_array('grads["W"]', dW, (6, 3), np.float64)
    unused = [0, 2, 3, 5]
    require(not np.any(dW[unused]),
            f'Embedding.backward: grads["W"] is nonzero in rows {unused}, which no token uses '
            f"(max |entry| {float(np.abs(dW[unused]).max()):.3g}): start from zeros at every "
            f"backward; a row nobody looked up gets no gradient.")
    assert_embedding_grad('Embedding.backward: grads["W"] (rows 1 and 4 used)', dW, x, dout, 6)


@EMBEDDING
def test_embedding_backward_returns_none(impl, rng):
    layer, _ = make_embedding(impl, rng, 4, 2)
    x, dout = np.array([[0, 3], [2, 2]]), rng.standard_normal((2, 2, 2))
    layer.forward(x)
    got = layer.backward(dout)
    require(got is None, f"Embedding.backward returned {type_name(got)}: it returns None; the "
                         f"input is integer indices, which have no gradient (grads['W'] holds "
                         f"the gradient).")
    # returning nothing is right only with the gradient in its place
    expected = np.zeros((4, 2))
    for n, t in np.ndindex(x.shape):
        expected[x[n, t]] += dout[n, t]
    assert_close('grads["W"] after Embedding.backward (row 2 used twice: both gradients)',
                 layer.grads["W"], expected)


@EMBEDDING
def test_embedding_float32_keeps_dtype(impl, rng):
    layer, W = make_embedding(impl, rng, 5, 3, dtype=np.float32)
    x, dout = tokens(rng, 2, 4, 5), rng.standard_normal((2, 4, 3)).astype(np.float32)
    out = layer.forward(x)
    assert_close("Embedding(dtype=float32).forward(x)", out, np.array([[W[i] for i in row] for row in x]))
    layer.backward(dout)
    assert_embedding_grad('Embedding(dtype=float32).backward: grads["W"]', grad_of(layer), x, dout, 5)


@EMBEDDING
def test_embedding_inputs_unchanged(impl, rng):
    layer, W = make_embedding(impl, rng, 6, 3)
    x, dout = tokens(rng, 3, 4, 6), rng.standard_normal((3, 4, 3))
    before = snapshot(x, dout, W)
    out = layer.forward(x)
    layer.backward(dout)
    for name, old, new in zip(["x", "dout", 'params["W"]'], before, [x, dout, layer.params["W"]]):
        assert_unchanged(name, old, new)
    assert_close("Embedding.forward(x)", out, np.array([[before[2][i] for i in row] for row in x]))
    assert_embedding_grad('grads["W"]', grad_of(layer), x, dout, 6)


@EMBEDDING
def test_embedding_backward_twice_same_grads(impl, rng):
    layer, _ = make_embedding(impl, rng, 5, 2)
    x, dout = tokens(rng, 2, 3, 5), rng.standard_normal((2, 3, 2))
    layer.forward(x)
    layer.backward(dout)
    first = np.array(grad_of(layer), copy=True)
    layer.backward(dout)
    assert_close('grads["W"] (second backward: overwritten, not accumulated)', grad_of(layer), first)


# ---- temporal softmax cross-entropy ------------------------------------------------------------

DIV_N = ("divided by N (the batch size): the loss is the mean over the unmasked positions, so "
         "divide by their count, np.count_nonzero(mask)")
DIV_NT = ("divided by N * T (every position, the masked ones too): divide by the count of "
          "unmasked positions, np.count_nonzero(mask)")
NO_DIV = "not divided: the loss is the mean over the unmasked positions, not their sum"
MASK_IGNORED = "the masked positions are counted: they contribute nothing to the loss"
MASKED_NONZERO = ("dscores is nonzero at masked positions: a position the mask leaves out "
                  "contributes nothing to the loss, so its gradient is exactly 0")


def temporal_loss(scores, y, mask=None):
    """Trusted (loss, dscores): the unmasked positions gathered as a batch of rows, whose mean
    cross-entropy (the losses chapter's) is the loss; dscores scattered back, 0 elsewhere."""
    mask = np.ones(y.shape, dtype=bool) if mask is None else mask
    loss, rows = softmax_loss(scores[mask], y[mask])
    dscores = np.zeros(scores.shape, dtype=scores.dtype)
    dscores[mask] = rows
    return loss, dscores


def loss_slips(scores, y, mask):
    """{cause: (wrong loss, wrong dscores)} of the divisions and masks that go wrong."""
    n, t = y.shape
    count = np.count_nonzero(mask)
    loss, dscores = temporal_loss(scores, y, mask)
    every, d_every = temporal_loss(scores, y)          # masked positions counted too
    return {DIV_N: (loss * count / n, dscores * count / n),
            DIV_NT: (loss * count / (n * t), dscores * count / (n * t)),
            NO_DIV: (loss * count, dscores * count),
            MASK_IGNORED + f" (divided by the count, {count})": (every * n * t / count,
                                                                 d_every * n * t / count),
            MASK_IGNORED + f" (divided by N * T = {n * t})": (every, d_every)}


def call_loss(impl, scores, y, mask):
    return impl.recurrent.temporal_softmax_cross_entropy(scores, y, mask)


def assert_temporal(name, got, scores, y, mask, rtol=1e-7):
    """(loss, dscores) against the trusted loss; a division or mask slip named first."""
    require(type(got) in (tuple, list) and len(got) == 2,
            f"{name}: expected (loss, dscores), got {type_name(got)}.")
    loss, dscores = got
    right_loss, right_d = temporal_loss(scores, y, mask)
    slips = loss_slips(scores, y, np.ones(y.shape, bool) if mask is None else mask)
    if type(loss) in (float, np.float64, np.float32):
        assert_no_slip(f"{name} loss", np.array(float(loss)), np.array(right_loss),
                       {cause: wrong for cause, (wrong, _) in slips.items()})
    assert_float(f"{name} loss", loss, right_loss, rtol=rtol)
    if type(dscores) is np.ndarray and mask is not None and dscores.shape == scores.shape:
        require(not np.any(dscores[~mask]), f"{name} dscores: {MASKED_NONZERO}.")
    assert_no_slip(f"{name} dscores", dscores, right_d, {cause: d for cause, (_, d) in slips.items()})
    assert_close(f"{name} dscores", dscores, right_d, rtol=rtol, atol=1e-6 if rtol > 1e-7 else 1e-12)


def random_mask(rng, n, t):
    """A mask with at least two False and two True, whose count is neither N nor N * T."""
    while True:
        mask = rng.random((n, t)) < 0.6
        count = np.count_nonzero(mask)
        if 2 <= count <= n * t - 2 and count != n:
            return mask


def sequence_batch(rng, v=None):
    """Scores (N, T, V), labels and a random mask; N, T and V vary from check to check."""
    n, t = int(rng.integers(2, 5)), int(rng.integers(3, 6))
    v = int(rng.integers(4, 7)) if v is None else v
    return 2.0 * rng.standard_normal((n, t, v)), rng.integers(0, v, size=(n, t)), random_mask(rng, n, t)


@TEMPORAL
def test_temporal_loss_known_answer(impl):
    # Two sequences of two steps, three classes; position (0, 1) is masked out.
    #   (0, 0): scores [1, 2, 3],  y = 2: loss L0 = log(1 + e^-1 + e^-2)
    #   (1, 0): scores [1, -1, 0], y = 1: loss 2 + L0 (the same scores, shifted; label 2 below the top)
    #   (1, 1): scores all 0.5,    y = 0: loss log 3
    # mean over the 3 unmasked positions: (2 L0 + 2 + log 3) / 3
    scores = np.array([[[1.0, 2.0, 3.0], [5.0, 0.0, -2.0]], [[1.0, -1.0, 0.0], [0.5, 0.5, 0.5]]])
    y = np.array([[2, 1], [1, 0]])
    mask = np.array([[True, False], [True, True]])
    z = 1 + math.exp(-1) + math.exp(-2)
    p0 = np.array([math.exp(-2), math.exp(-1), 1.0]) / z            # softmax of [1, 2, 3]
    probs = np.array([[p0, [0.0, 0.0, 0.0]], [p0[[2, 0, 1]], [1 / 3, 1 / 3, 1 / 3]]])
    dscores = (probs - onehot(y, 3) * mask[..., None]) / 3
    got = call_loss(impl, scores, y, mask)
    name = "temporal_softmax_cross_entropy(scores (2, 2, 3), y, mask with 3 of 4 True)"
    assert_temporal(name, got, scores, y, mask)      # names a slip; then the hand-computed values:
    assert_float(f"{name} loss", got[0], (2 * math.log(z) + 2 + math.log(3)) / 3)
    assert_close(f"{name} dscores", got[1], dscores)


@TEMPORAL
def test_temporal_loss_random_batch(impl, rng):
    scores, y, mask = sequence_batch(rng)
    name = (f"temporal_softmax_cross_entropy(scores {fmt_shape(scores.shape)}, y, mask with "
            f"{np.count_nonzero(mask)} of {mask.size} True)")
    assert_temporal(name, call_loss(impl, scores, y, mask), scores, y, mask)


@TEMPORAL
def test_temporal_loss_masked_positions_change_nothing(impl, rng):
    scores, y, mask = sequence_batch(rng)
    loss, dscores = call_loss(impl, scores, y, mask)
    other, labels = scores.copy(), y.copy()
    other[~mask] = 20.0 * rng.standard_normal((np.count_nonzero(~mask), scores.shape[2]))
    labels[~mask] = (y[~mask] + 1) % scores.shape[2]
    name = "temporal_softmax_cross_entropy with other scores and labels at the masked positions"
    loss2, dscores2 = call_loss(impl, other, labels, mask)
    assert_array(f"{name}: dscores", dscores2, scores.shape, np.float64)
    require(not np.any(dscores2[~mask]), f"{name}: {MASKED_NONZERO}.")
    if type(loss) in (float, np.float64) and type(loss2) in (float, np.float64):
        require(abs(loss2 - loss) <= 1e-12 * abs(loss),
                f"{name}: the loss changed from {float(loss)!r} to {float(loss2)!r}: {MASK_IGNORED}.")
    assert_close(f"{name}: dscores at the unmasked positions", dscores2, dscores, rtol=1e-12)
    assert_temporal(name, (loss2, dscores2), other, labels, mask)


@TEMPORAL
def test_temporal_loss_gradient(impl, rng):
    scores, y, mask = sequence_batch(rng)
    fn = impl.recurrent.temporal_softmax_cross_entropy
    loss, dscores = fn(scores.copy(), y, mask)
    name = f"temporal_softmax_cross_entropy(scores {fmt_shape(scores.shape)}, y, random mask)"
    right = temporal_loss(scores, y, mask)[0]
    try:
        assert_float(f"{name} loss", loss, right)
    except AssertionError as error:
        raise AssertionError(f"{error} Fix the loss value first: the gradient is checked against "
                             f"the finite differences of your loss.") from None
    numeric = numerical_gradient(lambda output: output[0], (fn, (scores, y, mask)), 0,
                                 sample_indices(scores.shape, rng, 30))
    assert_gradient(f"{name} dscores", dscores, numeric, scores.shape)


@TEMPORAL
def test_temporal_loss_large_logits_stable(impl):
    # Logits ~1000 overflow exp() unless each position is shifted by its own max.
    #   (0, 0): correct class on top by 1000: loss 0;   (0, 1): 2000 below the top: loss 2000
    #   (1, 0): all equal: loss log 3;                   (1, 1): masked (it would be 6000)
    scores = np.array([[[1000.0, 2000.0, 3000.0], [1000.0, -1000.0, 0.0]],
                       [[-1000.0, -1000.0, -1000.0], [3000.0, -3000.0, 0.0]]])
    y = np.array([[2, 1], [0, 1]])
    mask = np.array([[True, True], [True, False]])
    probs = np.array([[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [[1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 0.0]]])
    loss, dscores = call_loss(impl, scores, y, mask)
    name = "temporal_softmax_cross_entropy with logits ~1000"
    assert_float(f"{name}: loss", loss, (2000 + math.log(3)) / 3, not_finite=(
        "an exp() that overflows, or log(0)? shift each position's scores by their max over "
        "the last axis, and take log-probabilities as shifted - log(sum(exp(shifted)))"))
    assert_close(f"{name}: dscores", dscores, (probs - onehot(y, 3) * mask[..., None]) / 3, atol=1e-15)


@TEMPORAL
def test_temporal_loss_mask_none_means_every_position(impl, rng):
    scores, y, _ = sequence_batch(rng)
    n, t, _ = scores.shape
    everything = np.ones((n, t), dtype=bool)
    name = f"temporal_softmax_cross_entropy(scores {fmt_shape(scores.shape)}, y"
    assert_temporal(f"{name}) (no mask: all N * T = {n * t} positions)",
                    impl.recurrent.temporal_softmax_cross_entropy(scores, y), scores, y, everything)
    assert_temporal(f"{name}, mask=None)", call_loss(impl, scores, y, None), scores, y, everything)


@TEMPORAL
def test_temporal_loss_float32_keeps_dtype(impl, rng):
    scores, y, mask = sequence_batch(rng)
    scores = scores.astype(np.float32)
    assert_temporal("temporal_softmax_cross_entropy(scores in float32)",
                    call_loss(impl, scores, y, mask), scores, y, mask, rtol=1e-5)


@TEMPORAL
def test_temporal_loss_inputs_unchanged(impl, rng):
    scores, y, mask = sequence_batch(rng)
    before = snapshot(scores, y, mask)
    got = call_loss(impl, scores, y, mask)
    for name, old, new in zip(["scores", "y", "mask"], before, [scores, y, mask]):
        assert_unchanged(name, old, new)
    assert_temporal("temporal_softmax_cross_entropy", got, *before)


# ---- RNN ---------------------------------------------------------------------------------------

TRUNCATED = ("the gradient from later steps is not carried back (truncated backpropagation "
             "through time): the gradient reaching h_t is dhs[:, t] plus the dh_prev that step "
             "t + 1 returned")
ONE_STEP = ("only one step's share: the parameters are shared by every step, so their gradients "
            "add up over t (+=, from zeros at the start of backward)")
AT_INPUT = ("tanh's derivative is taken at its input: with h = tanh(z), dh/dz = 1 - h**2, at "
            "the output h (1 - z**2 is not it)")
TANH_AGAIN = ("tanh's derivative is 1 - tanh(h)**2: tanh applied to h again; with h = tanh(z), "
              "dh/dz = 1 - h**2")
DH0_LATE = ("dh0 is the gradient of the first output h_1 (before step 0's backward): dh0 is the "
            "dh_prev that step 0 returns, the gradient of the initial state")
DWH_OUTPUT = ("dWh uses the step's output h: Wh multiplies h_prev, so dWh = h_prev.T @ dz")
FROM_H0 = ("every step starts from h0: step t starts from the h of step t - 1 (h0 for the first "
           "only)")


def derivative(z, kind):
    """tanh's derivative at its input z, right ("output": 1 - h**2) or as the slips take it."""
    h = np.tanh(z)
    return {"output": 1.0 - h * h, "input": 1.0 - z * z, "again": 1.0 - np.tanh(h) ** 2}[kind]


def rnn_forward(x, h0, Wx, Wh, b):
    """hs (N, T, H) by the definition, step after step in float64: h_t = tanh(x_t @ Wx +
    h_{t-1} @ Wh + b), written with einsum's index sums."""
    x, h = np.asarray(x, np.float64), np.asarray(h0, np.float64)
    hs = np.zeros((x.shape[0], x.shape[1], Wh.shape[0]))
    for t in range(x.shape[1]):
        h = hs[:, t] = np.tanh(np.einsum("nd,dk->nk", x[:, t], Wx) + np.einsum("nj,jk->nk", h, Wh) + b)
    return hs


def step_grads(x_t, h_prev, params, dh, kind="output", dwh_from="h_prev"):
    """{name: gradient} of sum(h * dh) for one step h = tanh(z); ``kind``, ``dwh_from``: slips."""
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    z = x_t @ Wx + h_prev @ Wh + b
    dz = dh * derivative(z, kind)
    source = h_prev if dwh_from == "h_prev" else np.tanh(z)
    return {"dx_t": dz @ Wx.T, "dh_prev": dz @ Wh.T, "Wx": x_t.T @ dz, "Wh": source.T @ dz,
            "b": dz.sum(axis=0)}


def bptt(x, h0, params, dhs, carry=True, kind="output", keep="all", dh0_late=False,
         dwh_from="h_prev"):
    """{"x", "h0", "Wx", "Wh", "b": gradient} of sum(hs * dhs), through time in float64.

    The slips: ``carry=False`` drops the gradient from later steps; ``kind`` takes tanh's
    derivative elsewhere; ``keep`` "first"/"last" keeps one step's share of the parameters'
    gradients; ``dh0_late`` gives h_1's gradient as dh0; ``dwh_from="h"`` takes dWh from the
    step's output.
    """
    hs = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    previous = np.concatenate([np.asarray(h0, np.float64)[:, None], hs[:, :-1]], axis=1)
    t_len = x.shape[1]
    grads = {"x": np.zeros(x.shape), "Wx": 0.0, "Wh": 0.0, "b": 0.0}
    later = np.zeros_like(dhs[:, 0])
    for t in range(t_len - 1, -1, -1):
        reaching = dhs[:, t] + (later if carry else 0.0)
        if t == 0 and dh0_late:
            grads["h0"] = reaching
        step = step_grads(x[:, t], previous[:, t], params, reaching, kind, dwh_from)
        grads["x"][:, t], later = step["dx_t"], step["dh_prev"]
        for name in ("Wx", "Wh", "b"):
            if keep == "all" or t == {"first": 0, "last": t_len - 1}[keep]:
                grads[name] = grads[name] + step[name]
    grads.setdefault("h0", later)
    return grads


def make_rnn(impl, rng, d, h, dtype=np.float64):
    """An RNN with Wx, Wh, b filled from ``rng`` (scaled so that the recurrence matters and tanh
    does not saturate); returns (layer, {name: array})."""
    layer = impl.recurrent.RNN(d, h, rng, dtype=dtype)
    params = {"Wx": 0.6 * rng.standard_normal((d, h)), "Wh": 0.5 * rng.standard_normal((h, h)),
              "b": 0.3 * rng.standard_normal(h)}
    for name, value in params.items():
        fill(layer, ("params", name), value.astype(dtype))
    return layer, {name: value.astype(dtype).astype(np.float64) for name, value in params.items()}


def rnn_sizes(rng):
    """(N, T, D, H): T = 4 and N = 3; D and H vary from check to check."""
    return 3, 4, int(rng.integers(2, 5)), int(rng.integers(3, 6))


def unpack(name, got, count, what):
    require(type(got) in (tuple, list) and len(got) == count,
            f"{name} must return {what}, got {type_name(got)}"
            + (f" of length {len(got)}." if type(got) in (tuple, list) else "."))
    return got


def assert_hs(name, got, right, slips=None, rtol=1e-7, atol=1e-12):
    """Hidden states (N, T, H): the layout named first, then a known slip, then the values."""
    n, t, h = right.shape
    if type(got) is np.ndarray and got.shape != right.shape:
        if got.shape == (t, n, h):
            raise AssertionError(f"{name}: got shape {fmt_shape(got.shape)}, time first: the "
                                 f"layer is batch-first, hs[:, t] = h_t, shape (N, T, H) = "
                                 f"{fmt_shape(right.shape)}.")
        if got.shape == (n, h):
            raise AssertionError(f"{name}: got shape {fmt_shape(got.shape)}, the last h only: "
                                 f"forward returns every h_t, shape (N, T, H) = {fmt_shape(right.shape)}.")
    assert_no_slip(name, got, right, slips or {})
    assert_close(name, got, right, rtol=rtol, atol=atol)


def steps_from_h0(x, h0, params):
    """What a forward whose every step starts from h0 returns."""
    return np.stack([np.tanh(x[:, t] @ params["Wx"] + h0 @ params["Wh"] + params["b"])
                     for t in range(x.shape[1])], axis=1)


@RNN_CHECK
def test_rnn_step_known_answer(impl, rng):
    layer = impl.recurrent.RNN(3, 2, rng)
    Wx = np.array([[0.5, -1.0], [0.25, 0.5], [-0.5, 0.0]])
    Wh, b = np.array([[1.0, 0.5], [-0.5, 0.25]]), np.array([0.25, -0.5])
    for key, value in (("Wx", Wx), ("Wh", Wh), ("b", b)):
        fill(layer, ("params", key), value)
    x_t, h_prev = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, -1.0]]), np.array([[0.5, -1.0], [0.0, -1.0]])
    # row 0: x_t @ Wx = [0, -1], h_prev @ Wh = [1, 0],     z = [1.25, -1.5]
    # row 1: x_t @ Wx = [1, 1],  h_prev @ Wh = [0.5, -0.25], z = [1.75, 0.25]
    z = np.array([[1.25, -1.5], [1.75, 0.25]])
    h, _ = unpack("RNN.step(x_t, h_prev)", layer.step(x_t, h_prev), 2, "(h, cache)")
    name = "RNN(3, 2).step(x_t, h_prev) for N = 2"
    assert_no_slip(name, h, np.tanh(z), {
        "tanh is missing: h = tanh(x_t @ Wx + h_prev @ Wh + b)": z,
        "the bias b is missing": np.tanh(z - b),
        "h_prev is multiplied by Wh.T: it is h_prev @ Wh (row j of Wh weighs entry j of h_prev)":
            np.tanh(z - h_prev @ Wh + h_prev @ Wh.T),
        "h_prev is left out: z = x_t @ Wx + h_prev @ Wh + b": np.tanh(z - h_prev @ Wh)})
    assert_close(name, h, np.tanh(z))


STEP_TARGETS = ["dx_t", "dh_prev", "Wx", "Wh", "b"]


@RNN_CHECK
@pytest.mark.parametrize("target", STEP_TARGETS)
def test_rnn_step_backward(impl, rng, target):
    n, _, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x_t, h_prev, dh = (rng.standard_normal((n, d)), 0.8 * rng.standard_normal((n, h)),
                       rng.standard_normal((n, h)))
    _, cache = unpack("RNN.step(x_t, h_prev)", layer.step(x_t, h_prev), 2, "(h, cache)")
    got = unpack("RNN.step_backward(dh, cache)", layer.step_backward(dh, cache), 5,
                 "(dx_t, dh_prev, dWx, dWh, db)")[STEP_TARGETS.index(target)]
    shape = {"dx_t": x_t.shape, "dh_prev": h_prev.shape}.get(target) or params[target].shape
    name = f"RNN({d}, {h}).step_backward: {target if target[0] == 'd' else 'd' + target}"
    assert_no_slip(name, got, step_grads(x_t, h_prev, params, dh)[target], {
        AT_INPUT: step_grads(x_t, h_prev, params, dh, "input")[target],
        TANH_AGAIN: step_grads(x_t, h_prev, params, dh, "again")[target],
        DWH_OUTPUT: step_grads(x_t, h_prev, params, dh, dwh_from="h")[target]})
    perturb = {"dx_t": 0, "dh_prev": 1}.get(target, (layer, "params", target))
    numeric = numerical_gradient(lambda out: float(np.sum(out[0] * dh)), (layer.step, (x_t, h_prev)),
                                 perturb, sample_indices(shape, rng, 30))
    assert_gradient(name, got, numeric, shape)


@RNN_CHECK
def test_rnn_forward_is_step_after_step(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x, h0 = rng.standard_normal((n, t, d)), 0.8 * rng.standard_normal((n, h))
    hs = layer.forward(x, h0)
    right = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    assert_hs(f"RNN({d}, {h}).forward(x, h0) for x of shape {fmt_shape(x.shape)}", hs, right,
              {FROM_H0: steps_from_h0(x, h0, params)})


@RNN_CHECK
def test_rnn_h0_none_means_zeros(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x = rng.standard_normal((n, t, d))
    right = rnn_forward(x, np.zeros((n, h)), params["Wx"], params["Wh"], params["b"])
    assert_hs(f"RNN({d}, {h}).forward(x) without h0 (zeros)", layer.forward(x), right,
              {FROM_H0: steps_from_h0(x, np.zeros((n, h)), params)})
    assert_hs(f"RNN({d}, {h}).forward(x, None)", layer.forward(x, None), right)


BPTT_TARGETS = ["x", "h0", "Wx", "Wh", "b"]


def bptt_slips(x, h0, params, dhs, target):
    """{cause: what that slip gives for ``target``}."""
    slips = {TRUNCATED: bptt(x, h0, params, dhs, carry=False)[target],
             AT_INPUT: bptt(x, h0, params, dhs, kind="input")[target],
             TANH_AGAIN: bptt(x, h0, params, dhs, kind="again")[target]}
    if target in ("Wx", "Wh", "b"):
        slips[ONE_STEP + " (got step 0's, the last one backward reaches)"] = \
            bptt(x, h0, params, dhs, keep="first")[target]
        slips[ONE_STEP + " (got the last step's)"] = bptt(x, h0, params, dhs, keep="last")[target]
    if target == "Wh":
        slips[DWH_OUTPUT] = bptt(x, h0, params, dhs, dwh_from="h")["Wh"]
    if target == "h0":
        slips[DH0_LATE] = bptt(x, h0, params, dhs, dh0_late=True)["h0"]
    return slips


def backward_result(layer, target, dx):
    """What backward gave for ``target``: dx, self.dh0 or grads[...]."""
    if target == "x":
        return "dx", dx
    if target == "h0":
        got = layer.dh0
        require(got is not None, "RNN.backward did not set self.dh0: after backward, dh0 holds the "
                                 "gradient of the initial state h0 (what step 0's dh_prev is).")
        return "self.dh0", got
    require(target in layer.grads, f'grads["{target}"] is missing after backward (grads has keys '
                                   f"{sorted(layer.grads)}).")
    return f'grads["{target}"]', layer.grads[target]


@RNN_CHECK
@pytest.mark.parametrize("target", BPTT_TARGETS)
def test_rnn_backward_through_time(impl, rng, target):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x, h0, dhs = (rng.standard_normal((n, t, d)), 0.8 * rng.standard_normal((n, h)),
                  rng.standard_normal((n, t, h)))
    layer.forward(x, h0)
    label, got = backward_result(layer, target, layer.backward(dhs))
    name = f"RNN({d}, {h}).backward: {label} for x of shape {fmt_shape(x.shape)}"
    right = bptt(x, h0, params, dhs)[target]
    assert_no_slip(name, got, right, bptt_slips(x, h0, params, dhs, target))
    perturb = {"x": 0, "h0": 1}.get(target, (layer, "params", target))
    numeric = numerical_gradient(lambda hs: float(np.sum(hs * dhs)), (layer.forward, (x, h0)),
                                 perturb, sample_indices(right.shape, rng, 40))
    assert_gradient(name, got, numeric, right.shape)


@RNN_CHECK
def test_rnn_backward_carries_gradient_to_earlier_steps(impl, rng):
    # The loss reads the last h only; every earlier x_t still reaches it through the recurrence.
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x, dhs = rng.standard_normal((n, t, d)), np.zeros((n, t, h))
    dhs[:, -1] = rng.standard_normal((n, h))
    layer.forward(x)
    dx = layer.backward(dhs)
    right = bptt(x, np.zeros((n, h)), params, dhs)["x"]
    name = f"RNN({d}, {h}).backward: dx when only the last step's h has a gradient"
    assert_array(name, dx, x.shape, np.float64)
    require(np.any(dx[:, :-1]), f"{name}: dx[:, :{t - 1}] is all zeros, yet x_0 .. x_{t - 2} "
                                f"change h_{t - 1} through the recurrence: {TRUNCATED}.")
    assert_close(name, dx, right)


@RNN_CHECK
def test_rnn_sequence_of_one_step(impl, rng):
    # T = 1: no later step sends a gradient back; everything is the one step's.
    n, _, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x, h0, dhs = rng.standard_normal((n, 1, d)), rng.standard_normal((n, h)), rng.standard_normal((n, 1, h))
    name = f"RNN({d}, {h}) on a sequence of one step (T = 1)"
    assert_hs(f"{name}: forward(x, h0)", layer.forward(x, h0),
              rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"]))
    dx = layer.backward(dhs)
    right = bptt(x, h0, params, dhs)
    for target in BPTT_TARGETS:
        label, got = backward_result(layer, target, dx)
        assert_close(f"{name}: {label}", got, right[target])


@RNN_CHECK
def test_rnn_float32_keeps_dtype(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h, dtype=np.float32)
    x, dhs = (rng.standard_normal((n, t, d)).astype(np.float32),
              rng.standard_normal((n, t, h)).astype(np.float32))
    h0 = np.zeros((n, h))
    hs = layer.forward(x)
    assert_hs("RNN(dtype=float32).forward(x)", hs,
              rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"]).astype(np.float32),
              rtol=1e-5, atol=1e-6)
    dx = layer.backward(dhs)
    right = bptt(x.astype(np.float64), h0, params, dhs.astype(np.float64))
    for target in BPTT_TARGETS:
        label, got = backward_result(layer, target, dx)
        assert_close(f"RNN(dtype=float32).backward: {label} in float32", got,
                     right[target].astype(np.float32), rtol=1e-4, atol=1e-5)


@RNN_CHECK
def test_rnn_inputs_unchanged(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x, h0, dhs = (rng.standard_normal((n, t, d)), rng.standard_normal((n, h)),
                  rng.standard_normal((n, t, h)))
    before = snapshot(x, h0, dhs, *params.values())
    hs = layer.forward(x, h0)
    dx = layer.backward(dhs)
    now = [x, h0, dhs] + [layer.params[k] for k in params]
    for label, old, new in zip(["x", "h0", "dhs"] + [f'params["{k}"]' for k in params], before, now):
        assert_unchanged(label, old, new)
    assert_hs("RNN.forward(x, h0)", hs, rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"]))
    assert_close("RNN.backward: dx", dx, bptt(x, h0, params, dhs)["x"])


@RNN_CHECK
def test_rnn_backward_twice_same_grads(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, _ = make_rnn(impl, rng, d, h)
    x, dhs = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
    layer.forward(x)
    dx1 = layer.backward(dhs)
    first = {target: np.array(backward_result(layer, target, dx1)[1], copy=True)
             for target in BPTT_TARGETS[1:]}
    dx2 = layer.backward(dhs)
    assert_close("dx (second backward)", dx2, dx1)
    for target in BPTT_TARGETS[1:]:
        label, got = backward_result(layer, target, dx2)
        assert_close(f"{label} (second backward: overwritten, not accumulated)", got, first[target])
