"""Hidden checks of the activation layers (exercises sigmoid, tanh, relu, swish, softmax):
each layer against a trusted reference on random inputs.

The references are written differently from the textbook formulas a student uses (sigmoid
through tanh, softmax's backward through the explicit Jacobian of each row); their variants
compute what each known slip gives, so that a check names the one it sees. They stay out of
the handout: the visible suite (tests/suites/test_activations.py) holds the known answers,
the gradient checks and the helpers that build the layers.
"""
import numpy as np
import pytest

from tests.checks import assert_close, assert_no_slip
from tests.suites.test_activations import (
    ALL,
    AT_OUTPUT,
    BETA_IGNORED,
    ELEMENTWISE,
    SPECS,
    forward_backward,
    inputs,
    layers,
)

# ---- trusted references ---------------------------------------------------------------


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


REFERENCE = {  # key: (forward(x), backward(x, dout))
    "sigmoid": (sigmoid, lambda x, g: g * sigmoid_grad(x)),
    "tanh": (np.tanh, lambda x, g: g / np.cosh(x) ** 2),
    "relu": (lambda x: x * (x > 0), lambda x, g: g * (x > 0)),
    "swish": (lambda x: x * sigmoid(x), lambda x, g: g * (sigmoid(x) + x * sigmoid_grad(x))),
    "swish_beta=2": (lambda x: x * sigmoid(2 * x),
                     lambda x, g: g * (sigmoid(2 * x) + 2 * x * sigmoid_grad(2 * x))),
    "softmax": (softmax, softmax_jvp),
}


def reference(spec, what, x, dout=None):
    forward, backward = REFERENCE[spec.key]
    return forward(x) if what == "forward" else backward(x, dout)


def slips(spec, what, x, dout):
    """{cause: what it gives} of the known slips: the derivative taken at the layer's output,
    Swish's beta ignored (the result of beta = 1)."""
    found = {}
    if what == "backward":
        found[AT_OUTPUT] = reference(spec, "backward", reference(spec, "forward", x), dout)
    if spec.key == "swish_beta=2":
        found[BETA_IGNORED] = reference(SPECS["swish"], what, x, dout)
    return found


# ---- checks ---------------------------------------------------------------------------

@layers(*ALL, "swish_beta=2")
def test_forward(impl, rng, spec):
    x = inputs(spec, (4, 5), rng)
    out = spec.build(impl).forward(x)
    right = reference(spec, "forward", x)
    assert_no_slip(f"{spec.name} forward(x)", out, right, slips(spec, "forward", x, None),
                   rtol=1e-9, atol=1e-12)
    assert_close(f"{spec.name} forward(x)", out, right)


@layers(*ALL, "swish_beta=2")
def test_backward_is_analytic(impl, rng, spec):
    """dx equals the closed form to 1e-12: finite differences in disguise reach 1e-11 at best."""
    x, dout = inputs(spec, (4, 5), rng), rng.standard_normal((4, 5))
    _, dx = forward_backward(spec.build(impl), x, dout)
    right = reference(spec, "backward", x, dout)
    assert_no_slip(f"{spec.name} backward(dout)", dx, right, slips(spec, "backward", x, dout),
                   rtol=1e-9, atol=1e-12)
    assert_close(f"{spec.name} backward(dout), to the precision of an analytic formula "
                 f"(a numerical gradient is not accepted here)", dx, right,
                 rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("shape", [(7,), (2, 3, 4)], ids=["1d", "3d"])
@layers(*ELEMENTWISE)
def test_other_shapes(impl, rng, spec, shape):
    x, dout = inputs(spec, shape, rng), rng.standard_normal(shape)
    out, dx = forward_backward(spec.build(impl), x, dout)
    assert_close(f"{spec.name} forward(x) for x of shape {shape}", out,
                 reference(spec, "forward", x))
    assert_close(f"{spec.name} backward(dout) for shape {shape}", dx,
                 reference(spec, "backward", x, dout))


@pytest.mark.exercise("softmax")
def test_softmax_backward_equals_jacobian_product(impl, rng):
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    layer = impl.activations.Softmax()
    layer.forward(x)
    assert_close("Softmax.backward(dout) (the Jacobian diag(p) - p p^T applied to each row)",
                 layer.backward(dout), softmax_jvp(x, dout))


@pytest.mark.exercise("softmax")
def test_softmax_shift_invariant_matches_the_definition(impl, rng):
    x = rng.standard_normal((4, 5))
    shift = rng.uniform(-50.0, 50.0, (4, 1))
    assert_close("Softmax.forward(x + c) with a constant c per row (must equal softmax(x))",
                 impl.activations.Softmax().forward(x + shift), softmax(x), rtol=1e-10)
