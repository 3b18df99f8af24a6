"""Kit self-tests: each realistic bug planted in a copy of the solutions fails a check.

For every row, the grader runs that exercise's checks on the planted copy; at least
one must fail, and some failing check's message must name the problem.
"""
import pytest

from tests.meta.planting import assert_caught

SIGMOID_FORWARD = "out = np.exp(np.minimum(x, 0)) / (1.0 + np.exp(-np.abs(x)))"
SWISH_S = "s = np.exp(np.minimum(bx, 0)) / (1.0 + np.exp(-np.abs(bx)))"
SOFTMAX_E = "e = np.exp(x - x.max(axis=1, keepdims=True))"
SOFTMAX_DX = "return out * (dout - (dout * out).sum(axis=1, keepdims=True))"

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    ("linear-dW_transposed", "linear", "layers",
     'self.grads["W"] = x.T @ dout', 'self.grads["W"] = dout.T @ x', "transpose"),
    ("linear-db_not_summed", "linear", "layers",
     'self.grads["b"] = dout.sum(axis=0)', 'self.grads["b"] = dout', "expected shape"),
    ("linear-db_mean_not_sum", "linear", "layers",
     'self.grads["b"] = dout.sum(axis=0)', 'self.grads["b"] = dout.mean(axis=0)',
     "of the expected value (N = "),
    ("linear-grads_accumulated", "linear", "layers",
     'self.grads["W"] = x.T @ dout',
     'self.grads["W"] = self.grads.get("W", 0) + x.T @ dout', "twice the expected value"),
    ("linear-bias_forgotten", "linear", "layers",
     'return x @ self.params["W"] + self.params["b"]', 'return x @ self.params["W"]',
     "Linear.forward(x)"),
    ("sigmoid-derivative_sign_flip", "sigmoid", "activations",
     "return dout * out * (1.0 - out)", "return dout * out * (out - 1.0)", "opposite sign"),
    ("sigmoid-overflows", "sigmoid", "activations",
     SIGMOID_FORWARD, "out = 1.0 / (1.0 + np.exp(-x))", "overflow"),
    ("sigmoid-both_branches_overflow", "sigmoid", "activations",
     SIGMOID_FORWARD, "out = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))",
     "overflow"),
    ("sigmoid-backward_mutates_cache", "sigmoid", "activations",
     "return dout * out * (1.0 - out)", "out *= 1.0 - out\n        return dout * out",
     "called twice"),
    ("sigmoid-float64_buffer", "sigmoid", "activations",
     SIGMOID_FORWARD, "out = np.empty(x.shape)\n        out[...] = " + SIGMOID_FORWARD[6:],
     "expected dtype float32"),
    ("tanh-derivative_missing_square", "tanh", "activations",
     "return dout * (1.0 - out * out)", "return dout * (1.0 - out)", "max rel error"),
    ("tanh-wrong_formula", "tanh", "activations",
     "out = np.tanh(x)", "out = 2.0 / (1.0 + np.exp(-x)) - 1.0", "Tanh.forward(x)"),
    ("relu-mask_forgotten", "relu", "activations",
     "return dout * self.cache", "return dout",
     "max rel error"),
    ("relu-in_place", "relu", "activations",
     "return np.maximum(x, 0)          # branch-free: np.where on a random mask is 7x slower",
     "x[x < 0] = 0\n        return x", "modified in place"),
    ("relu-upcasts_float32", "relu", "activations",
     "return np.maximum(x, 0)          # branch-free: np.where on a random mask is 7x slower",
     "return np.maximum(x, np.zeros(x.shape))", "expected dtype float32"),
    ("relu-leaky", "relu", "activations",
     "return np.maximum(x, 0)          # branch-free: np.where on a random mask is 7x slower",
     "return np.where(self.cache, x, 0.01 * x)", "ReLU.forward(x)"),
    ("swish-product_rule_term_missing", "swish", "activations",
     "return dout * (s + self.beta * x * s * (1.0 - s))", "return dout * s", "max rel error"),
    ("swish-beta_missing_in_derivative", "swish", "activations",
     "return dout * (s + self.beta * x * s * (1.0 - s))",
     "return dout * (s + x * s * (1.0 - s))", "max rel error"),
    ("swish-beta_ignored", "swish", "activations",
     "bx = self.beta * x", "bx = x", "Swish(beta=2).forward(x)"),
    ("swish-overflows", "swish", "activations",
     SWISH_S, "s = 1.0 / (1.0 + np.exp(-self.beta * x))", "overflow"),
    ("softmax-no_max_shift", "softmax", "activations",
     SOFTMAX_E, "e = np.exp(x)", "NaN"),
    ("softmax-shift_in_place", "softmax", "activations",
     SOFTMAX_E, "x -= x.max(axis=1, keepdims=True)\n        e = np.exp(x)", "modified in place"),
    ("softmax-normalized_over_columns", "softmax", "activations",
     "out = e / e.sum(axis=1, keepdims=True)", "out = e / e.sum(axis=0, keepdims=True)",
     "must sum to 1"),
    ("softmax-backward_sum_term_missing", "softmax", "activations",
     SOFTMAX_DX, "return out * dout", "Jacobian"),
    ("softmax-backward_diagonal_only", "softmax", "activations",
     SOFTMAX_DX, "return dout * out * (1.0 - out)", "max rel error"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
