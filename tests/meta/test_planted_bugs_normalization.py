"""Kit self-tests: realistic normalization bugs, planted in a copy of the solutions, fail a check
whose message names them (see tests/meta/planting.py)."""
import pytest

from tests.meta.planting import assert_caught

BN_INV_STD = "self.running_var\n        inv_std = 1.0 / np.sqrt(var + self.eps)"
BN_EVAL_VAR = "        else:\n            var = self.running_var\n"
BN2D_FORWARD = ("out = super().forward(x.transpose(0, 2, 3, 1).reshape(-1, c))   # (N*H*W, C)\n"
                "        return out.reshape(n, h, w, c).transpose(0, 3, 1, 2)")
LN_STATS = ("x_hat = x - x.mean(axis=-1, keepdims=True)                          # (..., D)\n"
            "        var = np.einsum(\"...d,...d->...\", x_hat, x_hat)[..., None] / self.num_features")

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    # the seed notebook's var(x + eps): eps added to x, where it changes nothing
    ("batchnorm-eps_missing", "batchnorm", "normalization",
     BN_INV_STD, "self.running_var\n        inv_std = 1.0 / np.sqrt(var)",
     "eps belongs inside the square root: sqrt(var + eps), not var(x + eps)"),
    ("batchnorm-eps_outside_sqrt", "batchnorm", "normalization",
     BN_INV_STD, "self.running_var\n        inv_std = 1.0 / (np.sqrt(var) + self.eps)",
     "eps is added outside the square root"),
    ("batchnorm-unbiased_variance_normalizes", "batchnorm", "normalization",
     'x_hat, x_hat) / n ', 'x_hat, x_hat) / (n - 1) ', "the biased one, divided by N"),
    ("batchnorm-biased_running_var", "batchnorm", "normalization",
     "m * var * (n / (n - 1))", "m * var", "it takes the unbiased one, var * N / (N - 1)"),
    ("batchnorm-momentum_swapped", "batchnorm", "normalization",
     "n, m = len(x), self.momentum", "n, m = len(x), 1 - self.momentum",
     "momentum is weighted the wrong way round"),
    ("batchnorm-running_stats_updated_in_eval", "batchnorm", "normalization",
     BN_EVAL_VAR, BN_EVAL_VAR + "            self.running_mean = 0.9 * self.running_mean"
     " + 0.1 * x.mean(axis=0)\n", "after an evaluation forward (only training updates it)"),
    ("batchnorm-eval_uses_batch_stats", "batchnorm", "normalization",
     BN_EVAL_VAR,
     "        else:\n            x_hat = x - x.mean(axis=0)\n            var = x_hat.var(axis=0)\n",
     "not the batch's statistics"),
    ("batchnorm-backward_statistics_as_constants", "batchnorm", "normalization",
     "        if not self.training:\n            return dout * scale", "        return dout * scale",
     "the batch mean and variance depend on every x_n too"),
    ("batchnorm-eval_backward_uses_training_formula", "batchnorm", "normalization",
     "        if not self.training:\n            return dout * scale",
     "        if False:\n            return dout * scale",
     "backward in evaluation mode used the training formula"),
    ("batchnorm-dgamma_without_x_hat", "batchnorm", "normalization",
     'self.grads["gamma"] = np.einsum("nd,nd->d", dout, x_hat)',
     'self.grads["gamma"] = dout.sum(axis=0)', "without the factor x_hat"),
    ("batchnorm-grads_accumulated", "batchnorm", "normalization",
     'self.grads["beta"] = np.einsum("nd->d", dout)',
     'self.grads["beta"] = self.grads.get("beta", 0) + dout.sum(axis=0)', "not accumulated"),
    ("batchnorm-input_modified", "batchnorm", "normalization",
     "x_hat = x - mean ", "x -= mean\n        x_hat = x ", "modified in place"),
    ("batchnorm2d-reshape_without_transpose", "batchnorm2d", "normalization",
     BN2D_FORWARD, "out = super().forward(x.reshape(-1, c))\n        return out.reshape(n, c, h, w)",
     "without moving the channel axis last"),
    ("batchnorm2d-output_not_transposed_back", "batchnorm2d", "normalization",
     "return out.reshape(n, h, w, c).transpose(0, 3, 1, 2)", "return out.reshape(n, c, h, w)",
     "the output was reshaped straight to (N, C, H, W)"),
    ("batchnorm2d-dout_not_transposed", "batchnorm2d", "normalization",
     "super().backward(dout.transpose(0, 2, 3, 1).reshape(-1, c))",
     "super().backward(dout.reshape(-1, c))", "dout.reshape(-1, C) without moving the channel axis"),
    ("layernorm-over_the_batch_axis", "layernorm", "normalization",
     LN_STATS, "x_hat = x - x.mean(axis=0)\n        var = x.var(axis=0)",
     "normalized over the batch axis (axis 0) like BatchNorm"),
    ("layernorm-dgamma_summed_over_axis_0_only", "layernorm", "normalization",
     'self.grads["gamma"] = np.einsum("nd,nd->d", flat_dout, flat_x_hat)',
     'self.grads["gamma"] = (dout * x_hat).sum(axis=0)', "expected shape (4,), got shape (3, 4)"),
    ("layernorm-backward_variance_term_missing", "layernorm", "normalization",
     'dx = x_hat * (-np.einsum("...d,...d->...", g, x_hat)[..., None] / d)',
     "dx = np.zeros_like(g)", "the variance's term is missing from dx"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
