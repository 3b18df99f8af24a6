"""Kit self-tests: bad input to the Embedding, the temporal loss or the RNN raises an error that
names the call, the argument and the shapes or values.

These check the given validation code of solutions/recurrent.py (and inputs.py), not an
exercise: they carry no ``exercise`` marker, score nothing, and pass on the stubs too.
"""
import re

import numpy as np
import pytest


def mentions(*fragments):
    """A ``match=`` pattern that finds every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def forward_anyway(layer, *inputs):
    """Call forward; on a stub its checks run (and record the input shape) before the TODO."""
    try:
        layer.forward(*inputs)
    except NotImplementedError:
        pass


def embedding(impl):
    return impl.recurrent.Embedding(5, 3, np.random.default_rng(0))


def rnn(impl):
    return impl.recurrent.RNN(3, 4, np.random.default_rng(0))


def temporal_loss(impl, scores, y, mask=None):
    return impl.recurrent.temporal_softmax_cross_entropy(scores, y, mask)


# ---- Embedding -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Embedding", "RNN"])
def test_rejects_a_missing_rng(impl, name):
    with pytest.raises(ValueError, match=mentions(name, "rng must be a numpy Generator", "NoneType")):
        getattr(impl.recurrent, name)(5, 3, None)


@pytest.mark.parametrize("x, dtype", [
    (np.array([[0.0, 1.0], [2.0, 3.0]]), "float64"),
    (np.array([[True, False]]), "bool"),
], ids=["float_indices", "bool_indices"])
def test_embedding_rejects_non_integer_indices(impl, x, dtype):
    with pytest.raises(ValueError, match=mentions("Embedding.forward", "int array (N, T)",
                                                  f"dtype {dtype}")):
        embedding(impl).forward(x)


@pytest.mark.parametrize("x, low, high", [
    (np.array([[0, 5], [1, 2]]), 0, 5),
    (np.array([[-1, 2], [3, 4]]), -1, 4),
], ids=["index_V", "negative"])
def test_embedding_rejects_indices_out_of_range(impl, x, low, high):
    with pytest.raises(ValueError, match=mentions("Embedding.forward", "[0, 5)",
                                                  f"from {low} to {high}")):
        embedding(impl).forward(x)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 1)], ids=["1d", "3d"])
def test_embedding_rejects_wrong_ndim(impl, shape):
    with pytest.raises(ValueError, match=mentions("Embedding.forward", "(N, T)", f"shape {shape}")):
        embedding(impl).forward(np.zeros(shape, dtype=np.int64))


def test_embedding_backward_before_forward(impl):
    with pytest.raises(RuntimeError, match=mentions("Embedding.backward", "call forward before backward")):
        embedding(impl).backward(np.zeros((2, 2, 3)))


@pytest.mark.parametrize("wrong", [(2, 3, 2), (3, 2, 3), (2, 3)], ids=["D", "transposed", "2d"])
def test_embedding_backward_rejects_dout_shape(impl, wrong):
    layer = embedding(impl)
    forward_anyway(layer, np.array([[0, 1, 2], [3, 4, 0]]))
    with pytest.raises(ValueError, match=mentions("Embedding.backward", "(2, 3, 3)", f"got shape {wrong}")):
        layer.backward(np.zeros(wrong))


# ---- temporal_softmax_cross_entropy ----------------------------------------------------------

SCORES = np.zeros((2, 3, 4))
Y = np.zeros((2, 3), dtype=np.int64)


@pytest.mark.parametrize("y, mask, got", [
    (np.zeros((3, 2), dtype=np.int64), None, "y int64 (3, 2)"),
    (np.zeros((2,), dtype=np.int64), None, "y int64 (2,)"),
    (Y, np.ones((2, 2), dtype=bool), "mask bool (2, 2)"),
    (Y, np.ones((3,), dtype=bool), "mask bool (3,)"),
], ids=["y_transposed", "y_1d", "mask_short", "mask_1d"])
def test_temporal_loss_rejects_shape_mismatch(impl, y, mask, got):
    with pytest.raises(ValueError, match=mentions("temporal_softmax_cross_entropy",
                                                  "must have shape (2, 3)", got)):
        temporal_loss(impl, SCORES, y, mask)


@pytest.mark.parametrize("mask, dtype", [(np.ones((2, 3), dtype=np.int64), "int64"),
                                         (np.ones((2, 3)), "float64")], ids=["int", "float"])
def test_temporal_loss_rejects_a_non_bool_mask(impl, mask, dtype):
    with pytest.raises(ValueError, match=mentions("temporal_softmax_cross_entropy", "mask (bool)",
                                                  f"mask {dtype}")):
        temporal_loss(impl, SCORES, Y, mask)


def test_temporal_loss_rejects_float_labels(impl):
    with pytest.raises(ValueError, match=mentions("temporal_softmax_cross_entropy", "y (int)", "y float64")):
        temporal_loss(impl, SCORES, np.zeros((2, 3)))


@pytest.mark.parametrize("scores, message", [
    (np.zeros((2, 3, 4), dtype=np.int64), "float array"),
    (np.zeros((6, 4)), "(N, T, V)"),
], ids=["int_scores", "2d_scores"])
def test_temporal_loss_rejects_scores(impl, scores, message):
    with pytest.raises(ValueError, match=mentions("temporal_softmax_cross_entropy", "scores", message)):
        temporal_loss(impl, scores, Y)


def test_temporal_loss_rejects_an_all_masked_batch(impl):
    with pytest.raises(ValueError, match=mentions("temporal_softmax_cross_entropy",
                                                  "leaves no position")):
        temporal_loss(impl, SCORES, Y, np.zeros((2, 3), dtype=bool))


# ---- RNN -------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, expected", [
    ((2, 5, 4), "3 features in its last axis"),
    ((2, 5, 2), "3 features in its last axis"),
    ((2, 3), "3 dimensions"),
    ((1, 2, 5, 3), "3 dimensions"),
], ids=["D_too_big", "D_too_small", "2d", "4d"])
def test_rnn_rejects_x(impl, shape, expected):
    with pytest.raises(ValueError, match=mentions("RNN.forward", expected, f"got shape {shape}")):
        rnn(impl).forward(np.zeros(shape))


def test_rnn_rejects_integer_x(impl):
    with pytest.raises(ValueError, match=mentions("RNN.forward", "float", "int64")):
        rnn(impl).forward(np.zeros((2, 5, 3), dtype=np.int64))


@pytest.mark.parametrize("shape", [(2, 3), (4, 2), (3, 4), (2, 5, 4)],
                         ids=["H_wrong", "transposed", "N_wrong", "3d"])
def test_rnn_rejects_h0_shape(impl, shape):
    with pytest.raises(ValueError, match=mentions("RNN.forward", "h0 must have shape (2, 4)",
                                                  f"got shape {shape}")):
        rnn(impl).forward(np.zeros((2, 5, 3)), np.zeros(shape))


def test_rnn_backward_before_forward(impl):
    with pytest.raises(RuntimeError, match=mentions("RNN.backward", "call forward before backward")):
        rnn(impl).backward(np.zeros((2, 5, 4)))


@pytest.mark.parametrize("wrong", [(2, 5, 3), (5, 2, 4), (2, 4)], ids=["D_not_H", "time_first", "2d"])
def test_rnn_backward_rejects_dhs_shape(impl, wrong):
    layer = rnn(impl)
    forward_anyway(layer, np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=mentions("RNN.backward", "dhs must have shape (2, 5, 4)",
                                                  f"got shape {wrong}")):
        layer.backward(np.zeros(wrong))
