"""Sequences: Embedding, a vanilla RNN, an LSTM, and the temporal softmax loss. Batch-first.

    emb = Embedding(V, D, rng)          # tokens (N, T) int -> vectors (N, T, D)
    rnn = RNN(D, H, rng)                # (N, T, D) -> hidden states (N, T, H)
    lstm = LSTM(D, H, rng)              # the same shapes, with gates
    loss, dscores = temporal_softmax_cross_entropy(scores, y, mask)   # scores (N, T, V)

As PyTorch: the LSTM's gates are stacked in the order i, f, g, o in Wx (D, 4H),
Wh (H, 4H) and b (4H,); the initial state is zeros unless given, and after backward
``dh0`` (and the LSTM's ``dc0``) holds the gradient of the initial state.
"""
import numpy as np

from .inputs import as_float_array, check_features, check_rng, check_same_shape
from .layers import Layer


def sigmoid(z):
    """1 / (1 + exp(-z)) without overflow (given: the activations chapter derived it)."""
    return np.exp(np.minimum(z, 0)) / (1.0 + np.exp(-np.abs(z)))


def _uniform(shape, limit, rng, dtype):
    """U(-limit, limit) entries of ``shape``, drawn from ``rng``."""
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


class Embedding(Layer):
    """out[n, t] = W[x[n, t]]: row x[n, t] of params["W"] (V, D), drawn from N(0, 1) as PyTorch."""

    def __init__(self, num_embeddings, embedding_dim, rng, dtype=np.float64):
        super().__init__()
        check_rng(rng, "Embedding")
        self.params["W"] = rng.standard_normal((int(num_embeddings), int(embedding_dim))).astype(dtype)

    def forward(self, x):
        """Inputs: x: (N, T) int in [0, V).  Returns: out: (N, T, D)."""
        x = np.asarray(x)
        V = len(self.params["W"])
        if x.dtype.kind not in "iu" or x.ndim != 2:
            raise ValueError(f"Embedding.forward: x must be an int array (N, T), got dtype {x.dtype}, "
                             f"shape {x.shape}")
        if x.size and (x.min() < 0 or x.max() >= V):
            raise ValueError(f"Embedding.forward: indices must lie in [0, {V}), got values from "
                             f"{x.min()} to {x.max()}")
        self.input_shape = x.shape
        # TODO: implement Embedding.forward (see the docstring)
        raise NotImplementedError("Embedding.forward")

    def backward(self, dout):
        """grads["W"] = dL/dW, given dout = dL/dout; an index used several times collects every
        one of its gradients. Returns None: the indices have no gradient.

        Inputs: dout: (N, T, D).
        """
        shape = self.input_shape and (*self.input_shape, self.params["W"].shape[1])
        dout = check_same_shape(dout, shape, "Embedding.backward")
        # TODO: implement Embedding.backward (see the docstring)
        raise NotImplementedError("Embedding.backward")


class RNN(Layer):
    """h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b), for t = 1..T, from h_0 (zeros unless given).

    params: Wx (D, H), Wh (H, H), b (H,), uniform in (-1/sqrt(H), 1/sqrt(H)) as PyTorch.
    """

    gates = 1              # blocks of H columns in Wx, Wh and b: the LSTM has four

    def __init__(self, input_size, hidden_size, rng, dtype=np.float64):
        super().__init__()
        check_rng(rng, type(self).__name__)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        width, limit = self.gates * self.hidden_size, 1.0 / np.sqrt(self.hidden_size)
        self.params["Wx"] = _uniform((self.input_size, width), limit, rng, dtype)
        self.params["Wh"] = _uniform((self.hidden_size, width), limit, rng, dtype)
        self.params["b"] = _uniform((width,), limit, rng, dtype)
        self.dh0 = None

    def _check(self, x, h0):
        where = f"{type(self).__name__}.forward"
        x = check_features(x, where, ndim=3, features=self.input_size)
        n = len(x)
        h0 = np.zeros((n, self.hidden_size), dtype=x.dtype) if h0 is None else \
            check_same_shape(h0, (n, self.hidden_size), where, name="h0")
        self.input_shape = x.shape
        return x, h0

    def step(self, x_t, h_prev):
        """One step: h = tanh(x_t @ Wx + h_prev @ Wh + b).

        Inputs: x_t: (N, D); h_prev: (N, H).  Returns: h: (N, H), and what step_backward needs.
        """
        # TODO: implement RNN.step (see the docstring)
        raise NotImplementedError("RNN.step")

    def step_backward(self, dh, cache):
        """The gradients of one step, given dh = dL/dh for its output h.

        Returns: dx_t (N, D), dh_prev (N, H), and dWx, dWh, db: this step's share of the
        gradients of the parameters.
        """
        # TODO: implement RNN.step_backward (see the docstring)
        raise NotImplementedError("RNN.step_backward")

    def forward(self, x, h0=None):
        """Inputs: x: (N, T, D); h0: (N, H) or None (zeros).  Returns: hs: (N, T, H), every h_t."""
        x, h = self._check(x, h0)
        # TODO: implement RNN.forward (see the docstring)
        raise NotImplementedError("RNN.forward")

    def backward(self, dhs):
        """dx = dL/dx, given dhs = dL/dhs for every h_t; grads for Wx, Wh, b; self.dh0 = dL/dh0.

        Inputs: dhs: (N, T, H).  Returns: dx: (N, T, D).
        """
        shape = self.input_shape and (*self.input_shape[:2], self.hidden_size)
        dhs = check_same_shape(dhs, shape, f"{type(self).__name__}.backward", name="dhs")
        # TODO: implement RNN.backward (see the docstring)
        raise NotImplementedError("RNN.backward")


class LSTM(RNN):
    """With z = x_t @ Wx + h_{t-1} @ Wh + b split into four (N, H) blocks in the order i, f, g, o:
        i = sigmoid(z_i), f = sigmoid(z_f), g = tanh(z_g), o = sigmoid(z_o)
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
    from h_0 and c_0 (zeros unless given). params: Wx (D, 4H), Wh (H, 4H), b (4H,).
    """

    gates = 4

    def __init__(self, input_size, hidden_size, rng, dtype=np.float64):
        super().__init__(input_size, hidden_size, rng, dtype)
        self.dc0 = None

    def forward(self, x, h0=None, c0=None):
        """Inputs: x: (N, T, D); h0, c0: (N, H) or None.  Returns: hs: (N, T, H)."""
        x, h = self._check(x, h0)
        c = np.zeros_like(h) if c0 is None else \
            check_same_shape(c0, h.shape, "LSTM.forward", name="c0")
        # TODO: implement LSTM.forward (see the docstring)
        raise NotImplementedError("LSTM.forward")

    def step(self, x_t, h_prev, c_prev):
        """One step of the gates and the cell.

        Inputs: x_t: (N, D); h_prev, c_prev: (N, H).
        Returns: h, c: (N, H), and what step_backward needs.
        """
        # TODO: implement LSTM.step (see the docstring)
        raise NotImplementedError("LSTM.step")

    def step_backward(self, dh, dc, cache):
        """The gradients of one step, given dh = dL/dh and dc = dL/dc for its outputs.

        Returns: dx_t (N, D), dh_prev (N, H), dc_prev (N, H), and dWx, dWh, db: this step's share.
        """
        # TODO: implement LSTM.step_backward (see the docstring)
        raise NotImplementedError("LSTM.step_backward")

    def backward(self, dhs):
        """dx = dL/dx, given dhs = dL/dhs; grads for Wx, Wh, b; self.dh0, self.dc0 = dL/dh0, dL/dc0.

        Inputs: dhs: (N, T, H).  Returns: dx: (N, T, D).
        """
        shape = self.input_shape and (*self.input_shape[:2], self.hidden_size)
        dhs = check_same_shape(dhs, shape, "LSTM.backward", name="dhs")
        # TODO: implement LSTM.backward (see the docstring)
        raise NotImplementedError("LSTM.backward")


def temporal_softmax_cross_entropy(scores, y, mask=None):
    """L = sum over (n, t) with mask[n, t] of -log softmax(scores[n, t])[y[n, t]], divided by the
    number of unmasked positions (the mean over them); masked positions count for nothing.

    Inputs:  scores: (N, T, V) float; y: (N, T) int in [0, V); mask: (N, T) bool or None (all)
    Returns: loss: float; dscores: (N, T, V), dtype of scores: dL/dscores
    """
    scores = as_float_array(scores, "scores", "temporal_softmax_cross_entropy")
    if scores.ndim != 3:
        raise ValueError(f"temporal_softmax_cross_entropy: scores must have shape (N, T, V), "
                         f"got shape {scores.shape}")
    y = np.asarray(y)
    mask = np.ones(y.shape, dtype=bool) if mask is None else np.asarray(mask)
    if y.shape != scores.shape[:2] or mask.shape != y.shape or y.dtype.kind not in "iu" \
            or mask.dtype != bool:
        raise ValueError(f"temporal_softmax_cross_entropy: y (int) and mask (bool) must have shape "
                         f"{scores.shape[:2]}, got y {y.dtype} {y.shape}, mask {mask.dtype} {mask.shape}")
    if not mask.any():
        raise ValueError("temporal_softmax_cross_entropy: the mask leaves no position to average over")
    if y.min() < 0 or y.max() >= scores.shape[2]:
        raise ValueError(f"temporal_softmax_cross_entropy: labels must lie in [0, {scores.shape[2]}), "
                         f"got values from {y.min()} to {y.max()}")
    # TODO: implement temporal_softmax_cross_entropy (see the docstring)
    raise NotImplementedError("temporal_softmax_cross_entropy")
