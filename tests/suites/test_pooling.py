"""Checks for pooling and Flatten: exercises pooling (MaxPool2d, AvgPool2d) and flatten.

A window starts every stride while it fits, so OH = (H - KH) // SH + 1 (floor, as PyTorch),
and what is left below the last window is unused. Max pooling's gradient goes to the first
maximum of its window in row-major order. The checks here hold no pooling of their own: known
answers worked out by hand (with what each known slip gives on them, frozen), identities (an
increasing image, each dout sent back whole) and gradient checks of the layer's own forward
(tests.gradcheck). The gradient checks draw inputs whose entries are 0.05 apart, so that
every window has one maximum (central differences split a tie 0.5 / 0.5); ties get their own
checks, with known answers.
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
MEAN_NOT_MAX = "got the mean of each window (average pooling): max pooling keeps the maximum"
EVERY_POSITION = "dout went to every position of the window: only the window's maximum gets it"
EQUAL_SHARES = ("dout was spread equally over the window (average pooling's gradient): max pooling "
                "sends it to the maximum only")
TIE_SPLIT = TIE_RULE + "; got it split equally between the tied maxima"
TIE_EVERY = TIE_RULE + "; got it at every tied maximum"
TIE_LAST = TIE_RULE + "; got it at the last maximum"
TIE_COLUMNS = (TIE_RULE + "; got it at the first maximum in column-major order (the window "
               "transposed: unravel the argmax with (KH, KW)?)")
NOT_DIVIDED = ("dout was not divided by the window size KH * KW = {}: each position gets "
               "dout / (KH * KW)")
BY_STRIDE = ("dout was divided by SH * SW = {} (the stride's area); each position gets "
             "dout / (KH * KW), KH * KW = {}")


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def out_size(shape, kernel, stride):
    """(N, C, OH, OW): OH = (H - KH) // SH + 1 and OW likewise, stride the kernel by default."""
    (kh, kw), (sh, sw) = pair(kernel), pair(stride or kernel)
    return (*shape[:2], (shape[2] - kh) // sh + 1, (shape[3] - kw) // sw + 1)


def at(shape, entries):
    """An array of zeros of ``shape`` (N = 1) with {(c, row, col): value} written in."""
    array = np.zeros(shape)
    for (c, row, col), value in entries.items():
        array[0, c, row, col] = value
    return array


# ---- helpers -----------------------------------------------------------------------------------

def assert_routed_to_maxima(name, dx, maxima):
    """dx is 0 wherever ``maxima`` (a mask of the positions that are some window's maximum) is False."""
    if type(dx) is not np.ndarray or dx.shape != maxima.shape:
        return
    stray = (dx != 0) & ~maxima
    if stray.any():
        where = tuple(int(i) for i in np.argwhere(stray)[0])
        count = np.count_nonzero(stray)
        positions = "1 position that is" if count == 1 else f"{count} positions that are"
        raise AssertionError(
            f"{name}: nonzero at {positions} the maximum of no window, first at index {where} "
            f"(got {float(dx[where]):.6g}): is the argmax taken in the right window, and turned "
            f"back into the position (i * SH + u, j * SW + v) with the right axes?")


def assert_each_dout_sent_back_whole(name, dx, dout):
    """Both poolings pass each window's dout on whole (max: to one position; average: in equal
    parts that add up to it), so dx sums to what dout sums to."""
    if type(dx) is not np.ndarray or not np.all(np.isfinite(dx)):
        return
    total, expected = float(dx.sum()), float(dout.sum())
    if abs(total - expected) > 1e-9 * max(1.0, float(np.abs(dout).sum())):
        ratio = f" ({total / expected:.4g} times it)" if expected else ""
        raise AssertionError(f"{name}: dx sums to {total:.10g}, dout to {expected:.10g}{ratio}. "
                             f"Each window's dout goes back whole: to its maximum (max pooling) "
                             f"or in KH * KW equal parts (average pooling), added where windows "
                             f"overlap.")


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
# each window's dout over its whole 2 x 2 block (the last column in no window)
KNOWN_DOUT_EVERYWHERE = np.array([[[[1.0, 1.0, 2.0, 2.0, 0.0], [1.0, 1.0, 2.0, 2.0, 0.0],
                                    [3.0, 3.0, 4.0, 4.0, 0.0], [3.0, 3.0, 4.0, 4.0, 0.0]],
                                   [[-1.0, -1.0, 0.5, 0.5, 0.0], [-1.0, -1.0, 0.5, 0.5, 0.0],
                                    [2.0, 2.0, -3.0, -3.0, 0.0], [2.0, 2.0, -3.0, -3.0, 0.0]]]])


@pytest.mark.exercise("pooling")
def test_maxpool_forward_known_answer(impl):
    out = forward(impl.conv.MaxPool2d(2), KNOWN_X)
    expected = np.array([[[[5.0, 8.0], [7.0, 5.0]], [[-1.0, -1.0], [-2.0, -3.0]]]])
    name = "MaxPool2d(2).forward(x) on x of shape (1, 2, 4, 5) (the last column is unused)"
    assert_array(name, out, expected.shape, np.float64)
    # the means of the four windows; the maxima of the windows at stride 1 (rows, columns 0 and 1)
    assert_no_slip(name, out, expected, {
        MEAN_NOT_MAX: np.array([[[[3.25, 4.0], [3.75, 2.75]], [[-4.0, -3.25], [-4.25, -5.75]]]]),
        STRIDE_IGNORED: np.array([[[[5.0, 8.0], [7.0, 8.0]], [[-1.0, -2.0], [-2.0, -3.0]]]])})
    if np.array_equal(out[0, 1], [[0.0, 0.0], [0.0, 0.0]]):
        raise AssertionError(f"{name}: the all-negative channel gives 0: does the maximum start "
                             f"from 0 instead of from the window's values?")
    assert_close(name, out, expected)


@pytest.mark.exercise("pooling")
def test_maxpool_backward_known_answer(impl):
    layer = impl.conv.MaxPool2d(2)
    forward(layer, KNOWN_X)
    dx = layer.backward(KNOWN_DOUT.copy())
    # each dout at its window's maximum: 5, 8, 7, 5 and -1, -1, -2, -3
    expected = at((1, 2, 4, 5), {(0, 0, 1): 1.0, (0, 1, 2): 2.0, (0, 2, 0): 3.0, (0, 3, 3): 4.0,
                                 (1, 0, 0): -1.0, (1, 1, 3): 0.5, (1, 2, 0): 2.0, (1, 2, 2): -3.0})
    name = "MaxPool2d(2): dx (each dout at its window's maximum; 0 elsewhere, the unused column too)"
    assert_no_slip(name, dx, expected, {EVERY_POSITION: KNOWN_DOUT_EVERYWHERE,
                                        EQUAL_SHARES: KNOWN_DOUT_EVERYWHERE / 4})
    assert_routed_to_maxima(name, dx, expected != 0)
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
    expected = at((1, 1, 4, 4), {(0, 0, 0): 2.0, (0, 0, 3): -1.0, (0, 3, 0): 0.5, (0, 2, 3): 4.0})
    everywhere = np.array([[[[2.0, 2.0, -1.0, -1.0], [2.0, 2.0, -1.0, -1.0],
                             [0.5, 0.5, 4.0, 4.0], [0.5, 0.5, 4.0, 4.0]]]])
    # every tied maximum of each window: four 3s, two 4s, two 2s, two 5s
    tied = {(0, 0, 0): 2.0, (0, 0, 1): 2.0, (0, 1, 0): 2.0, (0, 1, 1): 2.0, (0, 0, 3): -1.0,
            (0, 1, 2): -1.0, (0, 3, 0): 0.5, (0, 3, 1): 0.5, (0, 2, 3): 4.0, (0, 3, 3): 4.0}
    counts = {(0, 0, 0): 4, (0, 0, 1): 4, (0, 1, 0): 4, (0, 1, 1): 4}
    name = "MaxPool2d(2): dx with tied maxima (an all-equal window, and ties on a row and a column)"
    assert_no_slip(name, dx, expected, {
        EVERY_POSITION: everywhere, EQUAL_SHARES: everywhere / 4,
        TIE_SPLIT: at((1, 1, 4, 4), {k: v / counts.get(k, 2) for k, v in tied.items()}),
        TIE_EVERY: at((1, 1, 4, 4), tied),
        TIE_LAST: at((1, 1, 4, 4), {(0, 1, 1): 2.0, (0, 1, 2): -1.0, (0, 3, 1): 0.5, (0, 3, 3): 4.0}),
        TIE_COLUMNS: at((1, 1, 4, 4), {(0, 0, 0): 2.0, (0, 1, 2): -1.0, (0, 3, 0): 0.5, (0, 2, 3): 4.0})})
    assert_close(name + ": " + TIE_RULE, dx, expected)


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
    assert_routed_to_maxima(name, dx, expected != 0)
    if type(dx) is np.ndarray and dx.shape == x.shape and dx[0, 0, 2, 2] in (1.0, 2.0, 3.0, 4.0):
        raise AssertionError(f"{name}: {OVERWRITTEN}; got {float(dx[0, 0, 2, 2]):g} at the 9, "
                             f"one window's dout, where the four add up to 10.")
    assert_close(name, dx, expected)


@pytest.mark.exercise("pooling")
@CASE_PARAMS
def test_maxpool_gradient(impl, rng, kernel, stride, shape):
    x = distinct(rng, shape)
    layer = make_pool(impl, "MaxPool2d", kernel, stride)
    name = described("MaxPool2d", kernel, stride, shape)
    out = forward(layer, x)
    assert_array(f"{name}: the output (OH = (H - KH) // SH + 1, OW likewise)", out,
                 out_size(shape, kernel, stride), np.float64)
    if not np.all(np.isin(out, x)):
        raise AssertionError(f"{name}: some outputs are not entries of x: each output is the "
                             f"maximum of a window, one of x's own values.")
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout.copy())
    assert_array(f"{name}: dx", dx, shape, np.float64)
    assert_each_dout_sent_back_whole(f"{name}: dx", dx, dout)
    if np.count_nonzero(dx) > out.size:
        raise AssertionError(f"{name}: dx has {np.count_nonzero(dx)} nonzero entries for "
                             f"{out.size} windows: {EVERY_POSITION}.")
    check_layer_gradients(layer, x, rng)                # raises on a mismatch


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
    assert_no_slip(name, out, expected, {
        "got the sum of each window: divide it by the window size KH * KW = 4": 4 * expected,
        # 12 / 4 nonzero, 4 / 1, 4 / 3, 16 / 4
        "divided by the count of nonzero entries: the mean divides by the window size "
        "KH * KW, zeros included": np.array([[[[3.0, 4.0], [4.0 / 3.0, 4.0]]]]),
        "got the maximum of each window (max pooling)": np.array([[[[6.0, 4.0], [5.0, 8.0]]]]),
        # the windows at rows and columns 0 and 1
        STRIDE_IGNORED: np.array([[[[3.0, 2.0], [3.5, 2.0]]]])})
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
    assert_no_slip(name, dx, expected, {NOT_DIVIDED.format(4): 4 * expected})
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
    assert_no_slip(name, dx, expected, {NOT_DIVIDED.format(9): 9 * expected,
                                        BY_STRIDE.format(4, 9): 9 * expected / 4})
    if type(dx) is np.ndarray and dx.shape == x.shape and round(9 * float(dx[0, 0, 2, 2]), 9) in (1, 2, 3, 4):
        raise AssertionError(f"{name}: {OVERWRITTEN}; got {float(dx[0, 0, 2, 2]):.6g} in the middle, "
                             f"one window's dout / 9, where the four add up to 10 / 9.")
    assert_close(name, dx, expected)


@pytest.mark.exercise("pooling")
@CASE_PARAMS
def test_avgpool_gradient(impl, rng, kernel, stride, shape):
    x = rng.standard_normal(shape)
    layer = make_pool(impl, "AvgPool2d", kernel, stride)
    name = described("AvgPool2d", kernel, stride, shape)
    level = float(rng.uniform(-2.0, 2.0))
    out = forward(layer, np.full(shape, level))
    size = out_size(shape, kernel, stride)
    assert_array(f"{name}: the output (OH = (H - KH) // SH + 1, OW likewise)", out, size, np.float64)
    assert_close(f"{name}, x constant {level:.6g}: the mean of every window", out, np.full(size, level))
    forward(layer, x)
    dout = rng.standard_normal(size)
    dx = layer.backward(dout.copy())
    assert_array(f"{name}: dx", dx, shape, np.float64)
    assert_each_dout_sent_back_whole(f"{name}: dx", dx, dout)
    check_layer_gradients(layer, x, rng)                # raises on a mismatch


# ---- both poolings ---------------------------------------------------------------------------

def increasing(shape):
    """x[n, c, r, q] = r * W + q + 100 * (n * C + c): every window's maximum is its bottom-right
    entry, and (the image being linear in r and q) its mean is the mean of its corners."""
    n, c, h, w = shape
    return (np.arange(h)[:, None] * w + np.arange(w) + 100.0 * np.arange(n * c).reshape(n, c, 1, 1))


def pooled_increasing(shape, kernel, stride, cls):
    """What each pooling gives on increasing(shape): the window (i, j) at rows i*SH .. i*SH+KH-1."""
    (kh, kw), (sh, sw) = pair(kernel), pair(stride or kernel)
    oh, ow = out_size(shape, kernel, stride)[2:]
    rows, cols = np.arange(oh) * sh, np.arange(ow) * sw
    last_row, last_col = rows + kh - 1, cols + kw - 1
    if cls == "MaxPool2d":
        r, q = last_row[:, None], last_col[None, :]
    else:
        r, q = (rows + last_row)[:, None] / 2, (cols + last_col)[None, :] / 2
    return r * shape[3] + q + 100.0 * np.arange(shape[0] * shape[1]).reshape(*shape[:2], 1, 1)


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_on_an_increasing_image(impl, cls):
    for kernel, stride, shape in ((3, 2, (1, 2, 7, 8)), ((2, 3), (1, 2), (2, 1, 5, 9))):
        x = increasing(shape)
        out = forward(make_pool(impl, cls, kernel, stride), x)
        expected = pooled_increasing(shape, kernel, stride, cls)
        name = (f"{described(cls, kernel, stride, shape)}, x[n, c, r, q] = r * {shape[3]} + q + "
                f"100 (n * C + c), whose windows have their maximum at the bottom right and their "
                f"mean at the middle")
        assert_array(name, out, expected.shape, np.float64)
        assert_no_slip(name, out, expected, {STRIDE_IGNORED: pooled_increasing(shape, kernel, 1, cls)
                                             [:, :, :expected.shape[2], :expected.shape[3]]})
        assert_close(name, out, expected)


SIZE_CASES = (  # kernel, stride, x's shape, the output's (OH, OW)
    ((3, 3), 2, (2, 1, 8, 6), (3, 2)),
    (2, None, (1, 2, 5, 7), (2, 3)),
    ((2, 3), (3, 2), (1, 1, 7, 8), (2, 3)),
)


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_output_size_is_floored(impl, rng, cls):
    for kernel, stride, shape, size in SIZE_CASES:
        x = distinct(rng, shape)
        layer = make_pool(impl, cls, kernel, stride)
        out = forward(layer, x)
        name = (f"{described(cls, kernel, stride, shape)}: the output (OH = (H - KH) // SH + 1 = "
                f"{size[0]}, OW = (W - KW) // SW + 1 = {size[1]}, floor as in PyTorch: rows and "
                f"columns beyond the last whole window are unused)")
        assert_array(name, out, (*shape[:2], *size), np.float64)
        dx = layer.backward(np.ones(out.shape))
        assert_array(f"{name}: dx", dx, shape, np.float64)
        assert_each_dout_sent_back_whole(f"{name}: dx", dx, np.ones(out.shape))


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_stride_defaults_to_the_kernel(impl, cls):
    shape = (2, 2, 6, 9)
    x = increasing(shape)
    out = forward(getattr(impl.conv, cls)(3), x)
    name = (f"{cls}(3).forward(x) on x of shape (2, 2, 6, 9): with no stride given, the stride is "
            f"the kernel size, 3")
    assert_array(name, out, (2, 2, 2, 3), np.float64)
    expected = pooled_increasing(shape, 3, 3, cls)
    assert_no_slip(name, out, expected, {STRIDE_IGNORED: pooled_increasing(shape, 3, 1, cls)[:, :, :2, :3]})
    assert_close(name, out, expected)


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_float32_keeps_dtype(impl, rng, cls):
    kernel, stride, shape = (2, 3), 2, (2, 3, 6, 7)
    x = distinct(rng, shape)
    layer, twin = make_pool(impl, cls, kernel, stride), make_pool(impl, cls, kernel, stride)
    out = forward(layer, x.astype(np.float32))
    wide = forward(twin, x)
    # float32 rounds a window's sum to ~1e-7 of the values (up to ~7 here): atol for sums near 0
    assert_close(f"{described(cls, kernel, stride, shape)} in float32 (against the same layer in "
                 f"float64)", out, np.asarray(wide).astype(np.float32), rtol=1e-5, atol=1e-5)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout.astype(np.float32))
    assert_close("dx in float32 (against the same layer in float64)", dx,
                 np.asarray(twin.backward(dout)).astype(np.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_inputs_unchanged(impl, rng, cls):
    kernel, stride, shape = 3, 2, (2, 2, 7, 7)
    x = distinct(rng, shape)
    dout = rng.standard_normal(out_size(shape, kernel, stride))
    before = snapshot(x, dout)
    layer = make_pool(impl, cls, kernel, stride)
    out = layer.forward(x)
    dx = layer.backward(dout)
    for name, old, new in zip(["x", "dout"], before, [x, dout]):
        assert_unchanged(name, old, new)
    assert_array(f"{described(cls, kernel, stride, shape)}", out, dout.shape, np.float64)
    assert_array("dx", dx, shape, np.float64)


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_backward_twice_same_dx(impl, rng, cls):
    kernel, stride, shape = 2, 1, (2, 2, 4, 5)
    x = distinct(rng, shape)
    dout = rng.standard_normal(out_size(shape, kernel, stride))
    layer = make_pool(impl, cls, kernel, stride)
    forward(layer, x)
    dx1 = layer.backward(dout.copy())
    assert_array("dx (first backward)", dx1, shape, np.float64)
    assert_each_dout_sent_back_whole("dx (first backward)", dx1, dout)
    dx2 = layer.backward(dout.copy())
    assert_close("dx (second backward after one forward: backward must not change what forward "
                 "kept)", dx2, dx1)


# ---- Flatten ---------------------------------------------------------------------------------

SHAPES = pytest.mark.parametrize("shape", [(3, 2, 4, 5), (4, 6), (2, 3, 5)],
                                 ids=["N_C_H_W", "N_D", "N_L_D"])


def counting(shape, rng):
    """(x, rows): x of ``shape`` holding start + step * k at its k-th entry in C order (the last
    index moving fastest), and rows (N, D), the same numbers k = n * D + d written by rows."""
    start, step = rng.uniform(-3.0, 3.0), rng.uniform(0.5, 2.0)
    n, d = shape[0], int(np.prod(shape[1:]))
    index = np.zeros(shape)
    for axis, size in enumerate(shape):          # k = sum over the axes of i_axis * stride_axis
        stride = int(np.prod(shape[axis + 1:]))
        index = index + stride * np.arange(size).reshape((-1,) + (1,) * (len(shape) - axis - 1))
    rows = start + step * (d * np.arange(n)[:, None] + np.arange(d)[None, :])
    return start + step * index, rows


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
    x, right = counting(shape, rng)
    out = impl.conv.Flatten().forward(x.copy())
    name = (f"Flatten().forward(x) on x of shape {fmt_shape(shape)} counting up in C order (every "
            f"axis after the first in one, C order: each row counts up too)")
    assert_array(name, out, right.shape, np.float64)
    assert_no_slip(name, out, right, flatten_slips(x))
    assert_close(name, out, right, rtol=1e-12, atol=1e-12)


@pytest.mark.exercise("flatten")
@SHAPES
def test_flatten_backward_restores_the_shape(impl, rng, shape):
    layer = impl.conv.Flatten()
    layer.forward(rng.standard_normal(shape))
    right, dout = counting(shape, rng)
    dx = layer.backward(dout.copy())
    name = f"Flatten: dx (dout of shape {fmt_shape(dout.shape)} back in the shape of x, {fmt_shape(shape)})"
    assert_array(name, dx, shape, np.float64)
    assert_no_slip(name, dx, right, {"dout put back in Fortran order: Flatten's forward reads "
                                     "C order, so backward must reshape in C order too":
                                     dout.reshape(shape, order="F")})
    assert_close(name, dx, right, rtol=1e-12, atol=1e-12)


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
    x, rows = counting((3, 5, 2, 2), rng)
    out = layer.forward(x.copy())
    assert_close("Flatten.forward(x) on x of shape (3, 5, 2, 2), after one of shape (4, 2, 3, 3)",
                 out, rows)
    dx, dout = counting((3, 5, 2, 2), rng)
    assert_close("Flatten: dx in the shape of the last forward's x, (3, 5, 2, 2)",
                 layer.backward(dout.copy()), dx)


@pytest.mark.exercise("flatten")
def test_flatten_float32_keeps_dtype(impl, rng):
    x, rows = counting((2, 3, 2, 2), rng)
    layer = impl.conv.Flatten()
    out = layer.forward(x.astype(np.float32))
    assert_close("Flatten().forward(x) in float32", out, rows.astype(np.float32), rtol=0)
    dx, dout = counting((2, 3, 2, 2), rng)
    assert_close("Flatten: dx in float32", layer.backward(dout.astype(np.float32)),
                 dx.astype(np.float32), rtol=0)
