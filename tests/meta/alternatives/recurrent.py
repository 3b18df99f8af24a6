"""Alternative solution blocks of solutions/recurrent.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/recurrent.py when the blocks are spliced into it."""
# ruff: noqa: F821


class Embedding(Layer):
    def forward(self, x):
        # BEGIN SOLUTION
        self.cache = np.array(x, copy=True)           # the token ids, for backward
        return np.take(self.params["W"], x, axis=0)
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        x, W = self.cache, self.params["W"]
        dW = np.zeros(W.shape, dtype=W.dtype)
        for n in range(x.shape[0]):                   # one sequence at a time, token by token:
            for t in range(x.shape[1]):               # a repeated token adds every gradient
                dW[x[n, t]] += dout[n, t]
        self.grads["W"] = dW
        # END SOLUTION


class RNN(Layer):
    def step(self, x_t, h_prev):
        # BEGIN SOLUTION
        inputs = np.concatenate([x_t, h_prev], axis=1)                       # (N, D + H)
        weights = np.concatenate([self.params["Wx"], self.params["Wh"]], axis=0)  # (D + H, H)
        h = np.tanh(inputs @ weights + self.params["b"])
        return h, {"inputs": inputs, "h": h}
        # END SOLUTION

    def step_backward(self, dh, cache):
        # BEGIN SOLUTION
        dz = dh - dh * cache["h"] ** 2
        weights = np.concatenate([self.params["Wx"], self.params["Wh"]], axis=0)
        d_inputs, d_weights = dz @ weights.T, cache["inputs"].T @ dz
        D = self.input_size
        return d_inputs[:, :D], d_inputs[:, D:], d_weights[:D], d_weights[D:], np.sum(dz, axis=0)
        # END SOLUTION

    def forward(self, x, h0=None):
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
    def forward(self, x, h0=None, c0=None):
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
