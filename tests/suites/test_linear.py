"""Checks for the Linear layer (exercise ``linear``)."""
import numpy as np
import pytest

from grader.remote import fill
from tests.checks import assert_close, assert_unchanged, snapshot
from tests.gradcheck import check_layer_gradients

pytestmark = pytest.mark.exercise("linear")


def make_linear(impl, rng, d=4, m=3):
    return impl.layers.Linear(d, m, rng, weight_init=impl.doubles.gaussian)


def test_linear_forward_known_answer(impl, rng):
    layer = make_linear(impl, rng, d=2, m=3)
    fill(layer, ("params", "W"), [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    fill(layer, ("params", "b"), [0.5, -1.0, 2.0])
    x = np.array([[1.0, 2.0], [0.0, -4.0]])
    expected = np.array([[-0.5, 2.0, 5.0], [4.5, -3.0, 2.0]])
    assert_close("Linear.forward(x)", layer.forward(x), expected)


@pytest.mark.parametrize("key", ["x", "W", "b"])
def test_linear_backward(impl, rng, key):
    layer = make_linear(impl, rng, d=5, m=4)
    errors = check_layer_gradients(layer, rng.standard_normal((6, 5)), rng)   # raises on a mismatch
    assert set(errors) == {"dx", "W", "b"}


def test_linear_backward_known_answer(impl, rng):
    layer = make_linear(impl, rng, d=2, m=2)
    fill(layer, ("params", "W"), [[1.0, 2.0], [3.0, 4.0]])
    x = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]])
    dout = np.array([[1.0, 0.0], [0.5, -2.0], [-1.0, 1.0]])
    layer.forward(x)
    dx = layer.backward(dout)
    # worked once by hand and frozen: dL/dx, dL/dW and dL/db of L = sum(out * dout)
    assert_close("dx", dx, np.array([[1.0, 3.0], [-3.5, -6.5], [1.0, 1.0]]), n=3)
    assert_close('grads["W"]', layer.grads["W"], np.array([[2.0, -4.0], [-3.75, 2.0]]), n=3,
                 extras={'params["W"]': layer.params["W"]})
    assert_close('grads["b"]', layer.grads["b"], np.array([0.5, -1.0]), n=3)


def test_linear_inputs_unchanged(impl, rng):
    layer = make_linear(impl, rng)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    before = snapshot(x, dout, layer.params["W"], layer.params["b"])
    out = layer.forward(x)
    dx = layer.backward(dout)
    for name, old, new in zip(["x", "dout", 'params["W"]', 'params["b"]'], before,
                              [x, dout, layer.params["W"], layer.params["b"]]):
        assert_unchanged(name, old, new)
    # the same call on the untouched copies gives the same values
    assert_close("Linear.forward(x)", out, layer.forward(before[0]))
    assert_close("dx", dx, layer.backward(before[1]))


def test_linear_backward_twice_same_grads(impl, rng):
    layer = make_linear(impl, rng)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer.forward(x)
    dx1 = layer.backward(dout)
    first = {k: v.copy() for k, v in layer.grads.items()}
    dx2 = layer.backward(dout)
    assert_close("dx (second backward)", dx2, dx1)
    for key in ("W", "b"):
        assert_close(f'grads["{key}"] (second backward: overwritten, not accumulated)',
                     layer.grads[key], first[key])


def test_linear_float32_keeps_dtype(impl, rng):
    layer = impl.layers.Linear(4, 3, rng, weight_init=impl.doubles.gaussian, dtype=np.float32)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    wide = make_linear(impl, rng, d=4, m=3)          # the same weights in float64
    fill(wide, ("params", "W"), layer.params["W"].astype(np.float64))
    fill(wide, ("params", "b"), rng.standard_normal(3))
    fill(layer, ("params", "b"), wide.params["b"].astype(np.float32))
    out = layer.forward(x)
    expected = wide.forward(x.astype(np.float64)).astype(np.float32)
    assert_close("Linear.forward(x) in float32 (against the float64 layer)", out, expected, rtol=1e-5)
    dx = layer.backward(np.ones((5, 3), np.float32))
    expected = wide.backward(np.ones((5, 3))).astype(np.float32)
    assert_close("dx in float32 (against the float64 layer)", dx, expected, rtol=1e-5)

def test_linear_backward_is_analytic(impl, rng):
    """backward uses the formulas on the cache, exact where central differences are not."""
    layer = make_linear(impl, rng, d=3, m=2)
    fill(layer, ("params", "W"), [[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])   # binary fractions:
    x = np.array([[1.0, -1.0, 0.5], [2.0, 0.25, 0.0]])                       # every product and
    dout = np.array([[1.0, -2.0], [0.5, 3.0]])                                 # sum is exact
    layer.forward(x)
    dx = layer.backward(dout)
    exact = " (binary fractions: the formulas give it exactly; finite differences do not)"
    # worked once by hand and frozen
    assert_close("dx" + exact, dx, np.array([[-3.0, -5.0, -2.0], [6.5, 13.5, 1.0]]), rtol=0, atol=0)
    assert_close('grads["W"]' + exact, layer.grads["W"],
                 np.array([[2.0, 4.0], [-0.875, 2.75], [0.5, -1.0]]), rtol=0, atol=0)
    assert_close('grads["b"]' + exact, layer.grads["b"], np.array([1.5, 1.0]), rtol=0, atol=0)
