"""Checks for pooling and Flatten: exercises pooling (MaxPool2d, AvgPool2d) and flatten.

The trusted references loop over the whole windows one at a time, in float64: a window
starts every stride while it fits, so OH = (H - KH) // SH + 1 (floor, as PyTorch), and
what is left below the last window is unused. Max pooling's gradient goes to the first
maximum of its window in row-major order. The gradient checks draw inputs whose entries
are 0.05 apart, so that every window has one maximum (central differences split a tie
0.5 / 0.5); ties get their own checks, with known answers.
"""
import numpy as np
import pytest

from tests.checks import assert_array, assert_close, assert_no_slip, assert_unchanged, fmt_shape, snapshot
from tests.gradcheck import check_layer_gradients

POOLS = ("MaxPool2d", "AvgPool2d")

# (id, kernel_size, stride, input shape): the random cases both poolings are checked on
CASES = [
    ("2x2_stride_2", 2, None, (2, 3, 6, 8)),
    ("3x3_stride_2_overlapping", 3, 2, (2, 2, 7, 9)),
    ("2x3_stride_1", (2, 3), 1, (2, 2, 5, 6)),
    ("odd_sizes_floor", 2, None, (2, 2, 7, 5)),
    ("3x2_stride_2x1", (3, 2), (2, 1), (1, 3, 8, 5)),
]
CASE_PARAMS = pytest.mark.parametrize("kernel, stride, shape",
                                      [pytest.param(*case[1:], id=case[0]) for case in CASES])

OVERWRITTEN = ("a position inside several (overlapping) windows gets the sum of their gradients: "
               "add into dx (+=), do not assign")
STRIDE_IGNORED = "the windows move by 1, not by the stride"
TIE_RULE = ("on a tie the whole gradient goes to the first maximum of the window in row-major "
            "order (as PyTorch)")

# ---- trusted references -----------------------------------------------------------------------


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def starts(size, kernel, stride):
    """Where the whole windows start along one axis: 0, stride, 2 * stride, ... while one fits."""
    found, start = [], 0
    while start + kernel <= size:
        found.append(start)
        start += stride
    return found


def windows(shape, kernel, stride):
    """(n, c, i, j, the index of window (i, j) of image n, channel c) for every window."""
    (kh, kw), (sh, sw) = pair(kernel), pair(stride or kernel)
    rows, cols = starts(shape[2], kh, sh), starts(shape[3], kw, sw)
    for n, c in np.ndindex(*shape[:2]):
        for i, r in enumerate(rows):
            for j, q in enumerate(cols):
                yield n, c, i, j, (n, c, slice(r, r + kh), slice(q, q + kw))


def out_shape(shape, kernel, stride):
    (kh, kw), (sh, sw) = pair(kernel), pair(stride or kernel)
    return (*shape[:2], len(starts(shape[2], kh, sh)), len(starts(shape[3], kw, sw)))


def pool(x, kernel, stride, reduce):
    """out[n, c, i, j] = reduce(window), window by window."""
    out = np.empty(out_shape(x.shape, kernel, stride))
    for n, c, i, j, where in windows(x.shape, kernel, stride):
        out[n, c, i, j] = reduce(x[where])
    return out


def maximum(window):
    return window.max()


def mean(window):
    return window.sum() / window.size


def route(x, kernel, stride, dout, share):
    """dx: each window's dout spread over the window with the weights share(window) (KH, KW)."""
    dx = np.zeros(x.shape)
    for n, c, i, j, where in windows(x.shape, kernel, stride):
        dx[where] += dout[n, c, i, j] * share(x[where])
    return dx


def first_maximum(window):
    """1 at the first maximum in row-major order, scanned with a strict >; 0 elsewhere."""
    best = (0, 0)
    for index, value in np.ndenumerate(window):
        if value > window[best]:
            best = index
    weights = np.zeros(window.shape)
    weights[best] = 1.0
    return weights


def last_maximum(window):
    return first_maximum(window[::-1, ::-1])[::-1, ::-1]


def first_maximum_column_major(window):
    return first_maximum(window.T).T


def every_maximum(window):
    return (window == window.max()).astype(np.float64)


def split_maximum(window):
    return every_maximum(window) / every_maximum(window).sum()


def every_position(window):
    return np.ones(window.shape)


def equal_shares(window):
    return np.full(window.shape, 1.0 / window.size)


def nonzero_mean(window):
    return window.sum() / max(1, np.count_nonzero(window))


def stride_one(x, kernel, stride, reduce):
    """What a pooling that ignores the stride returns, cut to the right output size."""
    oh, ow = out_shape(x.shape, kernel, stride)[2:]
    return pool(x, kernel, 1, reduce)[:, :, :oh, :ow]


def max_forward_slips(x, kernel, stride):
    return {"got the mean of each window (average pooling): max pooling keeps the maximum":
            pool(x, kernel, stride, mean),
            STRIDE_IGNORED: stride_one(x, kernel, stride, maximum)}


def avg_forward_slips(x, kernel, stride):
    kh, kw = pair(kernel)
    return {f"got the sum of each window: divide it by the window size KH * KW = {kh * kw}":
            pool(x, kernel, stride, np.sum),
            "divided by the count of nonzero entries: the mean divides by the window size "
            "KH * KW, zeros included": pool(x, kernel, stride, nonzero_mean),
            "got the maximum of each window (max pooling)": pool(x, kernel, stride, maximum),
            STRIDE_IGNORED: stride_one(x, kernel, stride, mean)}


def max_backward_slips(x, kernel, stride, dout):
    kh, kw = pair(kernel)
    return {"dout went to every position of the window: only the window's maximum gets it":
            route(x, kernel, stride, dout, every_position),
            "dout was spread equally over the window (average pooling's gradient): max pooling "
            "sends it to the maximum only": route(x, kernel, stride, dout, equal_shares),
            TIE_RULE + "; got it split equally between the tied maxima":
            route(x, kernel, stride, dout, split_maximum),
            TIE_RULE + "; got it at every tied maximum": route(x, kernel, stride, dout, every_maximum),
            TIE_RULE + "; got it at the last maximum": route(x, kernel, stride, dout, last_maximum),
            TIE_RULE + "; got it at the first maximum in column-major order (the window "
            f"transposed: unravel the argmax with (KH, KW) = {(kh, kw)}?)":
            route(x, kernel, stride, dout, first_maximum_column_major)}


def avg_backward_slips(x, kernel, stride, dout):
    (kh, kw), (sh, sw) = pair(kernel), pair(stride or kernel)
    return {f"dout was not divided by the window size KH * KW = {kh * kw}: each position "
            f"gets dout / (KH * KW)": route(x, kernel, stride, dout, every_position),
            f"dout was divided by SH * SW = {sh * sw} (the stride's area); each position gets "
            f"dout / (KH * KW), KH * KW = {kh * kw}":
            route(x, kernel, stride, dout, every_position) / (sh * sw)}


# ---- helpers -----------------------------------------------------------------------------------

def assert_routed_to_maxima(name, dx, x, kernel, stride):
    """On tie-free inputs, dx is 0 wherever x is the maximum of no window."""
    if type(dx) is not np.ndarray or dx.shape != x.shape:
        return
    maxima = route(x, kernel, stride, np.ones(out_shape(x.shape, kernel, stride)), first_maximum) > 0
    stray = (dx != 0) & ~maxima
    if stray.any():
        where = tuple(int(i) for i in np.argwhere(stray)[0])
        count = np.count_nonzero(stray)
        positions = "1 position that is" if count == 1 else f"{count} positions that are"
        raise AssertionError(
            f"{name}: nonzero at {positions} the maximum of no window, first at index {where} "
            f"(got {float(dx[where]):.6g}): is the argmax taken in the right window, and turned "
            f"back into the position (i * SH + u, j * SW + v) with the right axes?")


def distinct(rng, shape):
    """Values 0.05 apart in random order, both signs: every window has one maximum, by a margin
    far above the gradient check's step (1e-5)."""
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size / 2) * 0.05).reshape(shape)


def make_pool(impl, cls, kernel, stride):
    make = getattr(impl.conv, cls)
    return make(kernel) if stride is None else make(kernel, stride=stride)


def described(cls, kernel, stride, shape):
    shown = "" if stride is None else f", stride={stride}"
    return f"{cls}({kernel}{shown}) on x of shape {fmt_shape(shape)}"


def forward(layer, x):
    """layer.forward on a copy of x: the expectations need x as it was (an input modified in
    place is test_pool_inputs_unchanged's to name)."""
    return layer.forward(x.copy())


# ---- MaxPool2d -------------------------------------------------------------------------------

# two channels of one image, 4 x 5: the last column (all 9) lies beyond the last whole window
KNOWN_X = np.array([[[[1.0, 5.0, 2.0, 0.0, 9.0],
                      [3.0, 4.0, 8.0, 6.0, 9.0],
                      [7.0, 0.0, 1.0, 2.0, 9.0],
                      [2.0, 6.0, 3.0, 5.0, 9.0]],
                     [[-1.0, -5.0, -2.0, -3.0, 0.0],
                      [-4.0, -6.0, -7.0, -1.0, 0.0],
                      [-2.0, -8.0, -3.0, -9.0, 0.0],
                      [-3.0, -4.0, -5.0, -6.0, 0.0]]]])
KNOWN_DOUT = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[-1.0, 0.5], [2.0, -3.0]]]])


@pytest.mark.exercise("pooling")
def test_maxpool_forward_known_answer(impl):
    out = forward(impl.conv.MaxPool2d(2), KNOWN_X)
    expected = np.array([[[[5.0, 8.0], [7.0, 5.0]], [[-1.0, -1.0], [-2.0, -3.0]]]])
    name = "MaxPool2d(2).forward(x) on x of shape (1, 2, 4, 5) (the last column is unused)"
    assert_array(name, out, expected.shape, np.float64)
    assert_no_slip(name, out, expected, max_forward_slips(KNOWN_X, 2, None))
    if np.array_equal(out[0, 1], [[0.0, 0.0], [0.0, 0.0]]):
        raise AssertionError(f"{name}: the all-negative channel gives 0: does the maximum start "
                             f"from 0 instead of from the window's values?")
    assert_close(name, out, expected)


@pytest.mark.exercise("pooling")
def test_maxpool_backward_known_answer(impl):
    layer = impl.conv.MaxPool2d(2)
    forward(layer, KNOWN_X)
    dx = layer.backward(KNOWN_DOUT.copy())
    expected = np.zeros((1, 2, 4, 5))
    for (row, col), value in zip([(0, 1), (1, 2), (2, 0), (3, 3)], [1.0, 2.0, 3.0, 4.0]):
        expected[0, 0, row, col] = value
    for (row, col), value in zip([(0, 0), (1, 3), (2, 0), (2, 2)], [-1.0, 0.5, 2.0, -3.0]):
        expected[0, 1, row, col] = value
    name = "MaxPool2d(2): dx (each dout at its window's maximum; 0 elsewhere, the unused column too)"
    assert_no_slip(name, dx, expected, max_backward_slips(KNOWN_X, 2, None, KNOWN_DOUT))
    assert_routed_to_maxima(name, dx, KNOWN_X, 2, None)
    assert_close(name, dx, expected)


@pytest.mark.exercise("pooling")
def test_maxpool_tie_goes_to_the_first_maximum(impl):
    # windows: all equal 3; 4 at (0, 1) and (1, 0); 2 along its bottom row; 5 down its right column
    x = np.array([[[[3.0, 3.0, 1.0, 4.0],
                    [3.0, 3.0, 4.0, 2.0],
                    [0.0, 0.0, -1.0, 5.0],
                    [2.0, 2.0, 2.0, 5.0]]]])
    dout = np.array([[[[2.0, -1.0], [0.5, 4.0]]]])
    layer = impl.conv.MaxPool2d(2)
    out = forward(layer, x)
    assert_close("MaxPool2d(2).forward(x) with tied maxima", out, np.array([[[[3.0, 4.0], [2.0, 5.0]]]]))
    dx = layer.backward(dout.copy())
    expected = np.zeros((1, 1, 4, 4))
    for (row, col), value in zip([(0, 0), (0, 3), (3, 0), (2, 3)], [2.0, -1.0, 0.5, 4.0]):
        expected[0, 0, row, col] = value
    name = "MaxPool2d(2): dx with tied maxima (an all-equal window, and ties on a row and a column)"
    assert_no_slip(name, dx, expected, max_backward_slips(x, 2, None, dout))
    assert_close(name + ": " + TIE_RULE, dx, expected)


@pytest.mark.exercise("pooling")
def test_maxpool_ties_in_integer_images(impl, rng):
    x = rng.integers(0, 3, (2, 3, 6, 6)).astype(np.float64)          # many tied windows
    dout = rng.standard_normal((2, 3, 2, 3))
    layer = impl.conv.MaxPool2d((3, 2), stride=(3, 2))
    forward(layer, x)
    dx = layer.backward(dout.copy())
    name = "MaxPool2d((3, 2), stride=(3, 2)): dx on images of 0, 1 and 2 (many ties)"
    right = route(x, (3, 2), None, dout, first_maximum)
    assert_no_slip(name, dx, right, max_backward_slips(x, (3, 2), None, dout))
    assert_close(name + ": " + TIE_RULE, dx, right)


@pytest.mark.exercise("pooling")
def test_maxpool_overlapping_windows_add_their_gradients(impl):
    x = np.array([[[[0.0, 1.0, 0.0, 2.0, 0.0],
                    [1.0, 3.0, 1.0, 1.0, 0.0],
                    [0.0, 1.0, 9.0, 1.0, 0.0],
                    [4.0, 1.0, 1.0, 2.0, 1.0],
                    [0.0, 0.0, 1.0, 1.0, 0.0]]]])
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    layer = impl.conv.MaxPool2d(3, stride=2)
    out = forward(layer, x)
    assert_close("MaxPool2d(3, stride=2).forward(x): the 9 in the middle is in all four windows",
                 out, np.full((1, 1, 2, 2), 9.0))
    dx = layer.backward(dout.copy())
    expected = np.zeros((1, 1, 5, 5))
    expected[0, 0, 2, 2] = 1.0 + 2.0 + 3.0 + 4.0
    name = "MaxPool2d(3, stride=2): dx when the middle 9 is the maximum of all four windows"
    assert_routed_to_maxima(name, dx, x, 3, 2)
    if type(dx) is np.ndarray and dx.shape == x.shape and dx[0, 0, 2, 2] in (1.0, 2.0, 3.0, 4.0):
        raise AssertionError(f"{name}: {OVERWRITTEN}; got {float(dx[0, 0, 2, 2]):g} at the 9, "
                             f"one window's dout, where the four add up to 10.")
    assert_close(name, dx, expected)


@pytest.mark.exercise("pooling")
@CASE_PARAMS
def test_maxpool_forward_and_backward(impl, rng, kernel, stride, shape):
    x = distinct(rng, shape)
    layer = make_pool(impl, "MaxPool2d", kernel, stride)
    name = described("MaxPool2d", kernel, stride, shape)
    out = forward(layer, x)
    right = pool(x, kernel, stride, maximum)
    assert_array(f"{name}: the output (OH = (H - KH) // SH + 1, OW likewise)", out, right.shape,
                 np.float64)
    assert_no_slip(name, out, right, max_forward_slips(x, kernel, stride))
    assert_close(name, out, right)
    dout = rng.standard_normal(right.shape)
    dx = layer.backward(dout.copy())
    right = route(x, kernel, stride, dout, first_maximum)
    assert_no_slip(f"{name}: dx", dx, right, max_backward_slips(x, kernel, stride, dout))
    assert_routed_to_maxima(f"{name}: dx", dx, x, kernel, stride)
    if any(k > s for k, s in zip(pair(kernel), pair(stride or kernel))):      # windows overlap
        assert_no_slip(f"{name}: dx", dx, right, {OVERWRITTEN: overwritten(x, kernel, stride, dout)})
    assert_close(f"{name}: dx (the rows and columns beyond the last window get 0)", dx, right)
    check_layer_gradients(layer, x, rng)                # raises on a mismatch


def overwritten(x, kernel, stride, dout):
    """dx of a loop that assigns each window's gradient (dx[window] = dout * mask) instead of
    adding it: where windows overlap, the last window written wins, zeros included."""
    dx = np.zeros(x.shape)
    for n, c, i, j, where in windows(x.shape, kernel, stride):
        dx[where] = dout[n, c, i, j] * first_maximum(x[where])
    return dx


# ---- AvgPool2d -------------------------------------------------------------------------------

AVG_X = np.array([[[[1.0, 2.0, 0.0, 4.0, 7.0],
                    [3.0, 6.0, 0.0, 0.0, 7.0],
                    [5.0, 0.0, 2.0, 2.0, 7.0],
                    [1.0, -2.0, 8.0, 4.0, 7.0]]]])


@pytest.mark.exercise("pooling")
def test_avgpool_forward_known_answer(impl):
    out = forward(impl.conv.AvgPool2d(2), AVG_X)
    # (1 + 2 + 3 + 6) / 4, (0 + 4 + 0 + 0) / 4, (5 + 0 + 1 - 2) / 4, (2 + 2 + 8 + 4) / 4
    expected = np.array([[[[3.0, 1.0], [1.0, 4.0]]]])
    name = "AvgPool2d(2).forward(x) on x of shape (1, 1, 4, 5) with zeros (the last column is unused)"
    assert_array(name, out, expected.shape, np.float64)
    assert_no_slip(name, out, expected, avg_forward_slips(AVG_X, 2, None))
    assert_close(name, out, expected)


@pytest.mark.exercise("pooling")
def test_avgpool_backward_known_answer(impl):
    layer = impl.conv.AvgPool2d(2)
    forward(layer, AVG_X)
    dout = np.array([[[[4.0, -8.0], [2.0, 1.0]]]])
    dx = layer.backward(dout.copy())
    # each window's 4 positions get dout / 4; the unused last column gets 0
    expected = np.array([[[[1.0, 1.0, -2.0, -2.0, 0.0],
                           [1.0, 1.0, -2.0, -2.0, 0.0],
                           [0.5, 0.5, 0.25, 0.25, 0.0],
                           [0.5, 0.5, 0.25, 0.25, 0.0]]]])
    name = "AvgPool2d(2): dx (dout / 4 over each window)"
    assert_no_slip(name, dx, expected, avg_backward_slips(AVG_X, 2, None, dout))
    assert_close(name, dx, expected)


@pytest.mark.exercise("pooling")
def test_avgpool_overlapping_windows_add_their_gradients(impl):
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    layer = impl.conv.AvgPool2d(3, stride=2)
    out = forward(layer, x)
    # window (i, j) covers rows 2i..2i+2 and columns 2j..2j+2: its mean is its middle entry
    assert_close("AvgPool2d(3, stride=2).forward(x) on 0, 1, ..., 24 (5 x 5)", out,
                 np.array([[[[6.0, 8.0], [16.0, 18.0]]]]))
    dx = layer.backward(dout.copy())
    # each position gets the sum of the dout of the windows that hold it, over 9
    expected = np.array([[[[1.0, 1.0, 3.0, 2.0, 2.0],
                           [1.0, 1.0, 3.0, 2.0, 2.0],
                           [4.0, 4.0, 10.0, 6.0, 6.0],
                           [3.0, 3.0, 7.0, 4.0, 4.0],
                           [3.0, 3.0, 7.0, 4.0, 4.0]]]]) / 9.0
    name = "AvgPool2d(3, stride=2): dx on overlapping windows"
    assert_no_slip(name, dx, expected, avg_backward_slips(x, 3, 2, dout))
    if type(dx) is np.ndarray and dx.shape == x.shape and round(9 * float(dx[0, 0, 2, 2]), 9) in (1, 2, 3, 4):
        raise AssertionError(f"{name}: {OVERWRITTEN}; got {float(dx[0, 0, 2, 2]):.6g} in the middle, "
                             f"one window's dout / 9, where the four add up to 10 / 9.")
    assert_close(name, dx, expected)


@pytest.mark.exercise("pooling")
@CASE_PARAMS
def test_avgpool_forward_and_backward(impl, rng, kernel, stride, shape):
    x = rng.standard_normal(shape)
    x[x < -0.8] = 0.0                               # some zeros: a mean counts them too
    layer = make_pool(impl, "AvgPool2d", kernel, stride)
    name = described("AvgPool2d", kernel, stride, shape)
    out = forward(layer, x)
    right = pool(x, kernel, stride, mean)
    assert_array(f"{name}: the output (OH = (H - KH) // SH + 1, OW likewise)", out, right.shape,
                 np.float64)
    assert_no_slip(name, out, right, avg_forward_slips(x, kernel, stride))
    assert_close(name, out, right)
    dout = rng.standard_normal(right.shape)
    dx = layer.backward(dout.copy())
    right = route(x, kernel, stride, dout, equal_shares)
    assert_no_slip(f"{name}: dx", dx, right, avg_backward_slips(x, kernel, stride, dout))
    assert_close(f"{name}: dx (the rows and columns beyond the last window get 0)", dx, right)
    check_layer_gradients(layer, x, rng)                # raises on a mismatch


# ---- both poolings ---------------------------------------------------------------------------

REDUCE = {"MaxPool2d": maximum, "AvgPool2d": mean}
SHARE = {"MaxPool2d": first_maximum, "AvgPool2d": equal_shares}


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_output_size_is_floored(impl, rng, cls):
    for kernel, stride, shape, size in (((3, 3), 2, (2, 1, 8, 6), (3, 2)),
                                        (2, None, (1, 2, 5, 7), (2, 3)),
                                        ((2, 3), (3, 2), (1, 1, 7, 8), (2, 3))):
        x = distinct(rng, shape)
        out = forward(make_pool(impl, cls, kernel, stride), x)
        name = (f"{described(cls, kernel, stride, shape)}: the output (OH = (H - KH) // SH + 1 = "
                f"{size[0]}, OW = (W - KW) // SW + 1 = {size[1]}, floor as in PyTorch: rows and "
                f"columns beyond the last whole window are unused)")
        assert_array(name, out, (*shape[:2], *size), np.float64)
        assert_close(name, out, pool(x, kernel, stride, REDUCE[cls]))


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_stride_defaults_to_the_kernel(impl, rng, cls):
    x = distinct(rng, (2, 2, 6, 9))
    out = forward(getattr(impl.conv, cls)(3), x)
    name = (f"{cls}(3).forward(x) on x of shape (2, 2, 6, 9): with no stride given, the stride is "
            f"the kernel size, 3")
    assert_array(name, out, (2, 2, 2, 3), np.float64)
    assert_no_slip(name, out, pool(x, 3, 3, REDUCE[cls]), {STRIDE_IGNORED: stride_one(x, 3, 3, REDUCE[cls])})
    assert_close(name, out, pool(x, 3, 3, REDUCE[cls]))


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_float32_keeps_dtype(impl, rng, cls):
    kernel, stride, shape = (2, 3), 2, (2, 3, 6, 7)
    x = distinct(rng, shape).astype(np.float32)
    layer = make_pool(impl, cls, kernel, stride)
    out = forward(layer, x)
    x64 = x.astype(np.float64)
    expected = pool(x64, kernel, stride, REDUCE[cls])
    # float32 rounds a window's sum to ~1e-7 of the values (up to ~7 here): atol for sums near 0
    assert_close(f"{described(cls, kernel, stride, shape)} in float32", out,
                 expected.astype(np.float32), rtol=1e-5, atol=1e-5)
    dout = rng.standard_normal(expected.shape).astype(np.float32)
    dx = layer.backward(dout.copy())
    assert_close("dx in float32", dx,
                 route(x64, kernel, stride, dout.astype(np.float64), SHARE[cls]).astype(np.float32),
                 rtol=1e-5, atol=1e-6)


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_inputs_unchanged(impl, rng, cls):
    kernel, stride, shape = 3, 2, (2, 2, 7, 7)
    x = distinct(rng, shape)
    dout = rng.standard_normal(out_shape(shape, kernel, stride))
    before = snapshot(x, dout)
    layer = make_pool(impl, cls, kernel, stride)
    out = layer.forward(x)
    dx = layer.backward(dout)
    for name, old, new in zip(["x", "dout"], before, [x, dout]):
        assert_unchanged(name, old, new)
    x, dout = before
    assert_close(f"{described(cls, kernel, stride, shape)}", out, pool(x, kernel, stride, REDUCE[cls]))
    assert_close("dx", dx, route(x, kernel, stride, dout, SHARE[cls]))


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_backward_twice_same_dx(impl, rng, cls):
    kernel, stride, shape = 2, 1, (2, 2, 4, 5)
    x = distinct(rng, shape)
    dout = rng.standard_normal(out_shape(shape, kernel, stride))
    layer = make_pool(impl, cls, kernel, stride)
    forward(layer, x)
    dx1 = layer.backward(dout.copy())
    dx2 = layer.backward(dout.copy())
    assert_close("dx (second backward after one forward: backward must not change what forward "
                 "kept)", dx2, route(x, kernel, stride, dout, SHARE[cls]))
    assert_close("dx (first backward)", dx1, route(x, kernel, stride, dout, SHARE[cls]))


# ---- Flatten ---------------------------------------------------------------------------------

SHAPES = pytest.mark.parametrize("shape", [(3, 2, 4, 5), (4, 6), (2, 3, 5)],
                                 ids=["N_C_H_W", "N_D", "N_L_D"])


def flattened(x):
    """out[n, k]: the entries of example n read with the last index moving fastest (C order)."""
    out = np.empty((x.shape[0], int(np.prod(x.shape[1:]))))
    for n in range(x.shape[0]):
        for k, index in enumerate(np.ndindex(*x.shape[1:])):
            out[n, k] = x[(n, *index)]
    return out


def unflattened(dout, shape):
    dx = np.empty(shape)
    for n in range(shape[0]):
        for k, index in enumerate(np.ndindex(*shape[1:])):
            dx[(n, *index)] = dout[n, k]
    return dx


def flatten_slips(x):
    slips = {"flattened in Fortran order (the first index moving fastest): Flatten reads each "
             "example in C order, x.reshape(N, -1)": x.reshape(len(x), -1, order="F")}
    if x.ndim == 4:
        slips["flattened with the channels last ((N, H, W, C) order): Flatten reads each example "
              "in C order, channel by channel"] = x.transpose(0, 2, 3, 1).reshape(len(x), -1)
    return slips


@pytest.mark.exercise("flatten")
def test_flatten_forward_known_answer(impl):
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
                  [[[-1.0, -2.0], [-3.0, -4.0]], [[-5.0, -6.0], [-7.0, -8.0]]]])   # (2, 2, 2, 2)
    out = impl.conv.Flatten().forward(x.copy())
    expected = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                         [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0]])
    name = "Flatten().forward(x) on x of shape (2, 2, 2, 2): (N, C * H * W) in C order"
    assert_array(name, out, expected.shape, np.float64)
    assert_no_slip(name, out, expected, flatten_slips(x))
    assert_close(name, out, expected)


@pytest.mark.exercise("flatten")
@SHAPES
def test_flatten_forward_in_c_order(impl, rng, shape):
    x = rng.standard_normal(shape)
    out = impl.conv.Flatten().forward(x.copy())
    right = flattened(x)
    name = (f"Flatten().forward(x) on x of shape {fmt_shape(shape)} (every axis after the first in "
            f"one, C order)")
    assert_array(name, out, right.shape, np.float64)
    assert_no_slip(name, out, right, flatten_slips(x))
    assert_close(name, out, right, rtol=0, atol=0)


@pytest.mark.exercise("flatten")
@SHAPES
def test_flatten_backward_restores_the_shape(impl, rng, shape):
    x = rng.standard_normal(shape)
    layer = impl.conv.Flatten()
    layer.forward(x.copy())
    dout = rng.standard_normal((shape[0], int(np.prod(shape[1:]))))
    dx = layer.backward(dout.copy())
    right = unflattened(dout, shape)
    name = f"Flatten: dx (dout of shape {fmt_shape(dout.shape)} back in the shape of x, {fmt_shape(shape)})"
    assert_array(name, dx, shape, np.float64)
    assert_no_slip(name, dx, right, {"dout put back in Fortran order: Flatten's forward reads "
                                     "C order, so backward must reshape in C order too":
                                     dout.reshape(shape, order="F")})
    assert_close(name, dx, right, rtol=0, atol=0)


@pytest.mark.exercise("flatten")
def test_flatten_round_trip(impl, rng):
    x = rng.standard_normal((2, 3, 2, 4))
    layer = impl.conv.Flatten()
    out = layer.forward(x.copy())
    assert_array("Flatten().forward(x) on x of shape (2, 3, 2, 4)", out, (2, 24), np.float64)
    back = layer.backward(out)
    assert_close("Flatten().backward(Flatten().forward(x)): x again, exactly", back, x, rtol=0, atol=0)


@pytest.mark.exercise("flatten")
def test_flatten_after_another_shape(impl, rng):
    layer = impl.conv.Flatten()
    layer.forward(rng.standard_normal((4, 2, 3, 3)))
    x = rng.standard_normal((3, 5, 2, 2))
    out = layer.forward(x.copy())
    assert_close("Flatten.forward(x) on x of shape (3, 5, 2, 2), after one of shape (4, 2, 3, 3)",
                 out, flattened(x))
    dout = rng.standard_normal((3, 20))
    assert_close("Flatten: dx in the shape of the last forward's x, (3, 5, 2, 2)",
                 layer.backward(dout.copy()), unflattened(dout, (3, 5, 2, 2)))


@pytest.mark.exercise("flatten")
def test_flatten_float32_keeps_dtype(impl, rng):
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    layer = impl.conv.Flatten()
    out = layer.forward(x.copy())
    assert_close("Flatten().forward(x) in float32", out, flattened(x).astype(np.float32), rtol=0)
    dout = rng.standard_normal((2, 12)).astype(np.float32)
    assert_close("Flatten: dx in float32", layer.backward(dout.copy()),
                 unflattened(dout, x.shape).astype(np.float32), rtol=0)
