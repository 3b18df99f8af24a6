"""Hidden checks of the LSTM (exercise lstm): the reference on random cases.

The trusted references below compute each gate from its own column slices of Wx, Wh and b
(PyTorch's order i, f, g, o), with sigmoid written as (1 + tanh(z / 2)) / 2, in float64; the
backward goes gate by gate through the chain rule, and the sequence references loop over the
steps. Their ``slip`` (and ``order``) arguments make one known mistake, so that a check can name
the one it sees. They stay out of the handout: the visible checks (tests/suites/test_lstm.py)
hold known answers, identities and gradient checks only.
"""
import itertools

import numpy as np
import pytest

from tests.checks import assert_close
from tests.suites.test_lstm import (
    BACKWARD_CASES,
    GATE_ORDER,
    GATES,
    PARAMS,
    RESULT_NAMES,
    STEP_BACKWARD_CASES,
    STEP_GRADS,
    N,
    T,
    assert_no_slip,
    backward_results,
    backward_through_time_of,
    call_step,
    copies,
    flat,
    make_lstm,
    sequence,
    states,
    step_backward_of,
)

pytestmark = pytest.mark.exercise("lstm")

# ---- trusted references ---------------------------------------------------------------


def sigmoid(z):
    return (1.0 + np.tanh(z / 2.0)) / 2.0


def columns(H, order=GATES):
    """{gate: its column slice} when the blocks of H columns hold the gates of ``order``."""
    return {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(order)}


def reference_step(x, h_prev, c_prev, Wx, Wh, b, slip=None, order=GATES):
    """(h, c, gates) of one step, each gate from its own slices; ``order`` says where a slip
    reads the gates from."""
    z = {gate: x @ Wx[:, s] + h_prev @ Wh[:, s] + b[s] for gate, s in columns(len(b) // 4, order).items()}
    gates = {gate: sigmoid(z[gate]) for gate in "ifo"}
    gates["g"] = sigmoid(z["g"]) if slip == "g sigmoid" else np.tanh(z["g"])
    i, f, g, o = (gates[gate] for gate in GATES)
    c = {"no f": c_prev + i * g, "no old cell": i * g, "no i": f * c_prev + g}.get(slip, f * c_prev + i * g)
    h = {"h = o * c": o * c, "tanh twice": o * np.tanh(np.tanh(c))}.get(slip, o * np.tanh(c))
    return h, c, gates


def reference_step_backward(x, h_prev, c_prev, Wx, Wh, b, dh, dc, slip=None, order=GATES):
    """(dx, dh_prev, dc_prev, dWx, dWh, db) of one step by the chain rule, gate by gate, for
    L with dL/dh = dh and dL/dc = dc (the direct part, not through h); ``order``: the blocks
    a slip packs the gates' gradients into."""
    _, c, gates = reference_step(x, h_prev, c_prev, Wx, Wh, b)
    i, f, g, o = (gates[gate] for gate in GATES)
    tanh_c = np.tanh(c)
    through_tanh = {"1 - c**2": 1.0 - c ** 2, "no tanh'": 1.0}.get(slip, 1.0 - tanh_c ** 2)
    dc_total = dc if slip == "dc misses dh" else dc + dh * o * through_tanh
    d_gate = {"i": dc_total * g, "f": dc_total * c_prev, "g": dc_total * i,
              "o": dh * (c if slip == "do with c" else tanh_c)}
    slope = {"i": i * (1.0 - i), "f": f * (1.0 - f), "o": o * (1.0 - o),
             "g": g * (1.0 - g) if slip == "g' as sigmoid'" else 1.0 - g ** 2}
    dx, dh_prev = np.zeros_like(x), np.zeros_like(h_prev)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    for gate, s in columns(len(b) // 4, order).items():
        dz = d_gate[gate] * slope[gate]
        dx += dz @ Wx[:, s].T
        dh_prev += dz @ Wh[:, s].T
        dWx[:, s], dWh[:, s], db[s] = x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)
    dc_prev = dc_total if slip == "dc_prev without f" else dc_total * f
    return dx, dh_prev, dc_prev, dWx, dWh, db


def reference_forward(x, h0, c0, params, slip=None):
    """hs (N, T, H): the step repeated from (h0, c0), each from the previous step's h and c."""
    h, c, hs = h0, c0, []
    for t in range(x.shape[1]):
        h_t, c_t, _ = reference_step(x[:, t], h, c, *(params[k] for k in PARAMS))
        h = h0 if slip == "h not carried" else h_t
        c = c0 if slip == "c not carried" else c_t
        hs.append(h_t)
    return np.stack(hs, axis=1)


def reference_backward(x, h0, c0, params, dhs, slip=None):
    """(dx, grads, dh0, dc0) through time for L = sum(hs * dhs)."""
    prev, h, c = [], h0, c0
    for t in range(x.shape[1]):                 # the states each step started from
        prev.append((h, c))
        h, c, _ = reference_step(x[:, t], h, c, *(params[k] for k in PARAMS))
    grads = {k: np.zeros_like(p) for k, p in params.items()}
    dx = np.zeros_like(x)
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(x.shape[1])):
        dh_in = dhs[:, t] if slip == "dh not carried" else dhs[:, t] + dh
        dc_in = np.zeros_like(dc) if slip == "dc not carried" else dc
        dx[:, t], dh, dc, *shares = reference_step_backward(
            x[:, t], *prev[t], *(params[k] for k in PARAMS), dh_in, dc_in)
        for k, share in zip(PARAMS, shares):
            if slip == "shares overwritten":
                grads[k] = share
            elif slip != "last step only" or t == x.shape[1] - 1:
                grads[k] = grads[k] + share
    return dx, grads, dh, dc


# ---- the known slips, and what a check says when it sees one --------------------------

def misread_orders():
    """{the blocks' order a slip reads the gates in: what it is}, for every order but PyTorch's."""
    said = {}
    for order in map("".join, itertools.permutations(GATES)):
        wrong = [right for gate, right in zip(order, GATES) if gate != right]
        if len(wrong) == 2:
            said[order] = f"gates {wrong[0]} and {wrong[1]} swapped"
        elif wrong:
            said[order] = f"the blocks taken as gates {', '.join(order)}"
    said["ifog"] += " (i, f, o, g is CS231n's order, not PyTorch's)"
    return said


STEP_SLIPS = {
    **{f"{what}: {GATE_ORDER}": {"order": order} for order, what in misread_orders().items()},
    "g computed with sigmoid: the cell candidate is g = tanh(z_g), in (-1, 1), so that the cell "
    "can also decrease; i, f and o are the sigmoids": {"slip": "g sigmoid"},
    "c = c_prev + i * g: the forget gate scales the old cell, c = f * c_prev + i * g":
        {"slip": "no f"},
    "c = i * g: the old cell f * c_prev is missing (c = f * c_prev + i * g)": {"slip": "no old cell"},
    "c = f * c_prev + g: the input gate scales the candidate, c = f * c_prev + i * g":
        {"slip": "no i"},
    "h = o * c: the cell goes through tanh before the output gate, h = o * tanh(c)":
        {"slip": "h = o * c"},
    "h = o * tanh(tanh(c)): tanh applied twice (h = o * tanh(c), where the cell "
    "c = f * c_prev + i * g has no tanh of its own)":
        {"slip": "tanh twice"},
}

BACKWARD_STEP_SLIPS = {
    **{f"the gates' gradients packed into the wrong columns, {what}: {GATE_ORDER}": {"order": order}
       for order, what in misread_orders().items()},
    "dc_prev lacks the factor f: the old cell reaches c through the forget gate "
    "(c = f * c_prev + i * g), so dc_prev = (dc + dh * o * (1 - tanh(c)**2)) * f":
        {"slip": "dc_prev without f"},
    "the cell's gradient through h is missing: h = o * tanh(c) also depends on c, so the "
    "gradient reaching c is dc + dh * o * (1 - tanh(c)**2)": {"slip": "dc misses dh"},
    "tanh's derivative taken at c: the derivative of tanh(c) is 1 - tanh(c)**2, not 1 - c**2":
        {"slip": "1 - c**2"},
    "tanh's derivative is missing from the cell's gradient through h: h = o * tanh(c), so the "
    "gradient reaching c is dc + dh * o * (1 - tanh(c)**2), not dc + dh * o": {"slip": "no tanh'"},
    "the output gate's gradient uses c: h = o * tanh(c), so dL/do = dh * tanh(c), not dh * c":
        {"slip": "do with c"},
    "g's slope taken as a sigmoid's, g * (1 - g): g = tanh(z_g), whose slope is 1 - g**2":
        {"slip": "g' as sigmoid'"},
}

NOT_CARRIED_C = ("the cell state is not carried from step to step: each step starts from the "
                 "previous step's c (and h), not from c0")
FORWARD_SLIPS = {
    NOT_CARRIED_C: {"slip": "c not carried"},
    "the hidden state is not carried from step to step: each step starts from the previous "
    "step's h, not from h0": {"slip": "h not carried"},
}

DC_NOT_CARRIED = ("the cell-state gradient from later steps is dropped (dc not carried): step t "
                  "gets dc = the dc_prev that step t + 1 sent back, as dh gets dh_prev")
NOT_SUMMED = ("parameter gradients not summed over time: Wx, Wh and b are shared by every step, so "
              "their gradients add up the shares of all T steps")
BACKWARD_SLIPS = {
    DC_NOT_CARRIED: {"slip": "dc not carried"},
    "the hidden state's gradient from later steps is dropped: the gradient reaching h_t is "
    "dhs[:, t] plus the dh_prev that step t + 1 sent back": {"slip": "dh not carried"},
    NOT_SUMMED + " (got only the share of step t = 0: each step's share replaces the last)":
        {"slip": "shares overwritten"},
    NOT_SUMMED + " (got only the share of the last step)": {"slip": "last step only"},
}


# ---- helpers ---------------------------------------------------------------------------------

def assert_step(name, got, x, h_prev, c_prev, params):
    """``got`` = (h, c) of LSTM.step equal to the reference's, naming a known slip if it is one."""
    args = (x, h_prev, c_prev, *(params[k] for k in PARAMS))
    right = reference_step(*args)[:2]
    assert_no_slip(name, got, right, {cause: reference_step(*args, **kw)[:2]
                                      for cause, kw in STEP_SLIPS.items()})
    for label, value, expected in zip(["h", "c"], got, right):
        assert_close(f"{name}: {label}", value, expected)


def assert_no_backward_slip(name, got, x, h0, c0, params, dhs, only=RESULT_NAMES):
    """Fail naming the slip when the results of backward (``only`` those named) are a known
    slip's; returns the reference's."""
    keep = [RESULT_NAMES.index(label) for label in only]

    def pick(results):
        return tuple(flat(results)[k] for k in keep)
    right = pick(reference_backward(x, h0, c0, params, dhs))
    assert_no_slip(name, pick(got), right, {cause: pick(reference_backward(x, h0, c0, params, dhs, **kw))
                                            for cause, kw in BACKWARD_SLIPS.items()})
    return right


def assert_backward(name, got, x, h0, c0, params, dhs, only=RESULT_NAMES):
    """The results of backward (``only`` those named) equal the reference's, naming a known slip."""
    right = assert_no_backward_slip(name, got, x, h0, c0, params, dhs, only)
    keep = [RESULT_NAMES.index(label) for label in only]
    for label, value, expected in zip(only, (flat(got)[k] for k in keep), right):
        assert_close(f"{name}: {label}", value, expected)


# ---- random cases --------------------------------------------------------------------------

# ---- LSTM.step -------------------------------------------------------------------------------

@pytest.mark.parametrize("n, d, h", [(2, 3, 2), (3, 2, 4)], ids=["N2_D3_H2", "N3_D2_H4"])
def test_lstm_step_matches_the_reference(impl, rng, n, d, h):
    layer, params = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    h_new, c_new, _ = call_step(layer, x, h_prev, c_prev)
    assert_step("LSTM.step(x_t, h_prev, c_prev)", (h_new, c_new), x, h_prev, c_prev, params)


def test_lstm_step_cell_update(impl, rng):
    """c = f * c_prev + i * g, checked on its own (c does not depend on the output gate)."""
    n, d, h = 3, 2, 3
    layer, params = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    c_new = call_step(layer, x, h_prev, c_prev)[1]
    args = (x, h_prev, c_prev, *(params[k] for k in PARAMS))
    name = "LSTM.step: the new cell c = f * c_prev + i * g"
    right = reference_step(*args)[1]
    assert_no_slip(name, (c_new,), (right,),
                   {cause: reference_step(*args, **kw)[1:2] for cause, kw in STEP_SLIPS.items()})
    assert_close(name, c_new, right)


def test_lstm_step_hidden_is_o_times_tanh_c(impl, rng):
    """h = o * tanh(c), with the step's own c (checked apart above): cells beyond (-1, 1) show
    a missing or doubled tanh."""
    n, d, h = 4, 3, 2
    layer, params = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    c_prev = c_prev + 2.0 * np.sign(c_prev)                        # |c| well beyond 1
    h_new, c_new, _ = call_step(layer, x, h_prev, c_prev)
    assert_step("LSTM.step: h = o * tanh(c)", (h_new, c_new), x, h_prev, c_prev, params)


@STEP_BACKWARD_CASES
def test_lstm_step_backward_matches_the_reference(impl, rng, grad, n, d, h):
    """Against the reference's step_backward, naming a known slip."""
    _, params, (x, h_prev, c_prev), (dh, dc), got = step_backward_of(impl, rng, n, d, h)
    args = (x, h_prev, c_prev, *(params[k] for k in PARAMS))
    k = STEP_GRADS.index(grad)
    right = reference_step_backward(*args, dh, dc)[k]
    assert_no_slip(f"LSTM.step_backward: {grad}", got[k:k + 1], (right,),
                   {cause: reference_step_backward(*args, dh, dc, **kw)[k:k + 1]
                    for cause, kw in BACKWARD_STEP_SLIPS.items()})

    assert_close(f"LSTM.step_backward: {grad}", got[k], right)


@pytest.mark.parametrize("t, d, h", [(4, 3, 2), (5, 2, 3)], ids=["T4_D3_H2", "T5_D2_H3"])
def test_lstm_forward_runs_the_steps(impl, rng, t, d, h):
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, _ = sequence(rng, N, t, d, h)
    hs = layer.forward(*copies(x, h0, c0))
    name = "LSTM.forward(x, h0, c0): hs, the h of every step"
    right = reference_forward(x, h0, c0, params)
    assert_no_slip(name, (hs,), (right,), {cause: (reference_forward(x, h0, c0, params, **kw),)
                                           for cause, kw in FORWARD_SLIPS.items()})
    if type(hs) is np.ndarray and hs.shape == right.shape and np.allclose(hs, right[:, ::-1]):
        raise AssertionError(f"{name}: the steps come out in reverse order: hs[:, t] is h_t.")
    assert_close(name, hs, right)


@BACKWARD_CASES
def test_lstm_backward_through_time_matches_the_reference(impl, rng, key, d, h):
    """Against the reference's backpropagation through time, naming a known slip."""
    _, params, (x, h0, c0, dhs), got, label = backward_through_time_of(impl, rng, key, d, h)
    assert_backward(f"LSTM.backward: {label}", got, x, h0, c0, params, dhs, only=[label])


@pytest.mark.parametrize("steps", [T, 1], ids=[f"T{T}", "T1"])
def test_lstm_backward_sets_dh0_and_dc0(impl, rng, steps):
    d, h = 3, 3
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, steps, d, h)
    layer.forward(*copies(x, h0, c0))
    got = backward_results(layer, *copies(dhs))
    assert_backward(f"LSTM.backward over T = {steps} step(s): the gradients of the initial state",
                    got, x, h0, c0, params, dhs, only=["self.dh0", "self.dc0"])


def test_lstm_backward_carries_the_cell_gradient(impl, rng):
    """Only the last step gets an upstream gradient: the first steps learn only through what the
    later steps send back, through h and through c."""
    d, h = 2, 3
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T, d, h)
    dhs[:, :-1] = 0.0
    layer.forward(*copies(x, h0, c0))
    got = backward_results(layer, *copies(dhs))
    name = "LSTM.backward with dhs = 0 except at the last step"
    assert_backward(name, got, x, h0, c0, params, dhs)


def test_lstm_parameter_gradients_add_up_over_time(impl, rng):
    d, h = 3, 2
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T + 1, d, h)
    layer.forward(*copies(x, h0, c0))
    got = backward_results(layer, *copies(dhs))
    assert_backward("LSTM.backward: the parameters' gradients", got, x, h0, c0, params, dhs,
                    only=[f'grads["{k}"]' for k in PARAMS])
