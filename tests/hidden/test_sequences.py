"""Hidden checks of the sequence exercises (embedding, temporal_loss, rnn): references on random cases.

The trusted references here are float64 and never call the student's code: the Embedding's
gradient adds row by row in a loop, the temporal loss gathers the unmasked positions into a
batch of rows for the cross-entropy of the losses chapter, and the RNN runs the definition step
after step, with backpropagation through time whose known slips are computed with it to name
them. They stay out of the handout: the visible checks (tests/suites/test_sequences.py) hold
known answers, identities and gradient checks only.
"""
import numpy as np
import pytest

from grader.remote import type_name
from tests.checks import assert_close, assert_float, assert_no_slip, fmt_shape
from tests.suites.test_sequences import (
    AT_INPUT,
    BPTT_TARGETS,
    DH0_LATE,
    DWH_OUTPUT,
    EMBEDDING,
    FANCY_INDEX,
    FROM_H0,
    MASKED_NONZERO,
    ONE_STEP,
    RNN_CHECK,
    STEP_TARGETS,
    TANH_AGAIN,
    TEMPORAL,
    TRUNCATED,
    assert_hs,
    backward_result,
    backward_through_time_of,
    call_loss,
    grad_of,
    make_embedding,
    make_rnn,
    rnn_sizes,
    sequence_batch,
    step_backward_of,
    tokens,
)
from tests.suites.test_sequences import (
    loss_slips as slips_of_the_loss,
)
from tests.trusted_models import require, softmax_loss


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
def test_embedding_backward_random_tokens(impl, rng):
    v, d = int(rng.integers(6, 10)), int(rng.integers(2, 5))
    n, t = int(rng.integers(2, 5)), int(rng.integers(3, 6))
    layer, _ = make_embedding(impl, rng, v, d)
    x, dout = tokens(rng, n, t, v), rng.standard_normal((n, t, d))
    layer.forward(x)
    layer.backward(dout)
    assert_embedding_grad(f'Embedding({v}, {d}).backward: grads["W"] for x of shape {fmt_shape(x.shape)}',
                          grad_of(layer), x, dout, v)


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
    loss, dscores = temporal_loss(scores, y, mask)
    every, d_every = temporal_loss(scores, y)          # masked positions counted too
    return slips_of_the_loss(loss, dscores, n, t, np.count_nonzero(mask), every, d_every)


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


@TEMPORAL
def test_temporal_loss_random_batch(impl, rng):
    scores, y, mask = sequence_batch(rng)
    name = (f"temporal_softmax_cross_entropy(scores {fmt_shape(scores.shape)}, y, mask with "
            f"{np.count_nonzero(mask)} of {mask.size} True)")
    assert_temporal(name, call_loss(impl, scores, y, mask), scores, y, mask)


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


def steps_from_h0(x, h0, params):
    """What a forward whose every step starts from h0 returns."""
    return np.stack([np.tanh(x[:, t] @ params["Wx"] + h0 @ params["Wh"] + params["b"])
                     for t in range(x.shape[1])], axis=1)


@RNN_CHECK
def test_rnn_forward_is_step_after_step(impl, rng):
    n, t, d, h = rnn_sizes(rng)
    layer, params = make_rnn(impl, rng, d, h)
    x, h0 = rng.standard_normal((n, t, d)), 0.8 * rng.standard_normal((n, h))
    hs = layer.forward(x, h0)
    right = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    assert_hs(f"RNN({d}, {h}).forward(x, h0) for x of shape {fmt_shape(x.shape)}", hs, right,
              {FROM_H0: steps_from_h0(x, h0, params)})


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
@pytest.mark.parametrize("target", STEP_TARGETS)
def test_rnn_step_backward_matches_the_reference(impl, rng, target):
    _, params, x_t, h_prev, dh, got, name = step_backward_of(impl, rng, target)
    assert_no_slip(name, got, step_grads(x_t, h_prev, params, dh)[target], {
        AT_INPUT: step_grads(x_t, h_prev, params, dh, "input")[target],
        TANH_AGAIN: step_grads(x_t, h_prev, params, dh, "again")[target],
        DWH_OUTPUT: step_grads(x_t, h_prev, params, dh, dwh_from="h")[target]})
    assert_close(name, got, step_grads(x_t, h_prev, params, dh)[target])


@RNN_CHECK
@pytest.mark.parametrize("target", BPTT_TARGETS)
def test_rnn_backward_through_time_matches_the_reference(impl, rng, target):
    _, params, x, h0, dhs, got, name = backward_through_time_of(impl, rng, target)
    right = bptt(x, h0, params, dhs)[target]
    assert_no_slip(name, got, right, bptt_slips(x, h0, params, dhs, target))
    assert_close(name, got, right)
