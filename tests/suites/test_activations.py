"""Checks for the activation layers: exercises sigmoid, tanh, relu, swish and softmax.

Every known answer is worked out by hand (sigmoid(ln a) = a / (1 + a), tanh(ln a) =
(a^2 - 1) / (a^2 + 1), softmax of logs of 1, 2, 3 is 1/6, 2/6, 3/6) and written as numbers
in one table, KNOWN, so that the generic checks (dtype, inputs unchanged, other shapes)
reuse it; gradients are checked against finite differences of the layer's own forward.
The checks against trusted references on random inputs are in tests/hidden.
"""
import math
from typing import NamedTuple

import numpy as np
import pytest

from grader.remote import errstate
from tests.checks import assert_array, assert_close, assert_no_slip, assert_unchanged, snapshot
from tests.gradcheck import check_layer_gradients

LN2, LN3 = math.log(2.0), math.log(3.0)
AT_OUTPUT = "the derivative was taken at the layer's output instead of at its input x"
BETA_IGNORED = "beta is ignored: this is the result for beta = 1"
ANALYTIC = "to the precision of an analytic formula (a numerical gradient is not accepted here)"


class Known(NamedTuple):
    """A hand-worked case: out = layer(x), dx = backward(dout); ``slips`` maps a known slip's
    cause to what it gives, (out or None, dx or None), frozen once from the trusted references."""
    x: np.ndarray
    out: np.ndarray
    dout: np.ndarray
    dx: np.ndarray
    slips: dict

    def inputs(self, shape=None):
        """Fresh copies of x and dout (of ``shape``): an input the layer writes into would
        otherwise change the table for the checks that follow."""
        shape = self.x.shape if shape is None else shape
        return self.x.reshape(shape).copy(), self.dout.reshape(shape).copy()


def rows(*values):
    return np.array(values, dtype=np.float64)


# Swish at u = beta x: x s(u) and its derivative s(u) + u s(u) (1 - s(u)), with s(ln 3) = 3/4,
# s(2 ln 2) = 4/5, s(ln 2) = 2/3; beta = 2 halves x and the output and keeps the derivative.
SWISH_U = rows([0.0, LN3, -LN3], [2 * LN2, -2 * LN2, LN2])
SWISH_OUT = rows([0.0, 0.75 * LN3, -0.25 * LN3], [1.6 * LN2, -0.4 * LN2, 2 / 3 * LN2])
SWISH_DOUT = rows([2.0, 1.0, -1.0], [1.0, 2.0, 3.0])
SWISH_DX = SWISH_DOUT * rows([0.5, 0.75 + 3 / 16 * LN3, 0.25 - 3 / 16 * LN3],
                             [0.8 + 8 / 25 * LN2, 0.2 - 8 / 25 * LN2, 2 / 3 + 2 / 9 * LN2])
SWISH_DX_AT_OUTPUT = rows([1.0, 0.8697104128023566, -0.36438064709657564],
                          [0.9588082979277803, 0.7262528507740011, 2.1692466605424983])

KNOWN = {
    # s' = s (1 - s): 1/4, 3/16, 3/16, 9/100, 9/100, 16/100
    "sigmoid": Known(rows([0.0, LN3, -LN3], [2 * LN3, -2 * LN3, -2 * LN2]),
                     rows([0.5, 0.75, 0.25], [0.9, 0.1, 0.2]),
                     rows([2.0, -1.0, 4.0], [1.0, 10.0, -5.0]),
                     rows([0.5, -3 / 16, 0.75], [0.09, 0.9, -0.8]),
                     {AT_OUTPUT: (None, rows([0.470007424403189, -0.21789499376181404,
                                              0.9845363309503934],
                                             [0.2055003073422635, 2.49376040192892,
                                              -1.2375828635592998]))}),
    # tanh' = 1 - tanh^2: 1, 0.64, 0.64, 0.36, 0.36, 0.75
    "tanh": Known(rows([0.0, LN2, -LN2], [LN3, -LN3, 0.5 * LN3]),
                  rows([0.0, 0.6, -0.6], [0.8, -0.8, 0.5]),
                  rows([3.0, 1.0, -2.0], [-2.0, 5.0, 4.0]),
                  rows([3.0, 0.64, -1.28], [-0.72, 1.8, 3.0]),
                  {AT_OUTPUT: (None, rows([3.0, 0.7115777625872229, -1.4231555251744459],
                                          [-1.1181103354644877, 2.7952758386612193,
                                           3.14579093186371]))}),
    # x is 1e-3 or more away from the kink at 0
    "relu": Known(rows([-2.0, -0.5, 0.5], [3.0, -1e-3, 1e-3]),
                  rows([0.0, 0.0, 0.5], [3.0, 0.0, 1e-3]),
                  rows([1.0, 2.0, 3.0], [-4.0, 5.0, -6.0]),
                  rows([0.0, 0.0, 3.0], [-4.0, 0.0, -6.0]), {}),
    "swish": Known(SWISH_U, SWISH_OUT, SWISH_DOUT, SWISH_DX,
                   {AT_OUTPUT: (None, SWISH_DX_AT_OUTPUT)}),
    "swish_beta=2": Known(SWISH_U / 2, SWISH_OUT / 2, SWISH_DOUT, SWISH_DX, {
        AT_OUTPUT: (None, SWISH_DX_AT_OUTPUT),
        BETA_IGNORED: (rows([0.0, 0.34824614105290935, -0.20106000328114554],
                            [0.46209812037329684, -0.23104906018664845, 0.2030181088256717]),
                       rows([1.0, 0.7614415306108251, -0.2385584693891749],
                            [0.8206993734577656, 0.35860125308446883, 2.0096378751295054]))}),
    # rows of logs of 1:2:3, of equal logits and of logs of 1:1:2; dx_i = p_i (dout_i - p.dout)
    "softmax": Known(rows([0.0, LN2, LN3], [5.0, 5.0, 5.0], [-LN2, -LN2, 0.0]),
                     rows([1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3], [0.25, 0.25, 0.5]),
                     rows([1.0, 0.0, 0.0], [3.0, 0.0, -3.0], [2.0, 6.0, -2.0]),
                     rows([5 / 36, -2 / 36, -3 / 36], [1.0, 0.0, -1.0], [0.25, 1.25, -1.5]),
                     {AT_OUTPUT: (None, rows([0.20140885307189382, -0.09233176318960683,
                                              -0.10907708988228698], [1.0, 0.0, -1.0],
                                             [0.10534263504742106, 1.3233600047285572,
                                              -1.428702639775978]))}),
}


class Spec:
    """One activation: its exercise, its label, how to build it, and its known answer."""

    def __init__(self, key, name, label, build):
        self.key, self.name, self.label, self.build = key, name, label, build
        self.known = KNOWN[key]


SPECS = {
    "sigmoid": Spec("sigmoid", "sigmoid", "Sigmoid", lambda impl: impl.activations.Sigmoid()),
    "tanh": Spec("tanh", "tanh", "Tanh", lambda impl: impl.activations.Tanh()),
    "relu": Spec("relu", "relu", "ReLU", lambda impl: impl.activations.ReLU()),
    "swish": Spec("swish", "swish", "Swish()", lambda impl: impl.activations.Swish()),
    "swish_beta=2": Spec("swish_beta=2", "swish", "Swish(beta=2)",
                         lambda impl: impl.activations.Swish(beta=2.0)),
    "softmax": Spec("softmax", "softmax", "Softmax", lambda impl: impl.activations.Softmax()),
}


def layers(*names):
    """Parametrize over SPECS entries, each marked with its exercise, the id its name."""
    return pytest.mark.parametrize("spec", [
        pytest.param(SPECS[n], id=n, marks=pytest.mark.exercise(SPECS[n].name)) for n in names])


ALL = ("sigmoid", "tanh", "relu", "swish", "softmax")
ELEMENTWISE = ("sigmoid", "tanh", "relu", "swish")


def inputs(spec, shape, rng):
    """Random float64 inputs of both signs, 0.05 to 2.5 away from 0 (ReLU's kink)."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.05, 2.5, shape)


def forward_backward(layer, x, dout):
    """out, dx of one forward then one backward (out as it was before backward ran)."""
    out = layer.forward(x)
    if type(out) is np.ndarray:
        out = out.copy()
    dx = layer.backward(dout)
    return out, dx


def slips_of(known, part):
    """{cause: what the slip gives} for the forward (part 0) or the backward (part 1)."""
    return {cause: wrong[part] for cause, wrong in known.slips.items() if wrong[part] is not None}


def check_forward_known(impl, key):
    spec = SPECS[key]
    known, name = spec.known, f"{spec.label}.forward(x)"
    out = spec.build(impl).forward(known.inputs()[0])
    assert_no_slip(name, out, known.out, slips_of(known, 0))
    assert_close(name, out, known.out)


def check_backward_known(impl, key):
    spec = SPECS[key]
    known, name = spec.known, f"{spec.label}.backward(dout)"
    _, dx = forward_backward(spec.build(impl), *known.inputs())
    assert_no_slip(name, dx, known.dx, slips_of(known, 1))
    if key == "softmax":
        name += " (the Jacobian diag(p) - p p^T applied to each row)"
    assert_close(f"{name}, {ANALYTIC}", dx, known.dx, rtol=1e-12, atol=1e-13)


# ---- known answers, worked out by hand ------------------------------------------------

@pytest.mark.exercise("sigmoid")
def test_sigmoid_forward_known_answer(impl):
    check_forward_known(impl, "sigmoid")


@pytest.mark.exercise("sigmoid")
def test_sigmoid_backward_known_answer(impl):
    check_backward_known(impl, "sigmoid")


@pytest.mark.exercise("tanh")
def test_tanh_forward_known_answer(impl):
    check_forward_known(impl, "tanh")


@pytest.mark.exercise("tanh")
def test_tanh_backward_known_answer(impl):
    check_backward_known(impl, "tanh")


@pytest.mark.exercise("relu")
def test_relu_forward_known_answer(impl):
    check_forward_known(impl, "relu")
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -1e-3]])          # 0 itself maps to 0
    expected = np.array([[0.0, 0.0, 0.0], [0.5, 3.0, 0.0]])
    assert_close("ReLU.forward(x)", impl.activations.ReLU().forward(x), expected)


@pytest.mark.exercise("relu")
def test_relu_backward_known_answer(impl):
    check_backward_known(impl, "relu")


@pytest.mark.exercise("swish")
def test_swish_forward_known_answer(impl):
    check_forward_known(impl, "swish")
    check_forward_known(impl, "swish_beta=2")


@pytest.mark.exercise("swish")
def test_swish_backward_known_answer(impl):
    check_backward_known(impl, "swish")
    check_backward_known(impl, "swish_beta=2")


@pytest.mark.exercise("softmax")
def test_softmax_forward_known_answer(impl):
    check_forward_known(impl, "softmax")


@pytest.mark.exercise("softmax")
def test_softmax_backward_known_answer(impl):
    check_backward_known(impl, "softmax")


@pytest.mark.exercise("softmax")
def test_softmax_rows_sum_to_one(impl, rng):
    x = 3.0 * rng.standard_normal((5, 4))
    out = impl.activations.Softmax().forward(x)
    assert_array("Softmax.forward(x)", out, x.shape, x.dtype)
    assert_close("Softmax.forward(x).sum(axis=1) (each row must sum to 1)",
                 out.sum(axis=1), np.ones(5), rtol=1e-12)
    if not np.all(out > 0):
        raise AssertionError("Softmax.forward(x): every probability must be > 0 for x of "
                             f"moderate size; got min {out.min():.3g}")


@pytest.mark.exercise("softmax")
def test_softmax_shift_invariant(impl, rng):
    x = rng.standard_normal((4, 5))
    shift = rng.uniform(-50.0, 50.0, (4, 1))
    layer = impl.activations.Softmax()
    plain = layer.forward(x)
    assert_array("Softmax.forward(x)", plain, x.shape, x.dtype)
    assert_close("Softmax.forward(x + c) with a constant c per row (must equal softmax(x))",
                 layer.forward(x + shift), plain, rtol=1e-10)


# ---- the generic checks, one table ---------------------------------------------------

@layers(*ALL, "swish_beta=2")
def test_backward(impl, rng, spec):
    errors = check_layer_gradients(spec.build(impl), inputs(spec, (4, 5), rng), rng)
    assert list(errors) == ["dx"], f"an activation has no parameters, got grads {list(errors)}"


@pytest.mark.parametrize("shape", [(6,), (3, 1, 2)], ids=["1d", "3d"])
@layers(*ELEMENTWISE)
def test_other_shapes_known_answer(impl, spec, shape):
    known = spec.known
    out, dx = forward_backward(spec.build(impl), *known.inputs(shape))
    assert_close(f"{spec.label}.forward(x) for x of shape {shape}", out, known.out.reshape(shape))
    assert_close(f"{spec.label}.backward(dout) for shape {shape}", dx, known.dx.reshape(shape))


@layers(*ELEMENTWISE)
def test_backward_other_shape_gradient(impl, rng, spec):
    check_layer_gradients(spec.build(impl), inputs(spec, (2, 3, 2), rng), rng)


# Inputs of size 1000 and what the layers give there (entries below 1e-12 written as 0):
# sigmoid(-40) = 4.2e-18, and exp(-2000) underflows to 0; dout is scaled entry by entry.
HUGE = np.array([[-1000.0, -710.0, -40.0, 0.0, 40.0, 710.0, 1000.0]])
STABILITY = {  # x, out, dout, dx
    "sigmoid": (HUGE, rows([0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0]),
                rows([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
                rows([0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])),
    "swish": (HUGE, rows([0.0, 0.0, 0.0, 0.0, 40.0, 710.0, 1000.0]),
              rows([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
              rows([0.0, 0.0, 0.0, 2.0, 5.0, 6.0, 7.0])),
    "softmax": (rows([1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, -1000.0], [-1000.0, 0.0]),
                rows([0.5, 0.5], [0.5, 0.5], [1.0, 0.0], [0.0, 1.0]),
                rows([1.0, 3.0], [2.0, -2.0], [5.0, 7.0], [-1.0, 4.0]),
                rows([-0.5, 0.5], [1.0, -1.0], [0.0, 0.0], [0.0, 0.0])),
}


@layers("sigmoid", "swish", "softmax")
def test_stable_at_large_inputs(impl, spec):
    x, expected_out, dout, expected_dx = STABILITY[spec.name]
    x, dout = x.copy(), dout.copy()
    layer = spec.build(impl)
    try:
        with errstate(impl, over="raise", invalid="raise", divide="raise"):
            out, dx = forward_backward(layer, x, dout)
    except FloatingPointError as error:
        cause = ("exp() of a large number overflows. Only ever take exp of a number <= 0: "
                 "exp(-|x|), or shift by the max (np.where computes both of its branches for "
                 "every entry)" if "overflow" in str(error) else
                 "a 0/0 or inf/inf: is every denominator a sum of exps of numbers <= 0?")
        raise AssertionError(f"{spec.name} at inputs of size 1000: numpy reported "
                             f"'{error}': {cause}.") from None
    assert_close(f"{spec.name} forward(x) at inputs of size 1000", out, expected_out)
    assert_close(f"{spec.name} backward(dout) at inputs of size 1000", dx, expected_dx)


@pytest.mark.exercise("softmax")
def test_softmax_large_equal_logits(impl):
    out = impl.activations.Softmax().forward(np.array([[1000.0, 1000.0]]))
    assert_close("Softmax.forward([[1000, 1000]])", out, np.array([[0.5, 0.5]]))


@layers(*ALL)
def test_float32_keeps_dtype(impl, spec):
    known = spec.known
    x, dout = known.x.astype(np.float32), known.dout.astype(np.float32)
    out, dx = forward_backward(spec.build(impl), x, dout)
    assert_close(f"{spec.name} forward(x) in float32", out, known.out.astype(np.float32),
                 rtol=1e-5, atol=1e-6)
    assert_close(f"{spec.name} backward(dout) in float32", dx, known.dx.astype(np.float32),
                 rtol=1e-4, atol=1e-5)


@layers(*ALL)
def test_inputs_unchanged(impl, spec):
    known = spec.known
    x, dout = known.inputs()
    before = snapshot(x, dout)
    out, dx = forward_backward(spec.build(impl), x, dout)
    for name, old, new in zip(["x", "dout"], before, [x, dout]):
        assert_unchanged(f"{spec.name}: {name}", old, new)
    assert_close(f"{spec.name}: forward(x)", out, known.out)
    assert_close(f"{spec.name}: dx", dx, known.dx)


@layers(*ALL)
def test_backward_twice_same_dx(impl, rng, spec):
    x, dout = inputs(spec, (4, 5), rng), rng.standard_normal((4, 5))
    layer = spec.build(impl)
    _, dx1 = forward_backward(layer, x, dout)
    dx1 = np.array(dx1, copy=True) if type(dx1) is np.ndarray else dx1
    dx2 = layer.backward(dout)
    assert_close(f"{spec.name} backward(dout) called twice after one forward: the second dx "
                 "(does backward change what forward cached?)", dx2, dx1)
