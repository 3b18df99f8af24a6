"""Kit self-tests: realistic pooling and Flatten bugs, planted in a copy of the solutions, fail a
check whose name or message names them (see tests/meta/planting.py)."""
import pytest

from tests.meta.planting import assert_caught

MAX_RESTRICT = ("            np.logical_and(first, unclaimed, out=first)"
                "  # ties: only the first maximum, row-major\n")
MAX_WRITE = ("            if disjoint:\n"
             "                np.copyto(dx[where], dout, where=first)\n"
             "            else:\n"
             "                np.add(dx[where], dout, out=dx[where], where=first)\n")
MAX_ROUTE = ("        unclaimed = np.ones(out.shape, dtype=bool)"
             "       # windows whose maximum is not found yet\n"
             "        for _, _, where in self._slices():\n"
             "            first = x[where] == out\n"
             + MAX_RESTRICT +
             "            unclaimed ^= first"
             "                           # first implies unclaimed: this clears it\n"
             + MAX_WRITE)
MAX_ADD = "np.add(dx[where], dout, out=dx[where], where=first)"
# a student's argmax over each window, mapped back without the stride: (i + u, j + v)
ARGMAX_WITHOUT_STRIDE = (
    "        (kh, kw), (sh, sw), (oh, ow) = self.kernel_size, self.stride, self.output_hw\n"
    "        win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]\n"
    "        u, v = np.unravel_index(win[:, :, :oh, :ow].reshape(*out.shape, -1).argmax(axis=-1), (kh, kw))\n"
    "        n, c, i, j = np.indices(out.shape)\n"
    "        np.add.at(dx, (n, c, i + u, j + v), dout)\n")
SPLIT_ON_TIES = ("        count = sum(x[where] == out for _, _, where in self._slices())\n"
                 "        for _, _, where in self._slices():\n"
                 "            dx[where] += np.where(x[where] == out, dout / count, 0)\n")
AVG_SHARE = "share = dout / (self.kernel_size[0] * self.kernel_size[1])"

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    ("maxpool-tie_to_every_maximum", "pooling", "conv",
     MAX_RESTRICT, "", "got it at every tied maximum"),
    ("maxpool-tie_split", "pooling", "conv", MAX_ROUTE, SPLIT_ON_TIES,
     "split equally between the tied maxima"),
    ("maxpool-tie_to_last_maximum", "pooling", "conv",
     "for _, _, where in self._slices():\n            first",
     "for _, _, where in self._slices()[::-1]:\n            first", "got it at the last maximum"),
    ("maxpool-gradient_to_every_position", "pooling", "conv", MAX_WRITE, "            dx[where] += dout\n",
     "dout went to every position of the window"),
    ("maxpool-overlapping_windows_assigned", "pooling", "conv", MAX_ADD,
     "np.copyto(dx[where], dout, where=first)", "add into dx (+=), do not assign"),
    ("maxpool-argmax_mapped_back_without_stride", "pooling", "conv", MAX_ROUTE, ARGMAX_WITHOUT_STRIDE,
     "the maximum of no window"),
    ("pool-stride_ignored", "pooling", "conv",
     "slice(u, u + sh * oh, sh), slice(v, v + sw * ow, sw)", "slice(u, u + oh), slice(v, v + ow)",
     "the windows move by 1, not by the stride"),
    ("pool-output_size_ceil", "pooling", "conv",
     "self.output_hw = ((x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1)",
     "self.output_hw = (-(-(x.shape[2] - kh) // sh) + 1, -(-(x.shape[3] - kw) // sw) + 1)", "floor"),
    ("avgpool-divided_by_nonzero_count", "pooling", "conv",
     "out /= len(slices)", "out /= np.maximum(sum(x[w] != 0 for _, _, w in slices), 1)",
     "divided by the count of nonzero entries"),
    ("avgpool-backward_not_divided", "pooling", "conv", AVG_SHARE, "share = dout",
     "dout was not divided by the window size"),
    ("flatten-fortran_order", "flatten", "conv",
     "return x.reshape(len(x), -1)", 'return x.reshape(len(x), -1, order="F")', "Fortran order"),
    ("flatten-backward_keeps_the_flat_shape", "flatten", "conv",
     "return dout.reshape(self.input_shape)", "return dout", "back in the shape of x"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
