"""Kit self-tests: each realistic bug planted in the Embedding, the temporal loss or the RNN of
solutions/recurrent.py fails a check of its exercise, and some failing check names the problem."""
import pytest

from tests.meta.planting import assert_caught

ZEROS = 'dW = np.zeros_like(self.params["W"])'
STEP = ('        h = np.tanh(x_t @ self.params["Wx"] + h_prev @ self.params["Wh"] + self.params["b"])\n'
        '        return h, (x_t, h_prev, h)')
# step caches the pre-activation z where step_backward reads h: dz = dh * (1 - z * z)
STEP_CACHES_Z = ('        z = x_t @ self.params["Wx"] + h_prev @ self.params["Wh"] + self.params["b"]\n'
                 '        h = np.tanh(z)\n'
                 '        return h, (x_t, h_prev, z)')
ADD_UP = ('            grads["Wx"] += dWx\n            grads["Wh"] += dWh\n            grads["b"] += db\n'
          '            dx.append(dx_t)\n        self.grads, self.dh0 = grads, dh')
RNN_SHARES = ('x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0))\n        # END SOLUTION\n\n'
              '    def forward(self, x, h0=None):')

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    ("embedding-fancy_index_add", "embedding", "recurrent",
     "np.add.at(dW, self.cache, dout)", "dW[self.cache] += dout", "np.add.at"),
    ("embedding-grads_accumulate", "embedding", "recurrent",
     ZEROS, 'dW = self.grads.get("W", np.zeros_like(self.params["W"]))', "not accumulated"),
    ("embedding-returns_dout", "embedding", "recurrent",
     'self.grads["W"] = dW\n        return None', 'self.grads["W"] = dW\n        return dout',
     "it returns None"),
    ("embedding-float64_gradient", "embedding", "recurrent",
     ZEROS, 'dW = np.zeros(self.params["W"].shape)', "expected dtype float32"),
    ("temporal-divided_by_N", "temporal_loss", "recurrent",
     "loss = -float(picked[mask].sum()) / count", "loss = -float(picked[mask].sum()) / len(scores)",
     "divided by N (the batch size)"),
    ("temporal-divided_by_NT", "temporal_loss", "recurrent",
     "count = np.count_nonzero(mask)", "count = mask.size", "divided by N * T"),
    ("temporal-mask_ignored_in_loss", "temporal_loss", "recurrent",
     "picked[mask].sum()", "picked.sum()", "the masked positions are counted"),
    ("temporal-mask_ignored_in_dscores", "temporal_loss", "recurrent",
     "dscores *= mask[..., None] / count", "dscores /= count", "dscores is nonzero at masked positions"),
    ("temporal-no_max_shift", "temporal_loss", "recurrent",
     "shifted = scores - scores.max(axis=2, keepdims=True)", "shifted = scores",
     "shift each position's scores by their max"),
    ("rnn-truncated_bptt", "rnn", "recurrent",
     "self.step_backward(dh + dhs[:, t], self.cache[t])", "self.step_backward(dhs[:, t], self.cache[t])",
     "truncated backpropagation through time"),
    ("rnn-parameter_gradients_of_one_step", "rnn", "recurrent",
     ADD_UP, ADD_UP.replace("+=", "="), "their gradients add up over t"),
    ("rnn-tanh_derivative_at_input", "rnn", "recurrent",
     STEP, STEP_CACHES_Z, "derivative is taken at its input"),
    ("rnn-tanh_applied_again", "rnn", "recurrent",
     "dz = dh * (1.0 - h * h)", "dz = dh * (1.0 - np.tanh(h) ** 2)", "tanh applied to h again"),
    ("rnn-dh0_not_set", "rnn", "recurrent",
     "self.grads, self.dh0 = grads, dh", "self.grads = grads", "did not set self.dh0"),
    ("rnn-every_step_from_h0", "rnn", "recurrent",
     "h, cache = self.step(x[:, t], h)\n            hs.append(h)",
     "h_t, cache = self.step(x[:, t], h)\n            hs.append(h_t)", "every step starts from h0"),
    ("rnn-dWh_from_output", "rnn", "recurrent",
     RNN_SHARES, RNN_SHARES.replace("h_prev.T @ dz", "h.T @ dz"), "dWh uses the step's output"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
