"""Kit self-tests: each realistic bug planted in the LSTM's solution fails a check of the
``lstm`` exercise, and some failing check's message names the problem."""
import pytest

from tests.meta.planting import assert_caught

SIGMOIDS = "i, f, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 3 * H:])"
DC_TOTAL = "dc = dc + dh * o * (1.0 - tanh_c * tanh_c)"
STEP_BACK = "self.step_backward(dh + dhs[:, t], dc, self.cache[t])"
SUMS = ('dc, self.cache[t])\n            grads["Wx"] += dWx\n            grads["Wh"] += dWh\n'
        '            grads["b"] += db')

# (id, old, new, a phrase some failing check's name or message must contain); module recurrent
BUGS = [
    ("gates_i_and_f_swapped", SIGMOIDS, SIGMOIDS.replace("i, f, o", "f, i, o"), "gates i and f swapped"),
    ("cs231n_order_ifog", "sigmoid(z[:, 3 * H:])\n        g = np.tanh(z[:, 2 * H:3 * H])",
     "sigmoid(z[:, 2 * H:3 * H])\n        g = np.tanh(z[:, 3 * H:])", "CS231n's order"),
    ("g_with_sigmoid", "g = np.tanh(z[:, 2 * H:3 * H])", "g = sigmoid(z[:, 2 * H:3 * H])",
     "g computed with sigmoid"),
    ("forget_gate_missing", "c = f * c_prev + i * g", "c = c_prev + i * g",
     "the forget gate scales the old cell"),
    ("h_without_tanh", "h = o * tanh_c", "h = o * c", "h = o * c"),
    ("c_not_carried_forward", "h, c, cache = self.step(x[:, t], h, c)",
     "h, _, cache = self.step(x[:, t], h, c)", "the cell state is not carried"),
    ("dc_prev_without_f", 'dz @ self.params["Wh"].T, dc * f,', 'dz @ self.params["Wh"].T, dc,',
     "dc_prev lacks the factor f"),
    ("do_with_c", "dh * tanh_c * o * (1.0 - o)", "dh * np.arctanh(tanh_c) * o * (1.0 - o)",
     "the output gate's gradient uses c"),
    ("tanh_derivative_missing", DC_TOTAL, "dc = dc + dh * o", "tanh's derivative is missing"),
    ("g_slope_of_a_sigmoid", "dc * i * (1.0 - g * g)", "dc * i * g * (1.0 - g)", "g's slope"),
    ("dc_modified_in_place", DC_TOTAL, DC_TOTAL.replace("dc = dc +", "dc +="), "dc was modified in place"),
    ("dc_not_carried_back", STEP_BACK, STEP_BACK.replace(", dc,", ", np.zeros_like(dc),"),
     "dc not carried"),
    ("grads_not_summed_over_time", SUMS, SUMS.replace("+=", "="),
     "parameter gradients not summed over time"),
    ("dh0_not_set", "self.grads, self.dh0, self.dc0 = grads, dh, dc", "self.grads, self.dc0 = grads, dc",
     "self.dh0 is None"),
]


@pytest.mark.parametrize("old, new, phrase", [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, old, new, phrase):
    assert_caught(tmp_path, "lstm", "recurrent", old, new, phrase)
