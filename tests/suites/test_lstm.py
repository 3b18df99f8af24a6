"""Checks for the LSTM (exercise ``lstm``): one step, its backward, and the whole sequence.

The checks here hold no LSTM of their own: known answers (an LSTM whose weights are zero, so
that each gate is its bias's sigmoid or tanh, worked out by hand; small cases with weights,
whose values and those of the known slips were worked out once and frozen), identities (a
missing initial state is zeros; float32 is float64 rounded) and the gradients against central
differences of the code under test (tests.gradcheck). Gates in PyTorch's order i, f, g, o.
"""
import math

import numpy as np
import pytest

from grader.remote import fill, type_name
from tests.checks import assert_array, assert_close, assert_unchanged, snapshot
from tests.gradcheck import assert_gradient, numerical_gradient, sample_indices

pytestmark = pytest.mark.exercise("lstm")

GATES = "ifgo"              # PyTorch's order of the four blocks of H columns
PARAMS = ("Wx", "Wh", "b")
GATE_ORDER = ("gates in PyTorch's order i, f, g, o: columns [0:H] input, [H:2H] forget, "
              "[2H:3H] cell candidate g, [3H:4H] output")

# ---- the known slips, and what a check says when it sees one --------------------------

# the blocks' order a slip reads the gates in (PyTorch's is i, f, g, o): every swap of two, and
# CS231n's order
MISREAD = {"figo": "gates i and f swapped", "gfio": "gates i and g swapped",
           "ofgi": "gates i and o swapped", "igfo": "gates f and g swapped",
           "iogf": "gates f and o swapped",
           "ifog": "gates g and o swapped (i, f, o, g is CS231n's order, not PyTorch's)"}
G_SIGMOID = ("g computed with sigmoid: the cell candidate is g = tanh(z_g), in (-1, 1), so that the "
             "cell can also decrease; i, f and o are the sigmoids")
NO_F = "c = c_prev + i * g: the forget gate scales the old cell, c = f * c_prev + i * g"
NO_OLD_CELL = "c = i * g: the old cell f * c_prev is missing (c = f * c_prev + i * g)"
NO_I = "c = f * c_prev + g: the input gate scales the candidate, c = f * c_prev + i * g"
NO_TANH = "h = o * c: the cell goes through tanh before the output gate, h = o * tanh(c)"
TANH_TWICE = ("h = o * tanh(tanh(c)): tanh applied twice (h = o * tanh(c), where the cell "
              "c = f * c_prev + i * g has no tanh of its own)")

DC_PREV_NO_F = ("dc_prev lacks the factor f: the old cell reaches c through the forget gate "
                "(c = f * c_prev + i * g), so dc_prev = (dc + dh * o * (1 - tanh(c)**2)) * f")
DC_MISSES_DH = ("the cell's gradient through h is missing: h = o * tanh(c) also depends on c, so "
                "the gradient reaching c is dc + dh * o * (1 - tanh(c)**2)")
AT_C = "tanh's derivative taken at c: the derivative of tanh(c) is 1 - tanh(c)**2, not 1 - c**2"
NO_TANH_SLOPE = ("tanh's derivative is missing from the cell's gradient through h: h = o * tanh(c), "
                 "so the gradient reaching c is dc + dh * o * (1 - tanh(c)**2), not dc + dh * o")
DO_WITH_C = "the output gate's gradient uses c: h = o * tanh(c), so dL/do = dh * tanh(c), not dh * c"
G_SLOPE = "g's slope taken as a sigmoid's, g * (1 - g): g = tanh(z_g), whose slope is 1 - g**2"
PACKED = "the gates' gradients packed into the wrong columns, {}: " + GATE_ORDER

NOT_CARRIED_C = ("the cell state is not carried from step to step: each step starts from the "
                 "previous step's c (and h), not from c0")
NOT_CARRIED_H = ("the hidden state is not carried from step to step: each step starts from the "
                 "previous step's h, not from h0")
DC_NOT_CARRIED = ("the cell-state gradient from later steps is dropped (dc not carried): step t "
                  "gets dc = the dc_prev that step t + 1 sent back, as dh gets dh_prev")
DH_NOT_CARRIED = ("the hidden state's gradient from later steps is dropped: the gradient reaching "
                  "h_t is dhs[:, t] plus the dh_prev that step t + 1 sent back")
NOT_SUMMED = ("parameter gradients not summed over time: Wx, Wh and b are shared by every step, so "
              "their gradients add up the shares of all T steps")
ONLY_FIRST = NOT_SUMMED + " (got only the share of step t = 0: each step's share replaces the last)"
ONLY_LAST = NOT_SUMMED + " (got only the share of the last step)"


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




def set_params(layer, params):
    for key, value in params.items():
        fill(layer, ("params", key), np.asarray(value, dtype=np.float64))


def assert_results(name, labels, got, expected, slips):
    """Each of ``got`` equal to ``expected`` (named by ``labels``), after naming a known slip
    ({cause: its results}) that gives them all."""
    assert_no_slip(name, got, expected, slips)
    for label, value, right in zip(labels, got, expected):
        assert_close(f"{name}: {label}", value, np.asarray(right, dtype=np.float64))


# ---- LSTM.step -------------------------------------------------------------------------------

L3, L2 = math.log(3.0), math.log(2.0)
# Wx = Wh = 0: z is the bias, so i = sigmoid(ln 3) = 3/4, f = sigmoid(-ln 3) = 1/4,
# g = tanh(ln 2) = 3/5, o = sigmoid(0) = 1/2, whatever x_t and h_prev are
BIAS_ONLY = {"Wx": np.zeros((1, 4)), "Wh": np.zeros((1, 4)), "b": np.array([L3, -L3, L2, 0.0])}
X_T, H_PREV, C_PREV = np.array([[1.0], [2.0]]), np.array([[0.5], [-0.5]]), np.array([[1.5], [-2.0]])
# c = f * c_prev + i * g = 1.5 / 4 + 0.45 = 0.825 and -0.5 + 0.45 = -0.05; h = o * tanh(c)
BIAS_ONLY_C = np.array([[0.825], [-0.05]])
BIAS_ONLY_H = 0.5 * np.tanh(BIAS_ONLY_C)
# what each slip gives there: (h, c), worked out once and frozen
BIAS_ONLY_SLIPS = {
    f'{MISREAD["ifog"]}: {GATE_ORDER}': ([0.238904932233857, -0.308078104840006], [0.375, -0.5]),
    f'{MISREAD["igfo"]}: {GATE_ORDER}': ([0.189974481127612, -0.479500990218018], [0.4, -1.933333333333333]),
    f'{MISREAD["iogf"]}: {GATE_ORDER}': ([0.208413651753039, -0.125130052797559], [1.2, -0.55]),
    f'{MISREAD["figo"]}: {GATE_ORDER}': ([0.427573514638482, -0.437026643943004], [1.275, -1.35]),
    f'{MISREAD["gfio"]}: {GATE_ORDER}': ([0.36016567254795, 0.016660496569411],
                                         [0.908333333333333, 0.033333333333333]),
    f'{MISREAD["ofgi"]}: {GATE_ORDER}': ([0.441194442298579, -0.148031490168678], [0.675, -0.2]),
    G_SIGMOID: ([0.351952801968311, 0.0], [0.875, 0.0]),
    NO_F: ([0.480159694265923, -0.456892745058914], [1.95, -1.55]),
    NO_OLD_CELL: ([0.210949502625004, 0.210949502625004], [0.45, 0.45]),
    NO_I: ([0.375446641812584, 0.049833997312478], [0.975, 0.1]),
    NO_TANH: ([0.4125, -0.025], [0.825, -0.05]),
    TANH_TWICE: ([0.295037818396117, -0.024958426859426], [0.825, -0.05]),
}


def columns(pairs):
    """{cause: (h, c)} with each listed as a column (N, 1)."""
    return {cause: tuple(np.array(v)[:, None] for v in values) for cause, values in pairs.items()}


def test_lstm_step_gates_in_pytorch_order(impl, rng):
    """Only the biases drive the gates, a different value per block: each block's role shows."""
    layer = impl.recurrent.LSTM(1, 1, rng)
    set_params(layer, BIAS_ONLY)
    h, c, _ = call_step(layer, X_T, H_PREV, C_PREV)
    assert_results("LSTM.step with Wx = Wh = 0 and biases ln 3, -ln 3, ln 2, 0 in the blocks of "
                   "i, f, g, o (i = 3/4, f = 1/4, g = 3/5, o = 1/2)", ["h", "c"], (h, c),
                   (BIAS_ONLY_H, BIAS_ONLY_C), columns(BIAS_ONLY_SLIPS))


def test_lstm_step_cell_candidate_uses_tanh(impl, rng):
    """From c_prev = 0, c = i * g: with g = tanh(z_g) < 0 the cell goes negative; a sigmoid
    would keep it positive."""
    layer = impl.recurrent.LSTM(1, 1, rng)
    set_params(layer, dict(BIAS_ONLY, b=np.array([L3, -L3, -L2, 0.0])))        # g = -3/5
    h_new, c_new, _ = call_step(layer, X_T, H_PREV, np.zeros((2, 1)))
    name = "LSTM.step from c_prev = 0 (c = i * g) with i = 3/4 and g = tanh(-ln 2) = -3/5"
    if type(c_new) is np.ndarray and c_new.shape == (2, 1) and np.all(c_new > 0):
        raise AssertionError(f"{name}: every entry of c is positive, but g = tanh(z_g) is "
                             f"negative here: is g computed with sigmoid instead of tanh?")
    c = np.full((2, 1), -0.45)
    assert_results(name, ["h", "c"], (h_new, c_new), (0.5 * np.tanh(c), c), {})


# a step with weights, N = 2, D = 2, H = 2: the values worked out once and frozen
WEIGHTED = {"Wx": [[0.6, 0.6, 0.0, -0.4, -0.9, -0.2, -0.2, -0.9],
                   [-0.9, 1.0, 0.3, -0.5, -0.1, 0.9, 0.8, 0.7]],
            "Wh": [[-0.2, 0.0, 0.4, -0.9, 0.1, -0.5, 0.8, -0.9],
                   [0.4, 0.7, -0.5, 0.8, 0.7, -1.0, 0.4, -1.0]],
            "b": [0.0, -0.1, -0.6, -0.4, 0.6, -0.4, -0.7, 0.4]}
WEIGHTED_IN = ([[1.0, -1.0], [0.5, 2.0]], [[0.5, -0.25], [0.0, 1.0]], [[1.0, -2.0], [0.5, 3.0]])
WEIGHTED_H = [[0.022320135893225637, -0.13805101459366667], [0.2458534423693164, 0.4901394184975782]]
WEIGHTED_C = [[0.11331527471719938, -0.8631468988576871], [0.33153913136361257, 1.206196178359721]]


def test_lstm_step_known_answer(impl, rng):
    layer = impl.recurrent.LSTM(2, 2, rng)
    set_params(layer, WEIGHTED)
    x, h_prev, c_prev = (np.array(a) for a in WEIGHTED_IN)
    got = call_step(layer, x, h_prev, c_prev)[:2]
    assert_results(f"LSTM(2, 2).step(x_t, h_prev, c_prev) with x_t = {WEIGHTED_IN[0]}, h_prev = "
                   f"{WEIGHTED_IN[1]}, c_prev = {WEIGHTED_IN[2]} and the weights of WEIGHTED",
                   ["h", "c"], got, (WEIGHTED_H, WEIGHTED_C), {})


# ---- LSTM.step_backward ----------------------------------------------------------------------

STEP_GRADS = ["dx_t", "dh_prev", "dc_prev", "dWx", "dWh", "db"]
STEP_INPUTS = {"dx_t": 0, "dh_prev": 1, "dc_prev": 2, "dWx": "Wx", "dWh": "Wh", "db": "b"}

# the bias-only step above with dh = [1, -0.5], dc = [-0.5, 2]: db holds the four gates' dz summed
# over the batch, and dc_prev = (dc + dh * o * (1 - tanh(c)**2)) * f; worked out once and frozen
DH, DC = np.array([[1.0], [-0.5]]), np.array([[-0.5], [2.0]])
DB = [0.171104588065455, -0.721085503459776, 0.73004624241261, 0.175690322081442]
DC_PREV = [-0.057423572028543, 0.437655989951777]
STEP_BACKWARD_SLIPS = {
    **{PACKED.format(MISREAD[order]): ([DB[GATES.index(gate)] for gate in order], DC_PREV)
       for order in MISREAD},
    DC_PREV_NO_F: (DB, [-0.229694288114171, 1.750623959807108]),
    DC_MISSES_DH: ([0.16875, -0.890625, 0.72, 0.175690322081442], [-0.125, 0.5]),
    AT_C: ([0.15866015625, -0.752197265625, 0.67695, 0.175690322081442], [-0.085078125, 0.43765625]),
    NO_TANH_SLOPE: ([0.196875, -0.65625, 0.84, 0.175690322081442], [0.0, 0.4375]),
    DO_WITH_C: (DB[:3] + [0.2125], DC_PREV),
    G_SLOPE: (DB[:2] + [0.273767340904729, DB[3]], DC_PREV),
}


def test_lstm_step_backward_known_answer(impl, rng):
    layer = impl.recurrent.LSTM(1, 1, rng)
    set_params(layer, BIAS_ONLY)
    _, _, cache = call_step(layer, X_T, H_PREV, C_PREV)
    got = call_step_backward(layer, DH.copy(), DC.copy(), cache)
    name = ("LSTM.step_backward(dh, dc, cache) of the bias-only step (i = 3/4, f = 1/4, g = 3/5, "
            "o = 1/2) with dh = [1, -0.5] and dc = [-0.5, 2]")
    db, dc_prev = np.array(DB), np.array(DC_PREV)[:, None]
    slips = {cause: (np.array(wrong_db), np.array(wrong_dc)[:, None])
             for cause, (wrong_db, wrong_dc) in STEP_BACKWARD_SLIPS.items()}
    assert_results(name, ["db", "dc_prev"], (got[5], got[2]), (db, dc_prev), slips)
    # Wx = Wh = 0: nothing flows back to x_t or h_prev; dWx = x_t.T @ dz and dWh = h_prev.T @ dz,
    # with dz the (N, 4) gates' gradients whose column sums are db
    assert_close(f"{name}: dx_t", got[0], np.zeros((2, 1)))
    assert_close(f"{name}: dh_prev", got[1], np.zeros((2, 1)))
    assert_array(f"{name}: dWx", got[3], (1, 4), np.float64)
    assert_array(f"{name}: dWh", got[4], (1, 4), np.float64)


STEP_BACKWARD_CASES = pytest.mark.parametrize(
    "grad, n, d, h", [("dx_t", 3, 4, 2), ("dh_prev", 2, 3, 3), ("dc_prev", 3, 2, 3), ("dWx", 2, 3, 2),
                      ("dWh", 3, 2, 3), ("db", 4, 2, 2)], ids=STEP_GRADS)


def step_backward_of(impl, rng, n, d, h):
    """(layer, params, (x, h_prev, c_prev), (dh, dc), got): a random LSTM step (N = n, D = d,
    H = h) and what its step_backward gave for a random dh and dc."""
    layer, params = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    dh, dc = rng.standard_normal((n, h)), rng.standard_normal((n, h))
    _, _, cache = call_step(layer, x, h_prev, c_prev)
    got = call_step_backward(layer, *copies(dh, dc), cache)
    return layer, params, (x, h_prev, c_prev), (dh, dc), got


@STEP_BACKWARD_CASES
def test_lstm_step_backward(impl, rng, grad, n, d, h):
    """Against central differences of L = sum(h * dh) + sum(c * dc) through the layer's own step."""
    layer, params, (x, h_prev, c_prev), (dh, dc), got = step_backward_of(impl, rng, n, d, h)
    k = STEP_GRADS.index(grad)

    def loss(out):
        return float(np.sum(out[0] * dh) + np.sum(out[1] * dc))

    where = STEP_INPUTS[grad]
    target = where if isinstance(where, int) else (layer, "params", where)
    shape = (x, h_prev, c_prev)[where].shape if isinstance(where, int) else params[where].shape
    numeric = numerical_gradient(loss, (layer.step, (x, h_prev, c_prev)), target,
                                 sample_indices(shape, rng, 40))
    assert_gradient(f"LSTM.step_backward: {grad}", got[k], numeric, shape, tol=1e-6)


def test_lstm_step_inputs_unchanged(impl, rng):
    n, d, h = 3, 2, 3
    layer, _ = make_lstm(impl, rng, d, h)
    x, (h_prev, c_prev) = rng.standard_normal((n, d)), states(rng, n, h)
    dh, dc = rng.standard_normal((n, h)), rng.standard_normal((n, h))
    names = ["x_t", "h_prev", "c_prev", "dh", "dc"]
    before = snapshot(x, h_prev, c_prev, dh, dc)
    _, _, cache = unpack("LSTM.step(x_t, h_prev, c_prev)", layer.step(x, h_prev, c_prev), 3,
                         "(h, c, cache)")
    got = call_step_backward(layer, dh, dc, cache)
    for name, old, new in zip(names, before, [x, h_prev, c_prev, dh, dc]):
        assert_unchanged(name, old, new, advice="compute into new arrays (dc = dc + ..., not dc += ...)")
    shapes = [(n, d), (n, h), (n, h), (d, 4 * h), (h, 4 * h), (4 * h,)]
    for name, value, shape in zip(STEP_GRADS, got, shapes):
        assert_array(f"LSTM.step_backward: {name}", value, shape, np.float64)


# ---- LSTM.forward and LSTM.backward ----------------------------------------------------------

T, N = 4, 3


def sequence(rng, n, t, d, h):
    """x (N, T, D), h0, c0 and a random, non-uniform dhs (N, T, H): every step gets a gradient."""
    return (rng.standard_normal((n, t, d)), *states(rng, n, h), rng.standard_normal((n, t, h)))


# one sequence, N = 1, T = 3, D = H = 1, with weights: the values, and those of the known slips,
# worked out once and frozen
SEQ_PARAMS = {"Wx": [[0.5, -1.0, 1.5, 0.25]], "Wh": [[1.0, 0.5, -1.0, 2.0]], "b": [0.25, 0.5, -0.5, 0.0]}
SEQ_X, SEQ_H0, SEQ_C0 = [1.0, -2.0, 0.5], 0.5, -1.0
SEQ_DHS = [0.5, -1.0, 2.0]
SEQ_HS = [-0.060985634188593, -0.126564050630573, 0.013706028770277]
SEQ_FORWARD_SLIPS = {NOT_CARRIED_C: [-0.060985634188593, -0.294241951272429, -0.072408963164386],
                     NOT_CARRIED_H: [-0.060985634188593, -0.293212781307773, -0.328702688302686]}
# dx (3 steps), grads["Wx"], grads["Wh"], grads["b"] (4 each), dh0, dc0
SEQ_GRADS = ([0.699929326355738, 0.026880418523502, 0.856279845345816],
             [0.097120023476365, -0.187764201348008, 0.597963524955792, -0.235844354152947],
             [0.013368520072279, -0.060622838645095, 0.117413224631009, -0.013903350084307],
             [0.123043890915199, -0.232479169867527, 0.839173208565097, 0.121314648209134],
             [-0.401828150240151], [0.25561521512778])
SEQ_BACKWARD_SLIPS = {
    DC_NOT_CARRIED: ([0.765220748241554, 0.071589072822307, 0.856279845345816],
                     [-0.091032590718197, -0.206311927569482, 0.632454071305601, -0.237176855595751],
                     [0.009679884970112, -0.067491917494064, 0.134120509090504, -0.014569600805709],
                     [0.223665363527105, -0.24334399681933, 0.871944967423475, 0.11998214676633],
                     [-0.440187294159044], [0.279497026896632]),
    DH_NOT_CARRIED: ([0.628656667791088, 0.005842758945412, 0.856279845345816],
                     [0.146024558970666, -0.171595766674203, 0.561035575435262, -0.164201346957025],
                     [0.012610572119601, -0.053209344744392, 0.099099301434859, -0.010263276483689],
                     [0.091405838507631, -0.218453588787727, 0.802724649678762, 0.09014315809052],
                     [-0.356440366804666], [0.229395930636325]),
    ONLY_FIRST: (SEQ_GRADS[0],
                 [0.046703432923789, -0.143700867213706, 0.356899622384476, -0.009890763586306],
                 [0.023351716461895, -0.071850433606853, 0.178449811192238, -0.004945381793153],
                 [0.046703432923789, -0.143700867213706, 0.356899622384476, -0.009890763586306],
                 *SEQ_GRADS[4:]),
    ONLY_LAST: (SEQ_GRADS[0],
                [0.040619501307079, -0.044323987888389, 0.241122214986512, 0.007291446604848],
                [-0.010281937240036, 0.01121964689451, -0.061034808451418, -0.001845670034532],
                [0.081239002614158, -0.088647975776778, 0.482244429973024, 0.014582893209695],
                *SEQ_GRADS[4:]),
}
RESULT_SHAPES = [(1, 3, 1), (1, 4), (1, 4), (4,), (1, 1), (1, 1)]


def shaped(results):
    """The six results of SEQ_GRADS (or a slip's), as arrays of the shapes backward gives them."""
    return tuple(np.reshape(np.array(value, dtype=np.float64), shape)
                 for value, shape in zip(results, RESULT_SHAPES))


def seq_inputs():
    return (np.array(SEQ_X).reshape(1, 3, 1), np.array([[SEQ_H0]]), np.array([[SEQ_C0]]),
            np.array(SEQ_DHS).reshape(1, 3, 1))


def test_lstm_forward_known_answer(impl, rng):
    layer = impl.recurrent.LSTM(1, 1, rng)
    set_params(layer, SEQ_PARAMS)
    x, h0, c0, _ = seq_inputs()
    hs = layer.forward(x, h0, c0)
    name = (f"LSTM(1, 1).forward(x, h0, c0) with x = {SEQ_X}, h0 = {SEQ_H0}, c0 = {SEQ_C0} and "
            f"the weights of SEQ_PARAMS: hs, the h of every step")
    right = np.array(SEQ_HS).reshape(1, 3, 1)
    if type(hs) is np.ndarray and hs.shape == right.shape and np.allclose(hs, right[:, ::-1]):
        raise AssertionError(f"{name}: the steps come out in reverse order: hs[:, t] is h_t.")
    assert_results(name, ["hs"], (hs,), (right,),
                   {cause: (np.array(wrong).reshape(1, 3, 1),) for cause, wrong in SEQ_FORWARD_SLIPS.items()})


def test_lstm_backward_known_answer(impl, rng):
    layer = impl.recurrent.LSTM(1, 1, rng)
    set_params(layer, SEQ_PARAMS)
    x, h0, c0, dhs = seq_inputs()
    layer.forward(x, h0, c0)
    got = flat(backward_results(layer, dhs))
    name = (f"LSTM(1, 1).backward(dhs) with dhs = {SEQ_DHS}, after forward(x, h0, c0) with x = "
            f"{SEQ_X}, h0 = {SEQ_H0}, c0 = {SEQ_C0}")
    assert_results(name, RESULT_NAMES, got, shaped(SEQ_GRADS),
                   {cause: shaped(wrong) for cause, wrong in SEQ_BACKWARD_SLIPS.items()})


BACKWARD_CASES = pytest.mark.parametrize(
    "key, d, h", [("x", 3, 2), ("h0", 2, 3), ("c0", 4, 2), ("Wx", 2, 3), ("Wh", 3, 2), ("b", 2, 4)],
    ids=["x", "h0", "c0", "Wx", "Wh", "b"])


def backward_through_time_of(impl, rng, key, d, h, t=T):
    """(layer, params, (x, h0, c0, dhs), got, label): a random LSTM (D = d, H = h), what its
    backward gave after a forward of a random sequence of ``t`` steps, and the name of ``key``'s
    gradient."""
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, t, d, h)
    layer.forward(*copies(x, h0, c0))
    got = backward_results(layer, *copies(dhs))
    label = {"x": "dx", "h0": "self.dh0", "c0": "self.dc0"}.get(key, f'grads["{key}"]')
    return layer, params, (x, h0, c0, dhs), got, label


def check_backward_through_time(impl, rng, key, d, h, t=T):
    """``key``'s gradient against central differences of L = sum(hs * dhs) through the layer's
    own forward."""
    layer, params, (x, h0, c0, dhs), got, label = backward_through_time_of(impl, rng, key, d, h, t)

    def loss(hs):
        return float(np.sum(hs * dhs))

    inputs = {"x": 0, "h0": 1, "c0": 2}
    target = inputs.get(key, (layer, "params", key))
    shape = (x, h0, c0)[inputs[key]].shape if key in inputs else params[key].shape
    numeric = numerical_gradient(loss, (layer.forward, (x, h0, c0)), target, sample_indices(shape, rng, 40))
    assert_gradient(f"LSTM.backward: {label} for x of shape {x.shape}",
                    flat(got)[RESULT_NAMES.index(label)], numeric, shape, tol=1e-6)


@BACKWARD_CASES
def test_lstm_backward_through_time(impl, rng, key, d, h):
    check_backward_through_time(impl, rng, key, d, h)


def test_lstm_backward_of_a_one_step_sequence(impl, rng):
    # T = 1: the loop over time runs once, and nothing may read a second step
    for key in ("x", "h0", "c0"):
        check_backward_through_time(impl, rng, key, 3, 2, t=1)


@pytest.mark.parametrize("given", ["neither", "h0", "c0"])
def test_lstm_initial_state_none_means_zeros(impl, rng, given):
    d, h = 2, 3
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T, d, h)
    h0 = h0 if given == "h0" else np.zeros((N, h))
    c0 = c0 if given == "c0" else np.zeros((N, h))
    # the same layer given both states, zeros where the call below leaves one out
    twin = impl.recurrent.LSTM(d, h, rng)
    set_params(twin, params)
    expected = twin.forward(*copies(x, h0, c0))
    assert_array("LSTM.forward(x, h0, c0)", expected, (N, T, h), np.float64)
    kwargs = {} if given == "neither" else {given: {"h0": h0, "c0": c0}[given].copy()}
    call = f"LSTM.forward(x{''.join(f', {k}={k}' for k in kwargs)})"
    hs = layer.forward(*copies(x), **kwargs)
    assert_close(f"{call} (a missing initial state is zeros: the same as forward(x, h0, c0) with "
                 f"zeros for it)", hs, expected)
    got = flat(backward_results(layer, *copies(dhs)))
    right = flat(backward_results(twin, *copies(dhs)))
    for name, value, expected in zip(RESULT_NAMES, got, right):
        assert_close(f"LSTM.backward after {call}: {name} (as after forward(x, h0, c0))", value, expected)


def test_lstm_float32_keeps_dtype(impl, rng):
    d, h = 3, 2
    layer, params = make_lstm(impl, rng, d, h, dtype=np.float32)
    x, h0, c0, dhs = (a.astype(np.float32) for a in sequence(rng, N, T, d, h))
    hs = layer.forward(*copies(x, h0, c0))
    twin = impl.recurrent.LSTM(d, h, rng)               # the same layer in float64
    set_params(twin, params)
    wide = twin.forward(*(a.astype(np.float64) for a in (x, h0, c0)))
    assert_close("LSTM.forward in float32 (against the same layer in float64)", hs,
                 np.asarray(wide).astype(np.float32), rtol=1e-4, atol=1e-6)
    got = flat(backward_results(layer, *copies(dhs)))
    right = flat(backward_results(twin, dhs.astype(np.float64)))
    for name, value, expected in zip(RESULT_NAMES, got, right):
        assert_close(f"LSTM.backward in float32: {name} (against the same layer in float64)", value,
                     np.asarray(expected).astype(np.float32), rtol=1e-4, atol=1e-5)


def test_lstm_inputs_unchanged(impl, rng):
    d, h = 3, 2
    layer, params = make_lstm(impl, rng, d, h)
    x, h0, c0, dhs = sequence(rng, N, T, d, h)
    names = ["x", "h0", "c0", "dhs", *(f'params["{k}"]' for k in PARAMS)]
    before = snapshot(x, h0, c0, dhs, *(params[k] for k in PARAMS))
    layer.forward(x, h0, c0)
    got = flat(backward_results(layer, dhs))
    for name, old, new in zip(names, before, [x, h0, c0, dhs, *(layer.params[k] for k in PARAMS)]):
        assert_unchanged(name, old, new)
    for name, value, shape in zip(RESULT_NAMES, got, [x.shape, (d, 4 * h), (h, 4 * h), (4 * h,),
                                                      h0.shape, c0.shape]):
        assert_array(f"LSTM.backward: {name}", value, shape, np.float64)


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
