"""Kit self-tests: bad settings or input to a normalization layer raise an error that names the
layer, the argument and the shapes.

These check the given validation code of solutions/normalization.py (and inputs.py), not an
exercise: they carry no ``exercise`` marker, score nothing, and pass on the stubs too.
"""
import re

import numpy as np
import pytest

LAYERS = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def mentions(*fragments):
    """A ``match=`` pattern that finds every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def forward_anyway(layer, x):
    """Call forward; on a stub its checks run (and record the input shape) before the TODO."""
    try:
        layer.forward(x)
    except NotImplementedError:
        pass


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("features", [0, -2, 2.5, "3"], ids=["zero", "negative", "float", "str"])
def test_rejects_num_features(impl, name, features):
    with pytest.raises(ValueError, match=mentions(name, "number of features", "int >= 1",
                                                  f"got {features!r}")):
        getattr(impl.normalization, name)(features)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("eps", [0.0, -1e-5, "1e-5"], ids=["zero", "negative", "str"])
def test_rejects_eps(impl, name, eps):
    with pytest.raises(ValueError, match=mentions(name, "eps must be a float > 0", f"got {eps!r}")):
        getattr(impl.normalization, name)(3, eps=eps)


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d"])
@pytest.mark.parametrize("momentum", [-0.1, 1.5, None], ids=["negative", "above_one", "none"])
def test_rejects_momentum(impl, name, momentum):
    with pytest.raises(ValueError, match=mentions(name, "momentum must lie in [0, 1]",
                                                  f"got {momentum!r}")):
        getattr(impl.normalization, name)(3, momentum=momentum)


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d"])
@pytest.mark.parametrize("momentum", [0, 1.0], ids=["zero", "one"])
def test_accepts_momentum_at_the_ends(impl, name, momentum):
    assert getattr(impl.normalization, name)(3, momentum=momentum).momentum == momentum


@pytest.mark.parametrize("shape, expected", [
    ((5, 2), "3 features in its last axis"),
    ((5, 4), "3 features in its last axis"),
    ((5,), "(N, 3)"),
    ((5, 3, 1), "(N, 3)"),
], ids=["too_few_features", "too_many_features", "1d", "3d"])
def test_batchnorm1d_rejects_shape(impl, shape, expected):
    with pytest.raises(ValueError, match=mentions("BatchNorm1d.forward", expected,
                                                  f"got shape {shape}")):
        impl.normalization.BatchNorm1d(3).forward(np.zeros(shape))


@pytest.mark.parametrize("shape, expected", [
    ((2, 4, 5, 5), "3 channels (shape (N, 3, H, W))"),
    ((2, 5, 5, 3), "3 channels (shape (N, 3, H, W))"),
    ((2, 3), "4 dimensions"),
    ((2, 3, 5), "4 dimensions"),
], ids=["wrong_channels", "channels_last", "2d", "3d"])
def test_batchnorm2d_rejects_shape(impl, shape, expected):
    with pytest.raises(ValueError, match=mentions("BatchNorm2d.forward", expected,
                                                  f"got shape {shape}")):
        impl.normalization.BatchNorm2d(3).forward(np.zeros(shape))


@pytest.mark.parametrize("shape", [(2, 3), (4, 5, 3), (5,)], ids=["2d", "3d", "1d"])
def test_layernorm_rejects_features(impl, shape):
    with pytest.raises(ValueError, match=mentions("LayerNorm.forward", "4 features in its last axis",
                                                  f"got shape {shape}")):
        impl.normalization.LayerNorm(4).forward(np.zeros(shape))


def test_layernorm_rejects_a_scalar(impl):
    with pytest.raises(ValueError, match=mentions("LayerNorm.forward", "got shape ()")):
        impl.normalization.LayerNorm(4).forward(np.float64(1.0))


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (1, 3)), ("BatchNorm1d", (0, 3))],
                         ids=["one_example", "empty"])
def test_batchnorm_training_needs_two_examples(impl, name, shape):
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", "training needs a batch of N >= 2",
                                                  f"got shape {shape}")):
        getattr(impl.normalization, name)(3).forward(np.zeros(shape))


def test_batchnorm_evaluation_accepts_one_example(impl):
    forward_anyway(impl.normalization.BatchNorm1d(3).eval(), np.zeros((1, 3)))   # no ValueError


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (2, 3)), ("BatchNorm2d", (2, 3, 2, 2)),
                                         ("LayerNorm", (2, 3))], ids=LAYERS)
@pytest.mark.parametrize("dtype", [np.int64, bool], ids=["int64", "bool"])
def test_rejects_non_float(impl, name, shape, dtype):
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", "float", str(np.dtype(dtype)))):
        getattr(impl.normalization, name)(3).forward(np.ones(shape, dtype=dtype))


@pytest.mark.parametrize("name, shape, wrong", [
    ("BatchNorm1d", (4, 3), (3, 4)),
    ("BatchNorm2d", (2, 3, 4, 5), (2, 3, 5, 4)),
    ("LayerNorm", (2, 5, 3), (10, 3)),
], ids=LAYERS)
def test_backward_rejects_dout_shape(impl, name, shape, wrong):
    layer = getattr(impl.normalization, name)(3)
    forward_anyway(layer, np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    with pytest.raises(ValueError, match=mentions(f"{name}.backward", f"{shape}", f"got shape {wrong}")):
        layer.backward(np.zeros(wrong))


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (4, 3)), ("BatchNorm2d", (2, 3, 4, 5)),
                                         ("LayerNorm", (4, 3))], ids=LAYERS)
def test_backward_before_forward(impl, name, shape):
    with pytest.raises(RuntimeError, match=mentions(f"{name}.backward", "call forward before backward")):
        getattr(impl.normalization, name)(3).backward(np.zeros(shape))
