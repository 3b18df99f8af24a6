"""Kit self-tests of the given code around dropout: Dropout's argument checks, and
models.add_normalization_and_dropout (its checks and where it puts the layers).

These check the given code outside the student's blocks, so they hold for the stubs
too (the test network is made by hand, not by the student's build_mlp); they carry no
exercise marker and score nothing.
"""
import math
import re

import numpy as np
import pytest


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


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan, "0.5", None],
                         ids=["negative", "above_1", "nan", "string", "None"])
def test_dropout_rejects_p_outside_0_1(impl, p):
    with pytest.raises(ValueError, match=mentions("Dropout", "p (the probability of dropping)",
                                                  "[0, 1]", repr(p))):
        impl.dropout.Dropout(p, np.random.default_rng(0))


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0), np.random],
                         ids=["None", "int_seed", "RandomState", "np.random"])
def test_dropout_rejects_an_rng_that_is_not_a_generator(impl, rng):
    with pytest.raises(ValueError, match=mentions("Dropout", "rng", "Generator")):
        impl.dropout.Dropout(0.5, rng)


@pytest.mark.parametrize("p", [0, 0.0, 1, 1.0, 0.5], ids=["0", "0.0", "1", "1.0", "0.5"])
def test_dropout_accepts_p_in_0_1(impl, p):
    assert impl.dropout.Dropout(p, np.random.default_rng(0)).p == float(p)


def test_dropout_backward_before_forward(impl):
    layer = impl.dropout.Dropout(0.5, np.random.default_rng(0))
    with pytest.raises(RuntimeError, match=mentions("Dropout.backward", "forward before backward")):
        layer.backward(np.ones((2, 3)))


def test_dropout_backward_rejects_a_dout_of_another_shape(impl):
    layer = impl.dropout.Dropout(0.5, np.random.default_rng(0))
    forward_anyway(layer, np.ones((2, 3)))
    with pytest.raises(ValueError, match=mentions("Dropout.backward", "(2, 3)", "got shape (3, 2)")):
        layer.backward(np.ones((3, 2)))


@pytest.mark.parametrize("dtype", [np.int64, bool], ids=["int64", "bool"])
def test_dropout_forward_rejects_non_float(impl, dtype):
    layer = impl.dropout.Dropout(0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=mentions("Dropout.forward", "float", str(np.dtype(dtype)))):
        layer.forward(np.ones((2, 3), dtype=dtype))


# ---- add_normalization_and_dropout -----------------------------------------------------

def mlp(impl, rng):
    """Linear(2, 5) > ReLU > Linear(5, 4) > ReLU > Linear(4, 3) > softmax: what
    build_mlp(2, (5, 4), 3, rng) gives, made by hand from the given constructors."""
    linears = [impl.layers.Linear(d, m, rng, weight_init=gaussian) for d, m in [(2, 5), (5, 4), (4, 3)]]
    layers = [linears[0], impl.activations.ReLU(), linears[1], impl.activations.ReLU(), linears[2]]
    return impl.models.Sequential(layers, impl.models.SoftmaxHead(), reg=0.01, penalty="l1")


def names(model):
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize("norm, cls", [("batchnorm", "BatchNorm1d"), ("layernorm", "LayerNorm")])
def test_add_normalization_and_dropout_layer_order(impl, norm, cls):
    rng = np.random.default_rng(0)
    model = mlp(impl, rng)
    original = list(model.layers)
    new = impl.models.add_normalization_and_dropout(model, rng, norm=norm, dropout=0.5)
    assert names(new) == ["Linear", cls, "ReLU", "Dropout", "Linear", cls, "ReLU", "Dropout", "Linear"]
    assert all(new.layers[i] is original[j] for i, j in [(0, 0), (4, 2), (8, 4)]), \
        "the Linear layers must be the model's own (same weights), not copies"
    assert [new.layers[i].num_features for i in (1, 5)] == [5, 4]
    assert all(new.layers[i].p == 0.5 and new.layers[i].rng is rng for i in (3, 7))
    assert new.head is model.head and (new.reg, new.penalty) == (0.01, "l1")
    assert model.layers == original, "the model passed in must be left as it was"


def test_add_normalization_and_dropout_dropout_only(impl):
    rng = np.random.default_rng(1)
    new = impl.models.add_normalization_and_dropout(mlp(impl, rng), rng, dropout=0.3)
    assert names(new) == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [new.layers[i].p for i in (2, 5)] == [0.3, 0.3]


def test_add_normalization_and_dropout_adds_nothing_by_default(impl):
    rng = np.random.default_rng(2)
    model = mlp(impl, rng)
    new = impl.models.add_normalization_and_dropout(model, rng)
    assert new.layers == model.layers


@pytest.mark.parametrize("norm", ["groupnorm", "BatchNorm", ""], ids=["groupnorm", "capitalized", "empty"])
def test_add_normalization_and_dropout_rejects_an_unknown_norm(impl, norm):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=mentions("add_normalization_and_dropout", "norm",
                                                  "batchnorm", "layernorm", repr(norm))):
        impl.models.add_normalization_and_dropout(mlp(impl, rng), rng, norm=norm)


@pytest.mark.parametrize("dropout", [1.0, 1, -0.1, 1.5, "0.2"],
                         ids=["1.0", "int_1", "negative", "above_1", "string"])
def test_add_normalization_and_dropout_rejects_dropout_outside_0_1(impl, dropout):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=mentions("add_normalization_and_dropout", "dropout",
                                                  "[0, 1)", repr(dropout))):
        impl.models.add_normalization_and_dropout(mlp(impl, rng), rng, dropout=dropout)
