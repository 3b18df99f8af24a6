"""Kit self-tests: each realistic bug planted in the Dropout solution fails a check of its
exercise, and some failing check's name or message names the problem."""
import pytest

from tests.meta.planting import assert_caught

DRAW = "keep = self.rng.random(x.shape) >= self.p"
SCALE = "scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)"
EVAL = "if not self.training:\n            self.cache = None\n            return x"
DRAW_LINE = " " * 8 + DRAW + " " * 20 + "# True with probability 1 - p"
BACKWARD = "return dout if self.cache is None else dout * self.cache"

# (id, old, new, a phrase some failing check's name or message must contain)
BUGS = [
    ("keep_probability_swapped", DRAW, "keep = self.rng.random(x.shape) < self.p",
     "p is the probability of dropping"),
    ("no_inverted_scaling", SCALE, "scale = 1.0", "not scaled by 1 / (1 - p)"),
    ("scaling_at_test_time", EVAL + "\n" + DRAW_LINE + "\n" + " " * 8 + SCALE,
     EVAL + " * (1 - self.p)\n" + DRAW_LINE + "\n        scale = 1.0", "non-inverted"),
    ("dropout_active_in_eval", "if not self.training:", "if self.training is None:",
     "dropped in evaluation mode"),
    ("mask_cached_across_calls", DRAW,
     "keep = getattr(self, '_keep', None)\n        if keep is None or keep.shape != x.shape:\n"
     "            keep = self._keep = self.rng.random(x.shape) >= self.p",
     "a mask reused across calls"),
    ("global_rng", DRAW, "keep = np.random.rand(*x.shape) >= self.p", "global RNG"),
    ("global_rng_seeded_each_call", DRAW,
     "np.random.seed(0)\n        keep = np.random.random(x.shape) >= self.p", "global RNG"),
    ("generator_reseeded_each_call", DRAW,
     "keep = np.random.default_rng(0).random(x.shape) >= self.p", "a mask reused across calls"),
    ("backward_ignores_the_mask", BACKWARD, "return dout", "backward ignores the mask"),
    ("backward_without_the_scale", BACKWARD,
     "return dout if self.cache is None else dout * (self.cache != 0)",
     "the gradient of a kept unit is not scaled"),
    ("mask_drawn_in_backward", BACKWARD,
     "return dout if self.cache is None else dout * (self.rng.random(dout.shape) >= self.p) "
     "/ (1 - self.p)", "mask drawn again in backward"),
    ("eval_backward_uses_the_training_mask", EVAL,
     "if not self.training:\n            return x", "dout passes through"),
    ("p_one_divides_by_zero", "self.cache = (keep * scale).astype(x.dtype)",
     "self.cache = (keep / (1.0 - self.p)).astype(x.dtype)", "division by 0"),
    ("x_modified_in_place", "return x * self.cache", "x *= self.cache\n        return x",
     "x was modified in place"),
]


@pytest.mark.parametrize("old, new, phrase", [bug[1:] for bug in BUGS], ids=[bug[0] for bug in BUGS])
def test_planted_bug_is_caught(tmp_path, old, new, phrase):
    assert_caught(tmp_path, "dropout", "dropout", old, new, phrase)
