"""Kit self-tests: bad input to a layer raises an error that names the layer and the shapes.

These check the given validation code (solutions/inputs.py), not an exercise,
so they carry no ``exercise`` marker and score nothing.
"""
import re

import numpy as np
import pytest

ACTIVATIONS = ["Sigmoid", "Tanh", "ReLU", "Swish", "Softmax"]


def mentions(*fragments):
    """A ``match=`` pattern that finds every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def gaussian(shape, rng):
    return rng.standard_normal(shape)


def forward_anyway(layer, x):
    """Call forward; on a stub its checks run (and record the input shape) before the TODO."""
    try:
        layer.forward(x)
    except NotImplementedError:
        pass


def shape_text(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


@pytest.fixture
def linear(impl):
    return impl.layers.Linear(4, 3, np.random.default_rng(0), weight_init=gaussian)


@pytest.mark.parametrize("shape, expected", [
    ((5, 3), "(N, 4)"),
    ((5, 4, 1), "(N, 4)"),
    ((4,), "(N, 4)"),
    ((2, 3, 4), "(N, 4)"),
], ids=["wrong_features", "extra_axis", "1d", "3d"])
def test_linear_forward_rejects_shape(linear, shape, expected):
    pattern = mentions("Linear.forward", expected, f"got shape {shape_text(shape)}")
    with pytest.raises(ValueError, match=pattern):
        linear.forward(np.zeros(shape))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool, object, np.complex128],
                         ids=["int64", "int32", "bool", "object", "complex"])
def test_linear_forward_rejects_non_float(linear, dtype):
    x = np.ones((2, 4), dtype=dtype)
    with pytest.raises(ValueError, match=mentions("Linear.forward", "float", str(np.dtype(dtype)))):
        linear.forward(x)


def test_linear_forward_rejects_list_of_ints(linear):
    with pytest.raises(ValueError, match=mentions("Linear.forward", "float", "int")):
        linear.forward([[1, 2, 3, 4]])


def test_linear_forward_accepts_list_of_floats(linear):
    forward_anyway(linear, [[1.0, 2.0, 3.0, 4.0]])     # no ValueError


@pytest.mark.parametrize("shape", [(5, 2), (3, 5), (5,), (5, 3, 1)],
                         ids=["wrong_outputs", "transposed", "1d", "3d"])
def test_linear_backward_rejects_dout_shape(linear, shape):
    forward_anyway(linear, np.zeros((5, 4)))
    pattern = mentions("Linear.backward", "(5, 3)", f"got shape {shape_text(shape)}")
    with pytest.raises(ValueError, match=pattern):
        linear.backward(np.zeros(shape))


def test_linear_backward_rejects_integer_dout(linear):
    forward_anyway(linear, np.zeros((5, 4)))
    with pytest.raises(ValueError, match=mentions("Linear.backward", "float", "int64")):
        linear.backward(np.zeros((5, 3), dtype=np.int64))


def test_linear_backward_before_forward(linear):
    with pytest.raises(RuntimeError, match=mentions("Linear.backward", "forward before backward")):
        linear.backward(np.zeros((5, 3)))


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4)], ids=["1d", "3d"])
def test_softmax_rejects_non_matrix(impl, shape):
    actual = shape_text(shape)
    with pytest.raises(ValueError, match=mentions("Softmax.forward", "(N, C)",
                                                  f"got shape {actual}")):
        impl.activations.Softmax().forward(np.zeros(shape))


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.int64, bool, object], ids=["int64", "bool", "object"])
def test_activation_rejects_non_float(impl, name, dtype):
    x = np.ones((2, 3), dtype=dtype)
    pattern = mentions(f"{name}.forward", "float", str(np.dtype(dtype)))
    with pytest.raises(ValueError, match=pattern):
        getattr(impl.activations, name)().forward(x)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward_rejects_dout_shape(impl, name):
    layer = getattr(impl.activations, name)()
    forward_anyway(layer, np.zeros((2, 3)))
    pattern = mentions(f"{name}.backward", "(2, 3)", "got shape (3, 2)")
    with pytest.raises(ValueError, match=pattern):
        layer.backward(np.zeros((3, 2)))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward_before_forward(impl, name):
    with pytest.raises(RuntimeError, match=mentions(f"{name}.backward", "forward before backward")):
        getattr(impl.activations, name)().backward(np.zeros((2, 3)))
