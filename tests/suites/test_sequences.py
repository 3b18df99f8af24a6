"""Checks for the sequence exercises: embedding, temporal_loss and rnn (the LSTM's are in
test_lstm.py).

Everything is batch-first: tokens (N, T), vectors (N, T, D), hidden states (N, T, H).
The checks here hold no reference of their own: known answers worked out by hand, or on tiny
cases worked out once and frozen together with what each known slip gives there (a gradient not
carried from later steps, parameter gradients of one step only, tanh's derivative taken at its
input, ...), identities (a missing mask or h0 is the full mask or zeros; float32 is float64
rounded) and gradients against the trusted central differences of tests/gradcheck.py of the
code under test, with a random upstream gradient on every step.
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
from tests.trusted_models import require, softmax_loss

EMBEDDING = pytest.mark.exercise("embedding")
TEMPORAL = pytest.mark.exercise("temporal_loss")
RNN_CHECK = pytest.mark.exercise("rnn")


# ---- embedding ---------------------------------------------------------------------------------

FANCY_INDEX = ("an index used several times got only one of its gradients: dW[x] += dout with "
               "fancy indexing writes each row once, so repeated indices lose all but one; "
               "np.add.at(dW, x, dout) adds every one")


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
    layer, _ = make_embedding(impl, rng, 5, 2)
    x = np.array([[1, 3, 1], [1, 0, 3]])
    dout = np.array([[[1.0, -2.0], [0.5, 4.0], [3.0, 1.0]], [[-1.0, 0.25], [2.0, 2.0], [1.5, -3.0]]])
    layer.forward(x)
    layer.backward(dout)
    # row 1: [1, -2] + [3, 1] + [-1, 0.25]; row 3: [0.5, 4] + [1.5, -3]; row 0: [2, 2]
    expected = np.array([[2.0, 2.0], [3.0, -0.75], [0.0, 0.0], [2.0, 1.0], [0.0, 0.0]])
    name = 'Embedding.backward: grads["W"] (index 1 used 3 times, 3 twice)'
    got = grad_of(layer)
    assert_no_slip(name, got, expected, {
        f"{FANCY_INDEX} (index 1 is used 3 times)": np.array([[2.0, 2.0], [-1.0, 0.25], [0.0, 0.0],
                                                              [1.5, -3.0], [0.0, 0.0]]),
        f"{FANCY_INDEX} (index 1 is used 3 times; got its first gradient)":
            np.array([[2.0, 2.0], [1.0, -2.0], [0.0, 0.0], [0.5, 4.0], [0.0, 0.0]])})
    assert_close(name, got, expected)


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
    # x = [[4, 1], [1, 1]]: row 4 gets dout[0, 0]; row 1 the other three
    assert_close('Embedding.backward: grads["W"], row 4 (used once)', dW[4], dout[0, 0])
    assert_close('Embedding.backward: grads["W"], row 1 (used 3 times: the sum of its gradients)',
                 dW[1], dout[0, 1] + dout[1, 0] + dout[1, 1])


@EMBEDDING
def test_embedding_backward_returns_none(impl, rng):
    layer, _ = make_embedding(impl, rng, 4, 2)
    x, dout = np.array([[0, 3], [2, 2]]), rng.standard_normal((2, 2, 2))
    layer.forward(x)
    got = layer.backward(dout)
    require(got is None, f"Embedding.backward returned {type_name(got)}: it returns None; the "
                         f"input is integer indices, which have no gradient (grads['W'] holds "
                         f"the gradient).")
    # returning nothing is right only with the gradient in its place: rows 0, 3 once, 2 twice
    expected = np.stack([dout[0, 0], np.zeros(2), dout[1, 0] + dout[1, 1], dout[0, 1]])
    assert_close('grads["W"] after Embedding.backward (row 2 used twice: both gradients)',
                 layer.grads["W"], expected)


@EMBEDDING
def test_embedding_float32_keeps_dtype(impl, rng):
    layer, W = make_embedding(impl, rng, 5, 3, dtype=np.float32)
    twin = impl.recurrent.Embedding(5, 3, rng)              # the same table in float64
    fill(twin, ("params", "W"), W.astype(np.float64))
    x, dout = tokens(rng, 2, 4, 5), rng.standard_normal((2, 4, 3))
    out = layer.forward(x)
    assert_close("Embedding(dtype=float32).forward(x) (against the same table in float64)", out,
                 np.asarray(twin.forward(x)).astype(np.float32))
    layer.backward(dout.astype(np.float32))
    twin.backward(dout)
    assert_close('Embedding(dtype=float32).backward: grads["W"] (against the same table in float64)',
                 grad_of(layer), np.asarray(grad_of(twin)).astype(np.float32), rtol=1e-5, atol=1e-6)


@EMBEDDING
def test_embedding_inputs_unchanged(impl, rng):
    layer, W = make_embedding(impl, rng, 6, 3)
    x, dout = tokens(rng, 3, 4, 6), rng.standard_normal((3, 4, 3))
    before = snapshot(x, dout, W)
    out = layer.forward(x)
    layer.backward(dout)
    for name, old, new in zip(["x", "dout", 'params["W"]'], before, [x, dout, layer.params["W"]]):
        assert_unchanged(name, old, new)
    assert_array("Embedding.forward(x)", out, (3, 4, 3), np.float64)
    assert_array('grads["W"]', grad_of(layer), (6, 3), np.float64)


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


def call_loss(impl, scores, y, mask):
    return impl.recurrent.temporal_softmax_cross_entropy(scores, y, mask)


def random_mask(rng, n, t):
    """A mask with at least two False and two True, whose count is neither N nor N * T."""
    while True:
        mask = rng.random((n, t)) < 0.6
        kept = np.count_nonzero(mask)
        if 2 <= kept <= n * t - 2 and kept != n:
            return mask


def sequence_batch(rng, v=None):
    """Scores (N, T, V), labels and a random mask; N, T and V vary from check to check."""
    n, t = int(rng.integers(2, 5)), int(rng.integers(3, 6))
    v = int(rng.integers(4, 7)) if v is None else v
    return 2.0 * rng.standard_normal((n, t, v)), rng.integers(0, v, size=(n, t)), random_mask(rng, n, t)


def masked_dscores(scores, y, mask):
    """dL/dscores of the mean softmax cross-entropy over the positions where ``mask`` is True:
    the trusted softmax_loss of those positions' rows (a complex step of the loss value), and 0
    at the masked positions."""
    expected = np.zeros(scores.shape)
    expected[mask] = softmax_loss(scores[mask], y[mask])[1]
    return expected


def loss_slips(loss, dscores, n, t, count, every, d_every):
    """{cause: (wrong loss, wrong dscores)} of the divisions and masks that go wrong, from the
    right ones and those over every position (the masked ones too, divided by N * T)."""
    return {DIV_N: (loss * count / n, dscores * count / n),
            DIV_NT: (loss * count / (n * t), dscores * count / (n * t)),
            NO_DIV: (loss * count, dscores * count),
            MASK_IGNORED + f" (divided by the count, {count})": (every * n * t / count,
                                                                 d_every * n * t / count),
            MASK_IGNORED + f" (divided by N * T = {n * t})": (every, d_every)}


def assert_loss(name, got, loss, dscores, slips, mask):
    """(loss, dscores) equal to the known ones, a division or mask slip named first."""
    require(type(got) in (tuple, list) and len(got) == 2,
            f"{name}: expected (loss, dscores), got {type_name(got)}.")
    got_loss, got_d = got
    if type(got_loss) in (float, np.float64, np.float32):
        assert_no_slip(f"{name} loss", np.array(float(got_loss)), np.array(loss),
                       {cause: wrong for cause, (wrong, _) in slips.items()})
    assert_float(f"{name} loss", got_loss, loss)
    if type(got_d) is np.ndarray and got_d.shape == dscores.shape:
        require(not np.any(got_d[~mask]), f"{name} dscores: {MASKED_NONZERO}.")
    assert_no_slip(f"{name} dscores", got_d, dscores, {cause: d for cause, (_, d) in slips.items()})
    assert_close(f"{name} dscores", got_d, dscores)


@TEMPORAL
def test_temporal_loss_known_answer(impl):
    # Two sequences of two steps, three classes; position (0, 1) is masked out.
    #   (0, 0): scores [1, 2, 3],  y = 2: loss L0 = log(1 + e^-1 + e^-2)
    #   (1, 0): scores [1, -1, 0], y = 1: loss 2 + L0 (the same scores, shifted; label 2 below the top)
    #   (1, 1): scores all 0.5,    y = 0: loss log 3
    # mean over the 3 unmasked positions: (2 L0 + 2 + log 3) / 3
    #   (0, 1), masked: scores [5, 0, -2], y = 1: loss 5 + Lm, Lm = log(1 + e^-5 + e^-7)
    scores = np.array([[[1.0, 2.0, 3.0], [5.0, 0.0, -2.0]], [[1.0, -1.0, 0.0], [0.5, 0.5, 0.5]]])
    y = np.array([[2, 1], [1, 0]])
    mask = np.array([[True, False], [True, True]])
    z, zm = 1 + math.exp(-1) + math.exp(-2), 1 + math.exp(-5) + math.exp(-7)
    loss = (2 * math.log(z) + 2 + math.log(3)) / 3
    dscores = masked_dscores(scores, y, mask)
    every = (2 * math.log(z) + 2 + math.log(3) + 5 + math.log(zm)) / 4
    d_every = masked_dscores(scores, y, np.ones((2, 2), dtype=bool))
    got = call_loss(impl, scores, y, mask)
    name = "temporal_softmax_cross_entropy(scores (2, 2, 3), y, mask with 3 of 4 True)"
    assert_loss(name, got, loss, dscores, loss_slips(loss, dscores, 2, 2, 3, every, d_every), mask)


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


@TEMPORAL
def test_temporal_loss_gradient(impl, rng):
    scores, y, mask = sequence_batch(rng)
    fn = impl.recurrent.temporal_softmax_cross_entropy
    loss, dscores = fn(scores.copy(), y, mask)
    name = f"temporal_softmax_cross_entropy(scores {fmt_shape(scores.shape)}, y, random mask)"
    require(type(loss) in (float, np.float64) and math.isfinite(loss),
            f"{name}: the loss must be a finite float, got {type_name(loss)} {loss!r:.60}.")
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
    loss, dscores = call_loss(impl, scores, y, mask)
    name = "temporal_softmax_cross_entropy with logits ~1000"
    assert_float(f"{name}: loss", loss, (2000 + math.log(3)) / 3, not_finite=(
        "an exp() that overflows, or log(0)? shift each position's scores by their max over "
        "the last axis, and take log-probabilities as shifted - log(sum(exp(shifted)))"))
    assert_close(f"{name}: dscores", dscores, masked_dscores(scores, y, mask), atol=1e-15)


@TEMPORAL
def test_temporal_loss_mask_none_means_every_position(impl, rng):
    scores, y, _ = sequence_batch(rng)
    n, t, _ = scores.shape
    everything = np.ones((n, t), dtype=bool)
    loss, dscores = call_loss(impl, scores, y, everything)
    assert_array(f"dscores with a mask of all N * T = {n * t} positions", dscores, scores.shape, np.float64)
    name = f"temporal_softmax_cross_entropy(scores {fmt_shape(scores.shape)}, y"
    for call, got in ((f"{name}) (no mask)", impl.recurrent.temporal_softmax_cross_entropy(scores, y)),
                      (f"{name}, mask=None)", call_loss(impl, scores, y, None))):
        require(type(got) in (tuple, list) and len(got) == 2,
                f"{call}: expected (loss, dscores), got {type_name(got)}.")
        what = " (the same as with a mask of all N * T positions)"
        assert_float(f"{call} loss{what}", got[0], loss)
        assert_close(f"{call} dscores{what}", got[1], dscores)


@TEMPORAL
def test_temporal_loss_float32_keeps_dtype(impl, rng):
    scores, y, mask = sequence_batch(rng)
    loss, dscores = call_loss(impl, scores, y, mask)
    got = call_loss(impl, scores.astype(np.float32), y, mask)
    name = "temporal_softmax_cross_entropy(scores in float32) (against the same in float64)"
    require(type(got) in (tuple, list) and len(got) == 2,
            f"{name}: expected (loss, dscores), got {type_name(got)}.")
    assert_float(f"{name} loss", got[0], loss, rtol=1e-5)
    assert_close(f"{name} dscores", got[1], np.asarray(dscores).astype(np.float32), rtol=1e-5, atol=1e-6)


@TEMPORAL
def test_temporal_loss_inputs_unchanged(impl, rng):
    scores, y, mask = sequence_batch(rng)
    before = snapshot(scores, y, mask)
    got = call_loss(impl, scores, y, mask)
    for name, old, new in zip(["scores", "y", "mask"], before, [scores, y, mask]):
        assert_unchanged(name, old, new)
    require(type(got) in (tuple, list) and len(got) == 2,
            f"temporal_softmax_cross_entropy: expected (loss, dscores), got {type_name(got)}.")
    assert_array("dscores", got[1], scores.shape, np.float64)


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


STEP_PARAMS = {"Wx": np.array([[0.5, -1.0], [0.25, 0.5], [-0.5, 0.0]]),
               "Wh": np.array([[1.0, 0.5], [-0.5, 0.25]]), "b": np.array([0.25, -0.5])}
STEP_X, STEP_H = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, -1.0]]), np.array([[0.5, -1.0], [0.0, -1.0]])


@RNN_CHECK
def test_rnn_step_known_answer(impl, rng):
    layer = impl.recurrent.RNN(3, 2, rng)
    Wh, b = STEP_PARAMS["Wh"], STEP_PARAMS["b"]
    for key, value in STEP_PARAMS.items():
        fill(layer, ("params", key), value)
    x_t, h_prev = STEP_X, STEP_H
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


# the step above with dh = [[1, -2], [0.5, 1]]: dz = dh * (1 - h**2), dx_t = dz @ Wx.T, ...;
# the values, and those of the known slips, worked out once and frozen
STEP_DH = np.array([[1.0, -2.0], [0.5, 1.0]])
STEP_BACKWARD = {
    "dx_t": [[0.501620710937513, -0.11060292237854, -0.140207433090216],
             [-0.911561824926642, 0.484233936343057, -0.028453023879736]],
    "dh_prev": [[0.099708227256784, -0.23056075255204], [0.52691347216266, 0.206550688321859]],
    "Wx": [[0.280414866180433, -0.361413277847297], [0.113812095518942, 1.880029697612756],
           [0.223508818420962, -1.301428126653675]],
    "Wh": [[0.140207433090216, -0.180706638923648], [-0.337320913939904, -0.578601570959081]],
    "b": [0.337320913939904, 0.578601570959081]}
STEP_BACKWARD_SLIPS = {
    AT_INPUT: {"dx_t": [[-2.78125, 1.109375, 0.28125], [-1.453125, 0.2109375, 0.515625]],
               "dh_prev": [[0.6875, 0.90625], [-0.5625, 0.75]],
               "Wx": [[-0.5625, 2.5], [-2.0625, 1.875], [0.46875, 1.5625]],
               "Wh": [[-0.28125, 1.25], [1.59375, -3.4375]], "b": [-1.59375, 3.4375]},
    TANH_AGAIN: {"dx_t": [[1.228497795858885, -0.352417413244901, -0.261831484684542],
                          [-0.827704727519787, 0.528482232587336, -0.114629868827442]],
                 "dh_prev": [[0.040329813781912, -0.503498062478128], [0.700427035828499, 0.120953780259365]],
                 "Wx": [[0.523662969369084, -0.966666311174343], [0.458519475309769, 1.884669192694458],
                        [0.2944032317142, -1.909000907521572]],
                 "Wh": [[0.261831484684542, -0.483333155587172], [-0.752922707023969, 0.024331714827114]],
                 "b": [0.752922707023969, -0.024331714827114]},
    DWH_OUTPUT: {"Wh": [[0.291441304735061, 0.578326013629269], [-0.239879673319346, 0.55735977669683]]},
}


@RNN_CHECK
def test_rnn_step_backward_known_answer(impl, rng):
    layer = impl.recurrent.RNN(3, 2, rng)
    for key, value in STEP_PARAMS.items():
        fill(layer, ("params", key), value)
    _, cache = unpack("RNN.step(x_t, h_prev)", layer.step(STEP_X, STEP_H), 2, "(h, cache)")
    got = unpack("RNN.step_backward(dh, cache)", layer.step_backward(STEP_DH.copy(), cache), 5,
                 "(dx_t, dh_prev, dWx, dWh, db)")
    for target, value in zip(STEP_TARGETS, got):
        name = (f"RNN(3, 2).step_backward: {target if target[0] == 'd' else 'd' + target}, after "
                f"the step of test_rnn_step_known_answer, with dh = {STEP_DH.tolist()}")
        right = np.array(STEP_BACKWARD[target])
        slips = {cause: np.array(wrong[target]) for cause, wrong in STEP_BACKWARD_SLIPS.items()
                 if target in wrong}
        assert_no_slip(name, value, right, slips)
        assert_close(name, value, right)


# one sequence, N = 1, T = 3, D = H = 1: h_t = tanh(0.5 x_t - 1.5 h_{t-1} + 0.25) from h0 = 0.8,
# and the gradients of sum(hs * dhs); the values, and those of the known slips, worked out once
# and frozen
SEQ_PARAMS = {"Wx": np.array([[0.5]]), "Wh": np.array([[-1.5]]), "b": np.array([0.25])}
SEQ_X, SEQ_H0, SEQ_DHS = [1.0, -0.5, 2.0], 0.8, [1.0, -0.5, 2.0]
SEQ_HS = [-0.421899005250008, 0.560010516387884, 0.388459286110442]
SEQ_FROM_H0 = [-0.421899005250008, -0.833654607012155, 0.04995837495788]
SEQ_GRADS = {"x": [1.700492165144406, -1.045814778525054, 0.849099383034566], "Wx": [7.843196640952129],
             "Wh": [4.554253061617648], "b": [3.007553539307835], "h0": [-5.101476495433218]}
SEQ_SLIPS = {
    "x": {TRUNCATED: [0.411000614684527, -0.171597055383744, 0.849099383034566],
          AT_INPUT: [1.472954806744798, -0.897976849943405, 0.83191293490826],
          TANH_AGAIN: [1.866602908279873, -1.146028890078412, 0.863076887302466]},
    "h0": {TRUNCATED: [-1.233001844053581], AT_INPUT: [-4.418864420234393],
           TANH_AGAIN: [-5.599808724839619], DH0_LATE: [4.137444335575164]},
    "Wx": {TRUNCATED: [4.389995816891061], AT_INPUT: [7.171538203066041], TANH_AGAIN: [8.33154225584802],
           ONE_STEP + " (got step 0's, the last one backward reaches)": [3.400984330288812],
           ONE_STEP + " (got the last step's)": [3.396397532138264]},
    "Wh": {TRUNCATED: [1.753403405351349], AT_INPUT: [4.046198754784463], TANH_AGAIN: [4.920245817352906],
           ONE_STEP + " (got step 0's, the last one backward reaches)": [2.72078746423105],
           ONE_STEP + " (got the last step's)": [0.951009167915642], DWH_OUTPUT: [-1.94652537381466]},
    "b": {TRUNCATED: [2.177005884670698], AT_INPUT: [2.813781783419306], TANH_AGAIN: [3.167301811007853],
          ONE_STEP + " (got step 0's, the last one backward reaches)": [3.400984330288812],
          ONE_STEP + " (got the last step's)": [1.698198766069132]},
}
SEQ_SHAPES = {"x": (1, 3, 1), "h0": (1, 1), "Wx": (1, 1), "Wh": (1, 1), "b": (1,)}


def seq_layer(impl, rng):
    layer = impl.recurrent.RNN(1, 1, rng)
    for key, value in SEQ_PARAMS.items():
        fill(layer, ("params", key), value)
    return layer, np.array(SEQ_X).reshape(1, 3, 1), np.array([[SEQ_H0]]), np.array(SEQ_DHS).reshape(1, 3, 1)


@RNN_CHECK
def test_rnn_forward_known_answer(impl, rng):
    layer, x, h0, _ = seq_layer(impl, rng)
    hs = layer.forward(x, h0)
    assert_hs(f"RNN(1, 1).forward(x, h0) with Wx = 0.5, Wh = -1.5, b = 0.25, x = {SEQ_X}, h0 = {SEQ_H0}",
              hs, np.array(SEQ_HS).reshape(1, 3, 1), {FROM_H0: np.array(SEQ_FROM_H0).reshape(1, 3, 1)})


@RNN_CHECK
def test_rnn_backward_known_answer(impl, rng):
    layer, x, h0, dhs = seq_layer(impl, rng)
    layer.forward(x, h0)
    dx = layer.backward(dhs)
    for target in BPTT_TARGETS:
        label, got = backward_result(layer, target, dx)
        name = (f"RNN(1, 1).backward: {label} with dhs = {SEQ_DHS}, after forward(x, h0) with "
                f"Wx = 0.5, Wh = -1.5, b = 0.25, x = {SEQ_X}, h0 = {SEQ_H0}")
        shape = SEQ_SHAPES[target]
        right = np.reshape(SEQ_GRADS[target], shape)
        assert_no_slip(name, got, right, {cause: np.reshape(wrong, shape)
                                          for cause, wrong in SEQ_SLIPS[target].items()})
        assert_close(name, got, right)


STEP_TARGETS = ["dx_t", "dh_prev", "Wx", "Wh", "b"]


def step_backward_of(impl, rng, target):
    """(layer, params, x_t, h_prev, dh, got, name): a random RNN, one step of it and what its
    step_backward gave for ``target``, with the name the messages give it."""
    n, _, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x_t, h_prev, dh = (rng.standard_normal((n, d)), 0.8 * rng.standard_normal((n, h)),
                       rng.standard_normal((n, h)))
    _, cache = unpack("RNN.step(x_t, h_prev)", layer.step(x_t, h_prev), 2, "(h, cache)")
    got = unpack("RNN.step_backward(dh, cache)", layer.step_backward(dh, cache), 5,
                 "(dx_t, dh_prev, dWx, dWh, db)")[STEP_TARGETS.index(target)]
    name = f"RNN({d}, {h}).step_backward: {target if target[0] == 'd' else 'd' + target}"
    return layer, params, x_t, h_prev, dh, got, name


@RNN_CHECK
@pytest.mark.parametrize("target", STEP_TARGETS)
def test_rnn_step_backward(impl, rng, target):
    layer, params, x_t, h_prev, dh, got, name = step_backward_of(impl, rng, target)
    shape = {"dx_t": x_t.shape, "dh_prev": h_prev.shape}.get(target) or params[target].shape
    perturb = {"dx_t": 0, "dh_prev": 1}.get(target, (layer, "params", target))
    numeric = numerical_gradient(lambda out: float(np.sum(out[0] * dh)), (layer.step, (x_t, h_prev)),
                                 perturb, sample_indices(shape, rng, 30))
    assert_gradient(name, got, numeric, shape)


@RNN_CHECK
def test_rnn_h0_none_means_zeros(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x = rng.standard_normal((n, t, d))
    right = layer.forward(x, np.zeros((n, h)))
    assert_array(f"RNN({d}, {h}).forward(x, zeros)", right, (n, t, h), np.float64)
    what = " (the same as forward(x, h0) with h0 = zeros)"
    assert_hs(f"RNN({d}, {h}).forward(x) without h0{what}", layer.forward(x), right)
    assert_hs(f"RNN({d}, {h}).forward(x, None){what}", layer.forward(x, None), right)


BPTT_TARGETS = ["x", "h0", "Wx", "Wh", "b"]


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


def backward_through_time_of(impl, rng, target, steps=None):
    """(layer, params, x, h0, dhs, got, name): a random RNN, a sequence through it (of ``steps``
    steps, rnn_sizes' T by default) and what its backward gave for ``target``, with the name the
    messages give it."""
    n, t, d, h = rnn_sizes(rng)
    t = steps or t
    layer, params = make_rnn(impl, rng, d, h)
    x, h0, dhs = (rng.standard_normal((n, t, d)), 0.8 * rng.standard_normal((n, h)),
                  rng.standard_normal((n, t, h)))
    layer.forward(x, h0)
    label, got = backward_result(layer, target, layer.backward(dhs))
    name = f"RNN({d}, {h}).backward: {label} for x of shape {fmt_shape(x.shape)}"
    return layer, params, x, h0, dhs, got, name


def check_backward_through_time(impl, rng, target, steps=None):
    """``target``'s gradient against central differences of L = sum(hs * dhs)."""
    layer, params, x, h0, dhs, got, name = backward_through_time_of(impl, rng, target, steps)
    shape = {"x": x.shape, "h0": h0.shape}.get(target) or params[target].shape
    perturb = {"x": 0, "h0": 1}.get(target, (layer, "params", target))
    numeric = numerical_gradient(lambda hs: float(np.sum(hs * dhs)), (layer.forward, (x, h0)),
                                 perturb, sample_indices(shape, rng, 40))
    assert_gradient(name, got, numeric, shape)


@RNN_CHECK
@pytest.mark.parametrize("target", BPTT_TARGETS)
def test_rnn_backward_through_time(impl, rng, target):
    check_backward_through_time(impl, rng, target)


@RNN_CHECK
def test_rnn_backward_of_a_one_step_sequence(impl, rng):
    # T = 1: the loop over time runs once, and nothing may read a second step
    for target in ("x", "h0"):
        check_backward_through_time(impl, rng, target, steps=1)


@RNN_CHECK
def test_rnn_backward_carries_gradient_to_earlier_steps(impl, rng):
    # The loss reads the last h only; every earlier x_t still reaches it through the recurrence.
    n, t, d, h = rnn_sizes(rng)
    layer, _ = make_rnn(impl, rng, d, h)
    x, dhs = rng.standard_normal((n, t, d)), np.zeros((n, t, h))
    dhs[:, -1] = rng.standard_normal((n, h))
    layer.forward(x)
    dx = layer.backward(dhs)
    name = f"RNN({d}, {h}).backward: dx when only the last step's h has a gradient"
    assert_array(name, dx, x.shape, np.float64)
    require(np.any(dx[:, :-1]), f"{name}: dx[:, :{t - 1}] is all zeros, yet x_0 .. x_{t - 2} "
                                f"change h_{t - 1} through the recurrence: {TRUNCATED}.")


@RNN_CHECK
def test_rnn_float32_keeps_dtype(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h, dtype=np.float32)
    twin = impl.recurrent.RNN(d, h, rng)                  # the same layer in float64
    for name, value in params.items():
        fill(twin, ("params", name), value)
    x, dhs = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
    hs = layer.forward(x.astype(np.float32))
    assert_hs("RNN(dtype=float32).forward(x) (against the same layer in float64)", hs,
              np.asarray(twin.forward(x)).astype(np.float32), rtol=1e-5, atol=1e-6)
    dx, wide = layer.backward(dhs.astype(np.float32)), twin.backward(dhs)
    for target in BPTT_TARGETS:
        label, got = backward_result(layer, target, dx)
        assert_close(f"RNN(dtype=float32).backward: {label} in float32 (against the same layer in "
                     f"float64)", got, np.asarray(backward_result(twin, target, wide)[1]).astype(np.float32),
                     rtol=1e-4, atol=1e-5)


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
    assert_array("RNN.forward(x, h0)", hs, (n, t, h), np.float64)
    assert_array("RNN.backward: dx", dx, x.shape, np.float64)


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
