"""Kit self-tests: realistic convolution bugs, planted in a copy of the solutions, fail a check
whose message names them (see tests/meta/planting.py)."""
import pytest

from tests.meta.planting import assert_caught

NAIVE_FORWARD = "out[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b"
FAST_W = 'W2 = self.params["W"].reshape(self.out_channels, -1)'
FAST_OUT = "return out.reshape(n, self.out_channels, oh, ow)"
COL2IM = "dxp[:, :, u:u + sh * oh:sh, v:v + sw * ow:sw] +="

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    ("conv_naive-flipped_kernel", "conv_naive", "conv", NAIVE_FORWARD,
     NAIVE_FORWARD.replace("(window, W,", "(window, W[:, :, ::-1, ::-1],"), "which makes a convolution"),
    ("conv_naive-W_axes_F_and_C_swapped", "conv_naive", "conv", NAIVE_FORWARD,
     NAIVE_FORWARD.replace("[1, 2, 3]))", "[0, 2, 3]))"), "the axes F and C of W are swapped"),
    ("conv_naive-stride_ignored", "conv_naive", "conv",
     "window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]         # (N, C, KH, KW)",
     "window = xp[:, :, i:i + kh, j:j + kw]", "the stride is ignored"),
    ("conv_naive-padding_left_in_dx", "conv_naive", "conv",
     "return dxp[:, :, ph:ph + self.input_shape[2], pw:pw + self.input_shape[3]]", "return dxp",
     "dx has the padded shape"),
    ("conv_naive-bias_missing", "conv_naive", "conv", NAIVE_FORWARD, NAIVE_FORWARD[:-4],
     "the bias is missing"),
    ("conv_naive-output_size_off_by_one", "conv_naive", "conv",
     "n, f = len(x), self.out_channels\n        oh, ow = self.output_hw",
     "n, f = len(x), self.out_channels\n        oh, ow = (xp.shape[2] - kh) // sh, (xp.shape[3] - kw) // sw",
     "(H + 2P - KH) / S + 1"),
    ("conv_naive-db_summed_over_the_batch_only", "conv_naive", "conv",
     'self.grads["b"] = dout.sum(axis=(0, 2, 3))', 'self.grads["b"] = dout.sum(axis=0)',
     "sums dout over n, i and j"),
    ("conv_naive-dW_accumulated", "conv_naive", "conv", 'self.grads["W"] = dW',
     'self.grads["W"] = self.grads.get("W", 0) + dW', "not accumulated"),
    ("conv-flipped_kernel", "conv", "conv", FAST_W,
     'W2 = self.params["W"][:, :, ::-1, ::-1].reshape(self.out_channels, -1)', "which makes a convolution"),
    ("conv-W_axes_F_and_C_swapped", "conv", "conv", FAST_W,
     'W2 = self.params["W"].transpose(1, 0, 2, 3).reshape(self.out_channels, -1)',
     "the axes F and C of W are swapped"),
    ("conv-stride_ignored", "conv", "conv",
     "axis=(2, 3))[:, :, ::sh, ::sw]", "axis=(2, 3))", "the stride is ignored"),
    ("conv-col2im_stride_ignored", "conv", "conv", COL2IM, "dxp[:, :, u:u + oh, v:v + ow] +=",
     "the stride is ignored"),
    ("conv-col2im_assigns", "conv", "conv", COL2IM, COL2IM[:-2] + "=", "do not assign"),
    ("conv-dx_float64", "conv", "conv", "dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dout.dtype)",
     "dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))", "expected dtype float32, got dtype float64"),
    ("conv-padding_left_in_dx", "conv", "conv", "return dxp[:, :, ph:ph + h, pw:pw + w]",
     "return dxp", "dx has the padded shape"),
    ("conv-bias_added_twice", "conv", "conv", FAST_OUT,
     FAST_OUT + ' + self.params["b"][:, None, None]', "the bias is added 2 times"),
    ("conv-db_summed_to_a_scalar", "conv", "conv", 'self.grads["b"] = d2.sum(axis=(0, 2))',
     'self.grads["b"] = d2.sum()', "sums dout over n, i and j"),
    # Conv2dNaive's loops pasted into Conv2d: right values, about 100x slower at 128 x 128
    ("conv-loop_over_positions", "conv", "conv", "class Conv2d(Conv2dNaive):\n",
     "class Conv2d(Conv2dNaive):\n    pass\n\n\nclass _Unused(Conv2dNaive):\n",
     "slower than a vectorized one"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
