"""Checks for the activation layers: exercises sigmoid, tanh, relu, swish and softmax.

Known answers are worked out by hand; the generic checks (gradient, stability,
dtype, inputs unchanged, backward twice, other shapes) run once per layer from
one table, so a check reads ``test_backward[relu]``.
"""
import math

import numpy as np
import pytest

from grader.remote import errstate
from tests.checks import assert_array, assert_close, assert_unchanged, snapshot
from tests.gradcheck import check_layer_gradients

LN2, LN3 = math.log(2.0), math.log(3.0)


# Trusted references, written differently from the textbook formulas the student uses.

def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))          # stable for any x


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_jvp(x, dout):
    """dx_i = J_i @ dout_i with the explicit Jacobian J_i = diag(p_i) - p_i p_i^T of each row."""
    p = softmax(x)
    return np.stack([(np.diag(pi) - np.outer(pi, pi)) @ gi for pi, gi in zip(p, dout)])


class Spec:
    """One activation: how to build it, and its trusted forward and derivative-times-dout."""

    def __init__(self, name, build, forward, backward):
        self.name, self.build, self.forward, self.backward = name, build, forward, backward


SPECS = {
    "sigmoid": Spec("sigmoid", lambda impl: impl.activations.Sigmoid(), sigmoid,
                    lambda x, g: g * sigmoid_grad(x)),
    "tanh": Spec("tanh", lambda impl: impl.activations.Tanh(), np.tanh,
                 lambda x, g: g / np.cosh(x) ** 2),
    "relu": Spec("relu", lambda impl: impl.activations.ReLU(), lambda x: x * (x > 0),
                 lambda x, g: g * (x > 0)),
    "swish": Spec("swish", lambda impl: impl.activations.Swish(), lambda x: x * sigmoid(x),
                  lambda x, g: g * (sigmoid(x) + x * sigmoid_grad(x))),
    "swish_beta=2": Spec("swish", lambda impl: impl.activations.Swish(beta=2.0),
                        lambda x: x * sigmoid(2 * x),
                        lambda x, g: g * (sigmoid(2 * x) + 2 * x * sigmoid_grad(2 * x))),
    "softmax": Spec("softmax", lambda impl: impl.activations.Softmax(), softmax, softmax_jvp),
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


def assert_no_slip(name, got, x, dout, spec, what):
    """Fail with the named cause when ``got`` is what a known slip gives: the derivative taken at
    the layer's output instead of its input, or Swish's beta ignored (the result of beta = 1)."""
    if type(got) is not np.ndarray or got.shape != x.shape:
        return
    right = spec.forward(x) if what == "forward" else spec.backward(x, dout)
    slips = {}
    if what == "backward":
        slips["the derivative was taken at the layer's output instead of at its input x"] = \
            spec.backward(spec.forward(x), dout)
    if spec is SPECS["swish_beta=2"]:
        slips["beta is ignored: this is the result for beta = 1"] = \
            SPECS["swish"].forward(x) if what == "forward" else SPECS["swish"].backward(x, dout)
    for cause, wrong in slips.items():
        if np.allclose(got, wrong, rtol=1e-9, atol=1e-12) and not np.allclose(wrong, right):
            raise AssertionError(f"{name}: {cause}.")


def forward_backward(layer, x, dout):
    """out, dx of one forward then one backward (out as it was before backward ran)."""
    out = layer.forward(x)
    if type(out) is np.ndarray:
        out = out.copy()
    dx = layer.backward(dout)
    return out, dx


# ---- known answers, worked out by hand ------------------------------------------------

@pytest.mark.exercise("sigmoid")
def test_sigmoid_forward_known_answer(impl):
    x = np.array([[0.0, LN3, -LN3], [math.log(9.0), -math.log(9.0), -2 * LN2]])
    expected = np.array([[0.5, 0.75, 0.25], [0.9, 0.1, 0.2]])
    assert_close("Sigmoid.forward(x)", impl.activations.Sigmoid().forward(x), expected)


@pytest.mark.exercise("sigmoid")
def test_sigmoid_backward_known_answer(impl):
    layer = impl.activations.Sigmoid()
    layer.forward(np.array([[0.0, LN3, -LN3]]))
    dx = layer.backward(np.array([[2.0, -1.0, 4.0]]))
    # sigmoid' = s (1 - s): 1/4 at 0, 3/16 at +-ln 3
    assert_close("Sigmoid.backward(dout)", dx, np.array([[0.5, -3 / 16, 0.75]]))


@pytest.mark.exercise("tanh")
def test_tanh_forward_known_answer(impl):
    # tanh(ln a) = (a^2 - 1) / (a^2 + 1)
    x = np.array([[0.0, LN2, -LN2], [LN3, -LN3, 0.5 * LN3]])
    expected = np.array([[0.0, 0.6, -0.6], [0.8, -0.8, 0.5]])
    assert_close("Tanh.forward(x)", impl.activations.Tanh().forward(x), expected)


@pytest.mark.exercise("tanh")
def test_tanh_backward_known_answer(impl):
    layer = impl.activations.Tanh()
    layer.forward(np.array([[0.0, LN2, -LN3]]))
    dx = layer.backward(np.array([[3.0, 1.0, -2.0]]))
    # tanh' = 1 - tanh^2: 1 at 0, 1 - 0.36 at ln 2, 1 - 0.64 at -ln 3
    assert_close("Tanh.backward(dout)", dx, np.array([[3.0, 0.64, -0.72]]))


@pytest.mark.exercise("relu")
def test_relu_forward_known_answer(impl):
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -1e-3]])
    expected = np.array([[0.0, 0.0, 0.0], [0.5, 3.0, 0.0]])
    assert_close("ReLU.forward(x)", impl.activations.ReLU().forward(x), expected)


@pytest.mark.exercise("relu")
def test_relu_backward_known_answer(impl):
    layer = impl.activations.ReLU()
    layer.forward(np.array([[-2.0, -0.5, 0.5], [3.0, -1e-3, 1e-3]]))
    dx = layer.backward(np.array([[1.0, 2.0, 3.0], [-4.0, 5.0, -6.0]]))
    assert_close("ReLU.backward(dout)", dx, np.array([[0.0, 0.0, 3.0], [-4.0, 0.0, -6.0]]))


@pytest.mark.exercise("swish")
def test_swish_forward_known_answer(impl):
    x = np.array([[0.0, LN3, -LN3, 2 * LN2]])
    # beta = 1 (the default): x * sigmoid(x); sigmoid(ln 3) = 3/4, sigmoid(2 ln 2) = 4/5
    expected = np.array([[0.0, 0.75 * LN3, -0.25 * LN3, 0.8 * 2 * LN2]])
    assert_close("Swish().forward(x)", impl.activations.Swish().forward(x), expected)
    # beta = 2: x * sigmoid(2x)
    x = np.array([[0.0, 0.5 * LN3, -0.5 * LN3, LN2]])
    expected = np.array([[0.0, 0.375 * LN3, -0.125 * LN3, 0.8 * LN2]])
    assert_close("Swish(beta=2).forward(x)", impl.activations.Swish(beta=2.0).forward(x), expected)


@pytest.mark.exercise("swish")
def test_swish_backward_known_answer(impl):
    # d/dx x s(bx) = s + b x s (1 - s): at x = 0 it is 1/2 for any beta; at b x = ln 3, s = 3/4
    layer = impl.activations.Swish(beta=2.0)
    layer.forward(np.array([[0.0, 0.5 * LN3]]))
    dx = layer.backward(np.array([[2.0, 16.0]]))
    expected = np.array([[1.0, 16.0 * (0.75 + 2 * 0.5 * LN3 * 3 / 16)]])
    assert_close("Swish(beta=2).backward(dout)", dx, expected)


@pytest.mark.exercise("softmax")
def test_softmax_forward_known_answer(impl):
    x = np.array([[0.0, LN2, LN3], [5.0, 5.0, 5.0], [-LN2, -LN2, 0.0]])
    expected = np.array([[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3], [0.25, 0.25, 0.5]])
    assert_close("Softmax.forward(x)", impl.activations.Softmax().forward(x), expected)


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
    assert_close("Softmax.forward(x + c) with a constant c per row (must equal softmax(x))",
                 layer.forward(x + shift), softmax(x), rtol=1e-10)


@pytest.mark.exercise("softmax")
def test_softmax_backward_equals_jacobian_product(impl, rng):
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    layer = impl.activations.Softmax()
    layer.forward(x)
    assert_close("Softmax.backward(dout) (the Jacobian diag(p) - p p^T applied to each row)",
                 layer.backward(dout), softmax_jvp(x, dout))


# ---- the generic checks, one table ---------------------------------------------------

@layers(*ALL, "swish_beta=2")
def test_forward(impl, rng, spec):
    x = inputs(spec, (4, 5), rng)
    out = spec.build(impl).forward(x)
    assert_no_slip(f"{spec.name} forward(x)", out, x, None, spec, "forward")
    assert_close(f"{spec.name} forward(x)", out, spec.forward(x))


@layers(*ALL, "swish_beta=2")
def test_backward(impl, rng, spec):
    errors = check_layer_gradients(spec.build(impl), inputs(spec, (4, 5), rng), rng)
    assert list(errors) == ["dx"], f"an activation has no parameters, got grads {list(errors)}"


@layers(*ALL, "swish_beta=2")
def test_backward_is_analytic(impl, rng, spec):
    """dx equals the closed form to 1e-12: finite differences in disguise reach 1e-11 at best."""
    x, dout = inputs(spec, (4, 5), rng), rng.standard_normal((4, 5))
    _, dx = forward_backward(spec.build(impl), x, dout)
    assert_no_slip(f"{spec.name} backward(dout)", dx, x, dout, spec, "backward")
    assert_close(f"{spec.name} backward(dout), to the precision of an analytic formula "
                 f"(a numerical gradient is not accepted here)", dx, spec.backward(x, dout),
                 rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("shape", [(7,), (2, 3, 4)], ids=["1d", "3d"])
@layers(*ELEMENTWISE)
def test_other_shapes(impl, rng, spec, shape):
    x, dout = inputs(spec, shape, rng), rng.standard_normal(shape)
    out, dx = forward_backward(spec.build(impl), x, dout)
    assert_close(f"{spec.name} forward(x) for x of shape {shape}", out, spec.forward(x))
    assert_close(f"{spec.name} backward(dout) for shape {shape}", dx, spec.backward(x, dout))


@layers(*ELEMENTWISE)
def test_backward_other_shape_gradient(impl, rng, spec):
    check_layer_gradients(spec.build(impl), inputs(spec, (2, 3, 2), rng), rng)


STABILITY = {
    "sigmoid": np.array([[-1000.0, -710.0, -40.0, 0.0, 40.0, 710.0, 1000.0]]),
    "swish": np.array([[-1000.0, -710.0, -40.0, 0.0, 40.0, 710.0, 1000.0]]),
    "softmax": np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, -1000.0],
                         [-1000.0, 0.0]]),
}


@layers("sigmoid", "swish", "softmax")
def test_stable_at_large_inputs(impl, rng, spec):
    x = STABILITY[spec.name]
    dout = rng.standard_normal(x.shape)
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
    assert_close(f"{spec.name} forward(x) at inputs of size 1000", out, spec.forward(x))
    assert_close(f"{spec.name} backward(dout) at inputs of size 1000", dx,
                 spec.backward(x, dout))


@pytest.mark.exercise("softmax")
def test_softmax_large_equal_logits(impl):
    out = impl.activations.Softmax().forward(np.array([[1000.0, 1000.0]]))
    assert_close("Softmax.forward([[1000, 1000]])", out, np.array([[0.5, 0.5]]))


@layers(*ALL)
def test_float32_keeps_dtype(impl, rng, spec):
    x = inputs(spec, (4, 5), rng).astype(np.float32)
    dout = rng.standard_normal((4, 5)).astype(np.float32)
    out, dx = forward_backward(spec.build(impl), x, dout)
    x64, dout64 = x.astype(np.float64), dout.astype(np.float64)
    assert_close(f"{spec.name} forward(x) in float32", out,
                 spec.forward(x64).astype(np.float32), rtol=1e-5, atol=1e-6)
    assert_close(f"{spec.name} backward(dout) in float32", dx,
                 spec.backward(x64, dout64).astype(np.float32), rtol=1e-4, atol=1e-5)


@layers(*ALL)
def test_inputs_unchanged(impl, rng, spec):
    x, dout = inputs(spec, (4, 5), rng), rng.standard_normal((4, 5))
    before = snapshot(x, dout)
    out, dx = forward_backward(spec.build(impl), x, dout)
    for name, old, new in zip(["x", "dout"], before, [x, dout]):
        assert_unchanged(f"{spec.name}: {name}", old, new)
    assert_close(f"{spec.name}: forward(x)", out, spec.forward(x))
    assert_close(f"{spec.name}: dx", dx, spec.backward(x, dout))


@layers(*ALL)
def test_backward_twice_same_dx(impl, rng, spec):
    x, dout = inputs(spec, (4, 5), rng), rng.standard_normal((4, 5))
    layer = spec.build(impl)
    _, dx1 = forward_backward(layer, x, dout)
    dx1 = np.array(dx1, copy=True) if type(dx1) is np.ndarray else dx1
    dx2 = layer.backward(dout)
    assert_close(f"{spec.name} backward(dout) called twice after one forward: the second dx "
                 "(does backward change what forward cached?)", dx2, dx1)
