"""Kit self-tests: each realistic bug planted in the optimizers, clipping or schedules
(solutions/optim.py) fails a check of its exercise, and some failing check's message names it."""
import pytest

from tests.meta.planting import assert_caught

SGD_DECAY = "d = g + self.weight_decay * p if self.weight_decay else g"
SGD_VELOCITY = '''            if "v" in state:
                state["v"] = self.momentum * state["v"] + d
            else:
                state["v"] = d.copy()
            d = d + self.momentum * state["v"] if self.nesterov else state["v"]
        p -= lr * d'''
VELOCITY_WITH_LR = '''            if "v" in state:
                state["v"] = self.momentum * state["v"] + lr * d
            else:
                state["v"] = lr * d
            p -= lr * d + self.momentum * state["v"] if self.nesterov else state["v"]
            return
        p -= lr * d'''
RMS_STEP = 'p -= lr * g / (np.sqrt(state["s"]) + self.eps)'
ADAM_COUNT = 't = state["t"] = state.get("t", 0) + 1'
ADAM_HATS = '''m_hat = state["m"] / (1.0 - self.beta1 ** t)
        v_hat = state["v"] / (1.0 - self.beta2 ** t)'''
ADAM_STEP = "p -= lr * m_hat / (np.sqrt(v_hat) + self.eps)"
ADAMW = '''p *= 1.0 - lr * self.weight_decay
        super().update(p, g, state, lr)'''
CLIP = '''    if norm > max_norm:
        for layer, name in parameters:
            layer.grads[name] *= max_norm / norm'''

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    ("sgd-not_in_place", "sgd", "optim", "        p -= lr * d\n", "        p = p - lr * d\n",
     "update p in place (p -= ..."),
    ("sgd-weight_decay_written_into_g", "sgd", "optim", SGD_DECAY,
     "if self.weight_decay:\n            g += self.weight_decay * p\n        d = g",
     "g += wd * p"),
    ("sgd-velocity_holds_lr", "sgd", "optim", SGD_VELOCITY, VELOCITY_WITH_LR, "lr inside the velocity"),
    ("sgd-nesterov_as_momentum", "sgd", "optim",
     'd = d + self.momentum * state["v"] if self.nesterov else state["v"]', 'd = state["v"]',
     "Nesterov ignored"),
    ("sgd-velocity_is_the_gradient", "sgd", "optim", 'state["v"] = d.copy()', 'state["v"] = d',
     "store a copy"),
    ("sgd-state_shared", "sgd", "optim", SGD_DECAY,
     'state = self.__dict__.setdefault("shared", {})\n        ' + SGD_DECAY,
     "shared between parameters"),
    ("sgd-self_lr", "sgd", "optim", "        p -= lr * d\n", "        p -= self.lr * d\n",
     "use the lr argument"),
    ("rmsprop-no_one_minus_alpha", "rmsprop", "optim", "(1.0 - self.alpha) * g * g", "g * g",
     "without the factor (1 - alpha)"),
    ("adam-eps_inside_sqrt", "adam", "optim", ADAM_STEP,
     "p -= lr * m_hat / np.sqrt(v_hat + self.eps)", "eps inside the square root"),
    ("adam-no_bias_correction", "adam", "optim", ADAM_HATS, 'm_hat, v_hat = state["m"], state["v"]',
     "no bias correction"),
    ("adam-t_counted_after_correction", "adam", "optim", ADAM_COUNT,
     't = state.get("t", 0)\n        state["t"] = t + 1', "first step has t = 1"),
    ("adam-v_corrected_with_beta1", "adam", "optim", "(1.0 - self.beta2 ** t)",
     "(1.0 - self.beta1 ** t)", "v corrected with beta1"),
    ("adamw-decay_coupled", "adam", "optim", ADAMW,
     "super().update(p, g + self.weight_decay * p, state, lr)", "coupled into the gradient"),
    ("adamw-not_in_place", "adam", "optim", ADAMW,
     "p = p * (1.0 - lr * self.weight_decay)\n        super().update(p, g, state, lr)",
     "update p in place"),
    ("clipping-per_parameter", "clipping", "optim", CLIP,
     "    for layer, name in parameters:\n        own = np.sqrt(np.sum(layer.grads[name] ** 2))\n"
     "        if own > max_norm:\n            layer.grads[name] *= max_norm / own",
     "clipped to its own norm"),
    ("clipping-returns_clipped_norm", "clipping", "optim", "    return norm\n",
     "    return min(norm, max_norm)\n", "norm before clipping"),
    ("schedules-cosine_full_period", "schedules", "optim", "math.cos(math.pi * t / total_steps)",
     "math.cos(2 * math.pi * t / total_steps)", "Half a cosine period"),
    ("schedules-cosine_not_clamped", "schedules", "optim", "    t = min(t, total_steps)\n", "",
     "stays at min_lr"),
    ("schedules-step_lr_fractional_power", "schedules", "optim", "gamma ** (t // step_size)",
     "gamma ** (t / step_size)", "integer division"),
    ("schedules-warmup_off_by_one", "schedules", "optim", "(1.0 - start_factor) * min(t, warmup_steps)",
     "(1.0 - start_factor) * min(t + 1, warmup_steps)", "t = 0 (the first step) runs at lr * start_factor"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
