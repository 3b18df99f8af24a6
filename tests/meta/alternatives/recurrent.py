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
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


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
        # BEGIN SOLUTION
        self.cache = np.array(x, copy=True)           # the token ids, for backward
        return np.take(self.params["W"], x, axis=0)
        # END SOLUTION

    def backward(self, dout):
        """grads["W"] = dL/dW, given dout = dL/dout; an index used several times collects every
        one of its gradients. Returns None: the indices have no gradient.

        Inputs: dout: (N, T, D).
        """
        shape = self.input_shape and (*self.input_shape, self.params["W"].shape[1])
        dout = check_same_shape(dout, shape, "Embedding.backward")
        # BEGIN SOLUTION
        x, W = self.cache, self.params["W"]
        dW = np.zeros(W.shape, dtype=W.dtype)
        for n in range(x.shape[0]):                   # one sequence at a time, token by token:
            for t in range(x.shape[1]):               # a repeated token adds every gradient
                dW[x[n, t]] += dout[n, t]
        self.grads["W"] = dW
        # END SOLUTION


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
        # BEGIN SOLUTION
        inputs = np.concatenate([x_t, h_prev], axis=1)                       # (N, D + H)
        weights = np.concatenate([self.params["Wx"], self.params["Wh"]], axis=0)  # (D + H, H)
        h = np.tanh(inputs @ weights + self.params["b"])
        return h, {"inputs": inputs, "h": h}
        # END SOLUTION

    def step_backward(self, dh, cache):
        """The gradients of one step, given dh = dL/dh for its output h.

        Returns: dx_t (N, D), dh_prev (N, H), and dWx, dWh, db: this step's share of the
        gradients of the parameters.
        """
        # BEGIN SOLUTION
        dz = dh - dh * cache["h"] ** 2
        weights = np.concatenate([self.params["Wx"], self.params["Wh"]], axis=0)
        d_inputs, d_weights = dz @ weights.T, cache["inputs"].T @ dz
        D = self.input_size
        return d_inputs[:, :D], d_inputs[:, D:], d_weights[:D], d_weights[D:], np.sum(dz, axis=0)
        # END SOLUTION

    def forward(self, x, h0=None):
        """Inputs: x: (N, T, D); h0: (N, H) or None (zeros).  Returns: hs: (N, T, H), every h_t."""
        x, h = self._check(x, h0)
        # BEGIN SOLUTION
        n, steps = x.shape[:2]
        hs, self.cache = None, [None] * steps
        for t in range(steps):
            h, self.cache[t] = self.step(x[:, t], h)
            if hs is None:
                hs = np.empty((n, steps, h.shape[1]), dtype=h.dtype)
            hs[:, t] = h
        return hs
        # END SOLUTION

    def backward(self, dhs):
        """dx = dL/dx, given dhs = dL/dhs for every h_t; grads for Wx, Wh, b; self.dh0 = dL/dh0.

        Inputs: dhs: (N, T, H).  Returns: dx: (N, T, D).
        """
        shape = self.input_shape and (*self.input_shape[:2], self.hidden_size)
        dhs = check_same_shape(dhs, shape, f"{type(self).__name__}.backward", name="dhs")
        # BEGIN SOLUTION
        steps = dhs.shape[1]
        dx, shares = [None] * steps, []
        carried = np.zeros((dhs.shape[0], self.hidden_size), dtype=dhs.dtype)
        for t in range(steps - 1, -1, -1):
            dx[t], carried, *share = self.step_backward(carried + dhs[:, t], self.cache[t])
            shares.append(share)
        self.grads = {name: sum(parts) for name, parts in zip(("Wx", "Wh", "b"), zip(*shares))}
        self.dh0 = carried
        return np.stack(dx, axis=1)
        # END SOLUTION


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
        # BEGIN SOLUTION
        n, steps = x.shape[:2]
        hs, self.cache = None, [None] * steps
        for t in range(steps):
            h, c, self.cache[t] = self.step(x[:, t], h, c)
            if hs is None:
                hs = np.empty((n, steps, h.shape[1]), dtype=h.dtype)
            hs[:, t] = h
        return hs
        # END SOLUTION

    def step(self, x_t, h_prev, c_prev):
        """One step of the gates and the cell.

        Inputs: x_t: (N, D); h_prev, c_prev: (N, H).
        Returns: h, c: (N, H), and what step_backward needs.
        """
        # BEGIN SOLUTION
        H, Wx, Wh, b = self.hidden_size, self.params["Wx"], self.params["Wh"], self.params["b"]

        def pre_activation(k):          # gate k's own H columns of each weight
            cols = slice(k * H, (k + 1) * H)
            return x_t @ Wx[:, cols] + h_prev @ Wh[:, cols] + b[cols]

        i, f = sigmoid(pre_activation(0)), sigmoid(pre_activation(1))
        g, o = np.tanh(pre_activation(2)), sigmoid(pre_activation(3))
        c = c_prev * f + g * i
        h = np.tanh(c) * o
        return h, c, {"x": x_t, "h_prev": h_prev, "c_prev": c_prev, "gates": (i, f, g, o), "c": c}
        # END SOLUTION

    def step_backward(self, dh, dc, cache):
        """The gradients of one step, given dh = dL/dh and dc = dL/dc for its outputs.

        Returns: dx_t (N, D), dh_prev (N, H), dc_prev (N, H), and dWx, dWh, db: this step's share.
        """
        # BEGIN SOLUTION
        H, Wx, Wh = self.hidden_size, self.params["Wx"], self.params["Wh"]
        i, f, g, o = cache["gates"]
        tanh_c = np.tanh(cache["c"])
        dc_total = dc + dh * o * (1 - tanh_c ** 2)
        d_pre = [dc_total * g * i * (1 - i), dc_total * cache["c_prev"] * f * (1 - f),
                 dc_total * i * (1 - g ** 2), dh * tanh_c * o * (1 - o)]
        cols = [slice(k * H, (k + 1) * H) for k in range(4)]
        dx_t = sum(d @ Wx[:, s].T for d, s in zip(d_pre, cols))
        dh_prev = sum(d @ Wh[:, s].T for d, s in zip(d_pre, cols))
        dWx = np.concatenate([cache["x"].T @ d for d in d_pre], axis=1)
        dWh = np.concatenate([cache["h_prev"].T @ d for d in d_pre], axis=1)
        db = np.concatenate([d.sum(axis=0) for d in d_pre])
        return dx_t, dh_prev, dc_total * f, dWx, dWh, db
        # END SOLUTION

    def backward(self, dhs):
        """dx = dL/dx, given dhs = dL/dhs; grads for Wx, Wh, b; self.dh0, self.dc0 = dL/dh0, dL/dc0.

        Inputs: dhs: (N, T, H).  Returns: dx: (N, T, D).
        """
        shape = self.input_shape and (*self.input_shape[:2], self.hidden_size)
        dhs = check_same_shape(dhs, shape, "LSTM.backward", name="dhs")
        # BEGIN SOLUTION
        steps = dhs.shape[1]
        grads, dx = {}, [None] * steps
        dh = dc = np.zeros((dhs.shape[0], self.hidden_size), dtype=dhs.dtype)
        t = steps
        while t > 0:
            t -= 1
            dx[t], dh, dc, *shares = self.step_backward(dhs[:, t] + dh, dc, self.cache[t])
            for name, share in zip(("Wx", "Wh", "b"), shares):
                grads[name] = grads[name] + share if name in grads else share
        self.grads, self.dh0, self.dc0 = grads, dh, dc
        return np.stack(dx, axis=1)
        # END SOLUTION


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
    # BEGIN SOLUTION
    n, steps, v = scores.shape
    flat, labels = scores.reshape(n * steps, v), y.reshape(-1)
    rows = np.arange(n * steps)
    top = flat.max(axis=1)
    lse = top + np.log(np.exp(flat - top[:, None]).sum(axis=1))       # log-sum-exp per position
    weights = mask.reshape(-1) / np.count_nonzero(mask)                # 1/count, or 0 if masked
    loss = float(weights @ (lse - flat[rows, labels]))
    probs = np.exp(flat - lse[:, None])
    probs[rows, labels] -= 1.0
    return loss, (probs * weights[:, None]).reshape(scores.shape).astype(scores.dtype)
    # END SOLUTION
