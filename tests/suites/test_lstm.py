"""Checks for the LSTM (exercise ``lstm``): one step, its backward, and the whole sequence.

The trusted references below compute each gate from its own column slices of Wx, Wh
and b (PyTorch's order i, f, g, o), with sigmoid written as (1 + tanh(z / 2)) / 2, in
float64; the backward goes gate by gate through the chain rule, and the sequence
references loop over the steps. Their ``slip`` (and ``order``) arguments make one known
mistake, so that a check can name the one it sees. The gradients are also checked against
central differences of the code under test (tests.gradcheck).
"""
import itertools

import numpy as np
import pytest

from grader.remote import fill, type_name
from tests.checks import assert_close, assert_unchanged, snapshot
from tests.gradcheck import assert_gradient, numerical_gradient, sample_indices

pytestmark = pytest.mark.exercise("lstm")

GATES = "ifgo"              # PyTorch's order of the four blocks of H columns
PARAMS = ("Wx", "Wh", "b")
GATE_ORDER = ("gates in PyTorch's order i, f, g, o: columns [0:H] input, [H:2H] forget, "
              "[2H:3H] cell candidate g, [3H:4H] output")

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


def assert_no_slip(name, got, right, slips):
    """Fail with the named cause when every array of ``got`` is what a known slip gives
    ({cause: its results}) and differs from ``right``."""
    if any(type(a) is not np.ndarray or a.shape != np.shape(r) for a, r in zip(got, right)):
        return
    for cause, wrong in slips.items():
        if all(np.allclose(a, w, rtol=1e-7, atol=1e-10) for a, w in zip(got, wrong)) and \
                not all(np.allclose(w, r, rtol=1e-7, atol=1e-10) for w, r in zip(wrong, right)):
            raise AssertionError(f"{name}: got the values of a known mistake: {cause}.")


# ---- helpers ----------------------------------------------------------------------------


def make_lstm(impl, rng, d, h, dtype=np.float64):
    """An LSTM with random weights filled in (scaled so that no gate saturates); returns
    (layer, {name: array})."""
    layer = impl.recurrent.LSTM(d, h, rng, dtype=dtype)
    params = {"Wx": 0.6 * rng.standard_normal((d, 4 * h)), "Wh": 0.6 * rng.standard_normal((h, 4 * h)),
              "b": 0.5 * rng.standard_normal(4 * h)}
    params = {k: p.astype(dtype) for k, p in params.items()}
    for key, value in params.items():
        fill(layer, ("params", key), value)
    return layer, params


def states(rng, n, h):
    """(h, c): a hidden state in (-1, 1) and a cell state of either sign, beyond (-1, 1) too."""
    return np.tanh(rng.standard_normal((n, h))), 1.5 * rng.standard_normal((n, h))


def unpack(name, got, count, what):
    """``got`` as a tuple of ``count`` values, or a failure that says what belongs in it."""
    if type(got) not in (tuple, list) or len(got) != count:
        size = f" of {len(got)}" if type(got) in (tuple, list) else ""
        raise AssertionError(f"{name}: expected a tuple {what}, got {type_name(got)}{size}")
    return tuple(got)


def copies(*arrays):
    """What the layer gets outside the inputs-unchanged checks: one that writes into its inputs is
    named there, and cannot spoil the references computed here from the originals."""
    return [np.array(a, copy=True) for a in arrays]


def call_step(layer, x, h_prev, c_prev):
    return unpack("LSTM.step(x_t, h_prev, c_prev)", layer.step(*copies(x, h_prev, c_prev)), 3,
                  "(h, c, cache)")


def call_step_backward(layer, dh, dc, cache):
    return unpack("LSTM.step_backward(dh, dc, cache)", layer.step_backward(dh, dc, cache), 6,
                  "(dx_t, dh_prev, dc_prev, dWx, dWh, db)")


def assert_step(name, got, x, h_prev, c_prev, params):
    """``got`` = (h, c) of LSTM.step equal to the reference's, naming a known slip if it is one."""
    args = (x, h_prev, c_prev, *(params[k] for k in PARAMS))
    right = reference_step(*args)[:2]
    assert_no_slip(name, got, right, {cause: reference_step(*args, **kw)[:2]
                                      for cause, kw in STEP_SLIPS.items()})
    for label, value, expected in zip(["h", "c"], got, right):
        assert_close(f"{name}: {label}", value, expected)


def backward_results(layer, dhs):
    """(dx, grads, dh0, dc0) of the layer's backward, after its forward; dh0 and dc0 must be set."""
    dx = layer.backward(dhs)
    grads = layer.grads
    for key in PARAMS:
        if key not in grads:
            raise AssertionError(f'grads["{key}"] is missing after backward (grads has keys '
                                 f"{sorted(grads)})")
    ends = []
    for name in ("dh0", "dc0"):
        value = getattr(layer, name)
        if value is None:
            raise AssertionError(f"self.{name} is None after backward: LSTM.backward sets "
                                 f"self.{name} = dL/d{name[1:]} (what is left of the gradient "
                                 f"after step t = 0).")
        ends.append(value)
    return dx, {key: grads[key] for key in PARAMS}, *ends


def flat(results):
    """(dx, grads, dh0, dc0) as one tuple of arrays."""
    dx, grads, dh0, dc0 = results
    return (dx, *(grads[k] for k in PARAMS), dh0, dc0)


RESULT_NAMES = ["dx", *(f'grads["{k}"]' for k in PARAMS), "self.dh0", "self.dc0"]


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


# ---- LSTM.step -------------------------------------------------------------------------------

@pytest.mark.parametrize("n, d, h", [(2, 3, 2), (3, 2, 4)], ids=["N2_D3_H2", "N3_D2_H4"])
def test_lstm_step_known_answer(impl, rng, n, d, h):
    layer, params = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    h_new, c_new, _ = call_step(layer, x, h_prev, c_prev)
    assert_step("LSTM.step(x_t, h_prev, c_prev)", (h_new, c_new), x, h_prev, c_prev, params)


def test_lstm_step_gates_in_pytorch_order(impl, rng):
    """Only the biases drive the gates, a different value per block: each block's role shows."""
    n, d, h = 2, 3, 3
    layer, params = make_lstm(impl, rng, d, h)
    params.update(Wx=np.zeros((d, 4 * h)), Wh=np.zeros((h, 4 * h)),
                  b=np.repeat([2.0, -1.0, -0.5, 1.0], h) + 0.1 * rng.standard_normal(4 * h))
    for key, value in params.items():
        fill(layer, ("params", key), value)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    got = call_step(layer, x, h_prev, c_prev)[:2]
    assert_step("LSTM.step with Wx = Wh = 0 and biases about 2, -1, -0.5, 1 in the blocks of "
                "i, f, g, o", got, x, h_prev, c_prev, params)


def test_lstm_step_cell_candidate_uses_tanh(impl, rng):
    """From c_prev = 0, c = i * g: with g = tanh(z_g) < 0 the cell goes negative; a sigmoid
    would keep it positive."""
    n, d, h = 3, 2, 2
    layer, params = make_lstm(impl, rng, d, h)
    params["b"][2 * h:3 * h] = -2.0                               # z_g well below 0
    fill(layer, ("params", "b"), params["b"])
    x, h_prev, c_prev = 0.3 * rng.standard_normal((n, d)), states(rng, n, h)[0], np.zeros((n, h))
    h_new, c_new, _ = call_step(layer, x, h_prev, c_prev)
    name = "LSTM.step from c_prev = 0 (c = i * g) with z_g near -2"
    right = reference_step(x, h_prev, c_prev, *(params[k] for k in PARAMS))[1]
    if type(c_new) is np.ndarray and c_new.shape == (n, h) and np.all(c_new > 0) and np.any(right < 0):
        raise AssertionError(f"{name}: every entry of c is positive, but g = tanh(z_g) is "
                             f"negative here: is g computed with sigmoid instead of tanh?")
    assert_step(name, (h_new, c_new), x, h_prev, c_prev, params)


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


# ---- LSTM.step_backward ----------------------------------------------------------------------

STEP_GRADS = ["dx_t", "dh_prev", "dc_prev", "dWx", "dWh", "db"]
STEP_INPUTS = {"dx_t": 0, "dh_prev": 1, "dc_prev": 2, "dWx": "Wx", "dWh": "Wh", "db": "b"}


@pytest.mark.parametrize("grad, n, d, h", [("dx_t", 3, 4, 2), ("dh_prev", 2, 3, 3), ("dc_prev", 3, 2, 3),
                                           ("dWx", 2, 3, 2), ("dWh", 3, 2, 3), ("db", 4, 2, 2)],
                         ids=STEP_GRADS)
def test_lstm_step_backward(impl, rng, grad, n, d, h):
    """Against central differences of L = sum(h * dh) + sum(c * dc) through the layer's own step."""
    layer, params = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    dh, dc = rng.standard_normal((n, h)), rng.standard_normal((n, h))
    _, _, cache = call_step(layer, x, h_prev, c_prev)
    got = call_step_backward(layer, *copies(dh, dc), cache)
    args = (x, h_prev, c_prev, *(params[k] for k in PARAMS))
    k = STEP_GRADS.index(grad)
    right = reference_step_backward(*args, dh, dc)[k]
    assert_no_slip(f"LSTM.step_backward: {grad}", got[k:k + 1], (right,),
                   {cause: reference_step_backward(*args, dh, dc, **kw)[k:k + 1]
                    for cause, kw in BACKWARD_STEP_SLIPS.items()})

    def loss(out):
        return float(np.sum(out[0] * dh) + np.sum(out[1] * dc))

    where = STEP_INPUTS[grad]
    target = where if isinstance(where, int) else (layer, "params", where)
    shape = args[where].shape if isinstance(where, int) else params[where].shape
    numeric = numerical_gradient(loss, (layer.step, (x, h_prev, c_prev)), target,
                                 sample_indices(shape, rng, 40))
    assert_gradient(f"LSTM.step_backward: {grad}", got[k], numeric, shape, tol=1e-6)


def test_lstm_step_inputs_unchanged(impl, rng):
    n, d, h = 3, 2, 3
    layer, params = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    dh, dc = rng.standard_normal((n, h)), rng.standard_normal((n, h))
    names = ["x_t", "h_prev", "c_prev", "dh", "dc"]
    before = snapshot(x, h_prev, c_prev, dh, dc)
    _, _, cache = unpack("LSTM.step(x_t, h_prev, c_prev)", layer.step(x, h_prev, c_prev), 3,
                         "(h, c, cache)")
    got = call_step_backward(layer, dh, dc, cache)
    for name, old, new in zip(names, before, [x, h_prev, c_prev, dh, dc]):
        assert_unchanged(name, old, new, advice="compute into new arrays (dc = dc + ..., not dc += ...)")
    right = reference_step_backward(*before[:3], *(params[k] for k in PARAMS), *before[3:])
    for name, value, expected in zip(STEP_GRADS, got, right):
        assert_close(f"LSTM.step_backward: {name}", value, expected)


# ---- LSTM.forward and LSTM.backward ----------------------------------------------------------

T, N = 4, 3


def sequence(rng, n, t, d, h):
    """x (N, T, D), h0, c0 and a random, non-uniform dhs (N, T, H): every step gets a gradient."""
    return (rng.standard_normal((n, t, d)), *states(rng, n, h), rng.standard_normal((n, t, h)))


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


@pytest.mark.parametrize("key, d, h", [("x", 3, 2), ("h0", 2, 3), ("c0", 4, 2), ("Wx", 2, 3),
                                       ("Wh", 3, 2), ("b", 2, 4)], ids=["x", "h0", "c0", "Wx", "Wh", "b"])
def test_lstm_backward_through_time(impl, rng, key, d, h):
    """Against central differences of L = sum(hs * dhs) through the layer's own forward."""
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T, d, h)
    layer.forward(*copies(x, h0, c0))
    got = backward_results(layer, *copies(dhs))
    label = {"x": "dx", "h0": "self.dh0", "c0": "self.dc0"}.get(key, f'grads["{key}"]')
    assert_no_backward_slip(f"LSTM.backward: {label}", got, x, h0, c0, params, dhs, only=[label])

    def loss(hs):
        return float(np.sum(hs * dhs))

    inputs = {"x": 0, "h0": 1, "c0": 2}
    target = inputs.get(key, (layer, "params", key))
    shape = (x, h0, c0)[inputs[key]].shape if key in inputs else params[key].shape
    numeric = numerical_gradient(loss, (layer.forward, (x, h0, c0)), target, sample_indices(shape, rng, 40))
    assert_gradient(f"LSTM.backward: {label}", flat(got)[RESULT_NAMES.index(label)], numeric, shape,
                    tol=1e-6)


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


@pytest.mark.parametrize("given", ["neither", "h0", "c0"])
def test_lstm_initial_state_none_means_zeros(impl, rng, given):
    d, h = 2, 3
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T, d, h)
    h0 = h0 if given == "h0" else np.zeros((N, h))
    c0 = c0 if given == "c0" else np.zeros((N, h))
    kwargs = {} if given == "neither" else {given: {"h0": h0, "c0": c0}[given].copy()}
    call = f"LSTM.forward(x{''.join(f', {k}={k}' for k in kwargs)})"
    hs = layer.forward(*copies(x), **kwargs)
    assert_close(f"{call} (a missing initial state is zeros)", hs, reference_forward(x, h0, c0, params))
    got = backward_results(layer, *copies(dhs))
    assert_backward(f"LSTM.backward after {call}", got, x, h0, c0, params, dhs)


def test_lstm_float32_keeps_dtype(impl, rng):
    d, h = 3, 2
    layer, params = make_lstm(impl, rng, d, h, dtype=np.float32)
    x, h0, c0, dhs = (a.astype(np.float32) for a in sequence(rng, N, T, d, h))
    hs = layer.forward(*copies(x, h0, c0))
    wide = {k: p.astype(np.float64) for k, p in params.items()}
    expected = reference_forward(*(a.astype(np.float64) for a in (x, h0, c0)), wide)
    assert_close("LSTM.forward in float32", hs, expected.astype(np.float32), rtol=1e-4, atol=1e-6)
    got = flat(backward_results(layer, *copies(dhs)))
    right = flat(reference_backward(*(a.astype(np.float64) for a in (x, h0, c0)), wide,
                                    dhs.astype(np.float64)))
    for name, value, expected in zip(RESULT_NAMES, got, right):
        assert_close(f"LSTM.backward in float32: {name}", value, expected.astype(np.float32),
                     rtol=1e-4, atol=1e-5)


def test_lstm_inputs_unchanged(impl, rng):
    d, h = 3, 2
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T, d, h)
    names = ["x", "h0", "c0", "dhs", *(f'params["{k}"]' for k in PARAMS)]
    before = snapshot(x, h0, c0, dhs, *(params[k] for k in PARAMS))
    layer.forward(x, h0, c0)
    got = backward_results(layer, dhs)
    for name, old, new in zip(names, before, [x, h0, c0, dhs, *(layer.params[k] for k in PARAMS)]):
        assert_unchanged(name, old, new)
    assert_backward("LSTM.backward", got, x, h0, c0, params, dhs)


def test_lstm_backward_twice_same_grads(impl, rng):
    d, h = 2, 3
    layer, _ = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T, d, h)
    layer.forward(*copies(x, h0, c0))
    first = flat(backward_results(layer, *copies(dhs)))
    try:
        second = flat(backward_results(layer, *copies(dhs)))
    except (IndexError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise AssertionError(f"a second LSTM.backward after one forward failed: does backward "
                             f"use up the forward's cache (pop, del)? It must be left for another "
                             f"backward. {type(error).__name__}: {error}") from None
    for name, again, once in zip(RESULT_NAMES, second, first):
        assert_close(f"{name} (second backward after one forward: overwritten, not accumulated, "
                     f"and the cache still there)", again, once)
