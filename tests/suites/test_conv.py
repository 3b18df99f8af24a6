"""Checks for the convolution layers: exercises conv_naive (Conv2dNaive) and conv (Conv2d).

Both classes are one layer, PyTorch's Conv2d: a cross-correlation over NCHW images, weights
(F, C, KH, KW), stride and zero padding per axis. Most checks run on each class, marked with
its own exercise; Conv2d is never compared with the student's Conv2dNaive, so that a slip in
one exercise cannot fail the other. The checks here hold no convolution of their own: known
answers worked out by hand (with the values the known slips give, frozen), identities (a
1 x 1 kernel is a Linear over the channels of every pixel; a kernel with a single one shifts
the image), and gradient checks of the layer's own forward (tests.gradcheck). The weights come
from a trusted initializer (impl.doubles.gaussian) and the bias is never zero. Conv2d also has
a speed check: a Python loop over the output positions makes it too slow.
"""
import time

import numpy as np
import pytest

from grader.remote import TooSlow, cpu_used, fill
from tests.checks import assert_array, assert_close, assert_unchanged, fmt_shape, snapshot
from tests.gradcheck import check_layer_gradients

CLASSES = [pytest.param("Conv2dNaive", marks=pytest.mark.exercise("conv_naive"), id="Conv2dNaive"),
           pytest.param("Conv2d", marks=pytest.mark.exercise("conv"), id="Conv2d")]
PER_CLASS = pytest.mark.parametrize("cls", CLASSES)

# (id, N, C, H, W, F, kernel_size, stride, padding): random cases, from tiny to rectangular
CASES = [
    ("N2_C2_5x6_F3_k3x2_s2x1_p1x0", 2, 2, 5, 6, 3, (3, 2), (2, 1), (1, 0)),
    ("N1_C3_4x4_F3_k3_p1", 1, 3, 4, 4, 3, 3, 1, 1),
    ("N3_C1_7x5_F2_k2x3_s1x2_p0x1", 3, 1, 7, 5, 2, (2, 3), (1, 2), (0, 1)),
    ("N4_C2_6x6_F2_k2_s2_p1", 4, 2, 6, 6, 2, 2, 2, 1),
]
PER_CASE = pytest.mark.parametrize("n, c, h, w, f, kernel, stride, padding",
                                   [pytest.param(*case[1:], id=case[0]) for case in CASES])

FLIPPED = ("the kernel is flipped (W[:, :, ::-1, ::-1]), which makes a convolution: Conv2d is a "
           "cross-correlation, as in PyTorch: out[n, f, i, j] takes W[f, c, u, v] times "
           "x_pad[n, c, i * SH + u, j * SW + v]")
SWAPPED = ("the axes F and C of W are swapped: W has shape (F, C, KH, KW), and W[f, c] is the "
           "kernel of filter f on input channel c")
STRIDE_IGNORED = ("the stride is ignored: the window of output (i, j) starts at row i * SH and "
                  "column j * SW of the padded x")
PADDING_IGNORED = ("the padding is missing: pad x with PH rows of zeros above and below and PW "
                   "columns left and right (the last two axes only) before sliding the kernel")
DX_PADDED = ("dx has the padded shape: cut the padding off the gradient of the padded x "
             "(dx_pad[:, :, PH:PH + H, PW:PW + W])")
DW_SWAPPED = 'grads["W"] has the axes F and C swapped: it has the shape of W, (F, C, KH, KW)'
DB_AXES = 'grads["b"] sums dout over n, i and j (axes 0, 2 and 3): shape (F,)'
OVERLAPS = ("dx is wrong only where windows overlap: a position inside several windows gets the "
            "sum of their parts; add into dx_pad (+=), do not assign")
SAME_AS_NAIVE = " (the same layer as Conv2dNaive: it must give the same values)"

# ---- helpers -------------------------------------------------------------------------------------


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def make_conv(impl, cls, rng, c, f, kernel, stride=1, padding=0, dtype=np.float64, bias=True):
    """(layer, W, b): impl.conv.<cls> with trusted random weights and a nonzero random bias."""
    layer = getattr(impl.conv, cls)(c, f, kernel, rng, stride=stride, padding=padding,
                                    weight_init=impl.doubles.gaussian, dtype=dtype)
    b = rng.uniform(0.5, 2.0, f) * rng.choice([-1.0, 1.0], f) if bias else np.zeros(f)
    fill(layer, ("params", "b"), b.astype(dtype))
    return layer, np.array(layer.params["W"], dtype=np.float64), b.astype(dtype).astype(np.float64)


def forward_of_random_x(impl, rng, cls, n, c, h, w, f, kernel, stride, padding, dtype=np.float64):
    """(layer, W, b, x, out): a layer of make_conv and its forward of a random x (n, c, h, w)."""
    layer, W, b = make_conv(impl, cls, rng, c, f, kernel, stride, padding, dtype=dtype)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    return layer, W, b, x, layer.forward(x.copy())


def described(cls, c, f, kernel, stride, padding):
    return f"{cls}({c}, {f}, kernel_size={kernel}, stride={stride}, padding={padding})"


def same(cls):
    return SAME_AS_NAIVE if cls == "Conv2d" else ""


def output_hw(h, w, kernel, stride, padding):
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding)
    return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


def size_text(h, w, kernel, stride, padding):
    """The output size worked out, for a message."""
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding)
    oh, ow = output_hw(h, w, kernel, stride, padding)
    return (f"the output size is (H + 2P - KH) / S + 1 on each axis: ({h} + 2 * {ph} - {kh}) / {sh} "
            f"+ 1 = {oh} rows, ({w} + 2 * {pw} - {kw}) / {sw} + 1 = {ow} columns")


def close(a, b):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def assert_conv(name, got, right, slips=(), bias=None, sizes=None, overlaps=None):
    """assert_close, first naming the slip that gives ``got``. ``slips``: [(cause, wrong)], where
    ``wrong`` is what the slip computes (an array, named by its shape alone when that differs from
    ``right``'s) or only the shape it gives (a tuple); ``bias`` (F,) tells a missing or repeated
    bias; ``sizes`` explains a wrong output size; ``overlaps`` (a mask of dx's entries inside
    several windows) tells a dx assigned where it must add."""
    if type(got) is np.ndarray or isinstance(got, (float, np.floating)):     # a scalar: shape ()
        shape = np.shape(got)
        for cause, wrong in slips:
            wrong_shape = wrong if isinstance(wrong, tuple) else np.shape(wrong)
            if shape == wrong_shape != right.shape:
                raise AssertionError(f"{name}: expected shape {fmt_shape(right.shape)}, got shape "
                                     f"{fmt_shape(shape)}: {cause}.")
    if type(got) is np.ndarray:
        for cause, wrong in slips:
            if (not isinstance(wrong, tuple) and got.shape == right.shape and close(got, wrong)
                    and not close(wrong, right)):
                raise AssertionError(f"{name}: {cause}.")
        if sizes and got.ndim == 4 and got.shape[2:] != right.shape[2:]:
            raise AssertionError(f"{name}: expected shape {fmt_shape(right.shape)}, got shape "
                                 f"{fmt_shape(got.shape)}: {sizes}.")
        if bias is not None and got.shape == right.shape:
            assert_bias_once(name, got, right, bias)
        if overlaps is not None and got.shape == right.shape and not close(got, right):
            if close(got[~overlaps], right[~overlaps]):
                raise AssertionError(f"{name}: {OVERLAPS}.")
    assert_close(name, got, right)


def assert_bias_once(name, got, right, bias):
    """Fail naming it when got = right + k * b[f] at every n, i, j: the bias counted k + 1 times."""
    term = np.broadcast_to(bias[None, :, None, None], right.shape)
    if not np.any(term) or close(got, right):
        return
    k = round(float(np.sum((got - right) * term) / np.sum(term * term)))
    if k and close(got, right + k * term):
        times = "missing" if k == -1 else f"added {k + 1} times"
        raise AssertionError(f"{name}: the bias is {times}: out[n, f, i, j] gets b[f] once, at "
                             f"every position.")


def overlaps(h, w, kernel, stride, padding):
    """A mask (H, W) of the entries of x inside more than one window: the windows are counted,
    one at a time, over a zero border."""
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding)
    counts = np.zeros((h + 2 * ph, w + 2 * pw), dtype=int)
    oh, ow = output_hw(h, w, kernel, stride, padding)
    for i, j in np.ndindex(oh, ow):
        counts[i * sh:i * sh + kh, j * sw:j * sw + kw] += 1
    return counts[ph:ph + h, pw:pw + w] > 1


def with_zero_border(x, p):
    """x (N, C, H, W) inside a border of p zeros on the last two axes."""
    n, c, h, w = np.shape(x)
    big = np.zeros((n, c, h + 2 * p, w + 2 * p))
    big[:, :, p:p + h, p:p + w] = x
    return big


# ---- known answers, worked out by hand ----------------------------------------------------------

X3 = [[1.0, 2.0, -2.0], [3.0, -1.0, 4.0], [2.0, 5.0, 1.0]]
X4 = [[1.0, 2.0, 0.0, -1.0], [3.0, -1.0, 2.0, 1.0], [0.0, 4.0, -2.0, 3.0], [1.0, 1.0, 2.0, -3.0]]
KERNEL = [[1.0, 2.0], [3.0, -1.0]]        # not symmetric: a flipped kernel gives other numbers
BIAS = 0.5
DOUT = [[1.0, -2.0], [3.0, 0.5]]


def image(rows):
    """A (1, 1, H, W) array of a table of rows."""
    return np.array(rows)[None, None]


# out[i, j] = x_pad[i, j] + 2 x_pad[i, j + 1] + 3 x_pad[i + 1, j] - x_pad[i + 1, j + 1] + 0.5;
# each case lists the slips that change it: [(cause, what the slip gives, or only its shape)],
# the values worked out once with the kernel [[-1, 3], [2, 1]] (flipped) or the windows at
# stride 1 (stride ignored), and frozen
KNOWN = [
    # (0, 0): 1 + 2*2 + 3*3 - (-1) = 15; (0, 1): 2 + 2*(-2) + 3*(-1) - 4 = -9;
    # (1, 0): 3 + 2*(-1) + 3*2 - 5 = 2;  (1, 1): -1 + 2*4 + 3*5 - 1 = 21
    ("3x3_no_padding", X3, 1, 0, [[15.5, -8.5], [2.5, 21.5]],
     [(FLIPPED, [[10.5, -5.5], [3.5, 24.5]])]),
    # a ring of zeros around X3; the middle 2 x 2 is the case above
    ("3x3_padding_1", X3, 1, 1, [[-0.5, 1.5, 8.5, -5.5], [-0.5, 15.5, -8.5, 10.5],
                                 [4.5, 2.5, 21.5, 7.5], [4.5, 12.5, 7.5, 1.5]],
     [(FLIPPED, [[1.5, 4.5, 2.5, -3.5], [6.5, 10.5, -5.5, 10.5], [11.5, 3.5, 24.5, -1.5],
                 [6.5, 13.5, -1.5, -0.5]]),
      (PADDING_IGNORED, (1, 1, 2, 2))]),
    # windows at rows and columns 0 and 3 of the padded 5 x 5: each holds one corner of X3, at
    # the kernel's opposite corner: 1 * (-1), -2 * 3, 2 * 2, 1 * 1
    ("3x3_padding_1_stride_3", X3, 3, 1, [[-0.5, -5.5], [4.5, 1.5]],
     [(FLIPPED, [[1.5, -3.5], [6.5, -0.5]]), (STRIDE_IGNORED, (1, 1, 4, 4)),
      (STRIDE_IGNORED, [[-0.5, 1.5], [-0.5, 15.5]])]),
    # four 2 x 2 blocks that do not overlap: 1 + 4 + 9 + 1, 0 - 2 + 6 - 1, 0 + 8 + 3 - 1, -2 + 6 + 6 + 3
    ("4x4_stride_2", X4, 2, 0, [[15.5, 3.5], [10.5, 13.5]],
     [(FLIPPED, [[10.5, 2.5], [15.5, 12.5]]), (STRIDE_IGNORED, (1, 1, 3, 3)),
      (STRIDE_IGNORED, [[15.5, -2.5], [-2.5, 17.5]])]),
]

DB_SHAPES = [(DB_AXES, (1, 2, 2)), (DB_AXES, (1, 1)), (DB_AXES, ())]

KNOWN_BACKWARD = [
    # dW[u, v] = sum over i, j of dout[i, j] * x[i + u, j + v]; dx[p, q] = sum of dout[i, j] *
    # K[p - i, q - j]: e.g. dx[1, 1] = 1*(-1) - 2*3 + 3*2 + 0.5*1 = -0.5
    ("3x3_no_padding", 1, 0, [[1.0, 0.0, -4.0], [6.0, -0.5, 3.0], [9.0, -1.5, -0.5]],
     [[5.5, 5.0], [13.5, 6.5]],
     [(FLIPPED, [[-1.0, 5.0, -6.0], [-1.0, 5.5, -0.5], [6.0, 4.0, 0.5]])], []),
    # only X3's corners are in a window, each at one kernel entry: dx[0, 0] = 1 * K[1, 1],
    # dx[0, 2] = -2 * K[1, 0], ...; dW[1, 1] = 1 * x[0, 0], dW[1, 0] = -2 * x[0, 2], ...
    ("3x3_padding_1_stride_3", 3, 1, [[-1.0, 0.0, -6.0], [0.0, 0.0, 0.0], [6.0, 0.0, 0.5]],
     [[0.5, 6.0], [4.0, 1.0]],
     [(DX_PADDED, (1, 1, 5, 5)), (FLIPPED, [[1.0, 0.0, -4.0], [0.0, 0.0, 0.0], [9.0, 0.0, -0.5]]),
      (STRIDE_IGNORED, [[-0.5, 3.0, 0.0], [-1.5, -0.5, 0.0], [0.0, 0.0, 0.0]])],
     [(STRIDE_IGNORED, [[0.5, 4.0], [-0.5, 5.5]])]),
]


def as_images(slips):
    """The slips of a case with their tables of rows as (1, 1, H, W) arrays; shapes kept."""
    return [(cause, wrong if isinstance(wrong, tuple) else image(wrong)) for cause, wrong in slips]


def one_filter(impl, cls, rng, stride, padding, dtype=np.float64):
    layer = getattr(impl.conv, cls)(1, 1, 2, rng, stride=stride, padding=padding,
                                    weight_init=impl.doubles.gaussian, dtype=dtype)
    fill(layer, ("params", "W"), image(KERNEL).astype(dtype))
    fill(layer, ("params", "b"), np.array([BIAS], dtype=dtype))
    return layer


@PER_CLASS
@pytest.mark.parametrize("rows, stride, padding, expected, slips",
                         [pytest.param(*case[1:], id=case[0]) for case in KNOWN])
def test_conv_forward_known_answer(impl, rng, cls, rows, stride, padding, expected, slips):
    layer = one_filter(impl, cls, rng, stride, padding)
    out = layer.forward(image(rows))
    assert_conv(f"{cls}(1, 1, kernel_size=2, stride={stride}, padding={padding}).forward(x) on "
                f"the {len(rows)}x{len(rows)} image x = {rows}, kernel {KERNEL}, bias 0.5"
                f"{same(cls)}", out, image(expected), as_images(slips), bias=np.array([BIAS]),
                sizes=size_text(len(rows), len(rows), 2, stride, padding))


@PER_CLASS
@pytest.mark.parametrize("stride, padding, dx, dW, dx_slips, dW_slips",
                         [pytest.param(*case[1:], id=case[0]) for case in KNOWN_BACKWARD])
def test_conv_backward_known_answer(impl, rng, cls, stride, padding, dx, dW, dx_slips, dW_slips):
    layer = one_filter(impl, cls, rng, stride, padding)
    layer.forward(image(X3))
    got = layer.backward(image(DOUT))
    what = (f" of {cls}(1, 1, kernel_size=2, stride={stride}, padding={padding}) on x = {X3}, "
            f"kernel {KERNEL}, dout = {DOUT} (small integers: exact)")
    assert_conv("dx" + what + same(cls), got, image(dx), as_images(dx_slips),
                overlaps=overlaps(3, 3, 2, stride, padding)[None, None])
    assert_conv('grads["W"]' + what, layer.grads["W"], image(dW),
                as_images(dW_slips) + [(DW_SWAPPED, (1, 1, 2, 2))])
    # db[f] sums dout over n, i and j: 1 - 2 + 3 + 0.5
    assert_conv('grads["b"]' + what, layer.grads["b"], np.array([2.5]), DB_SHAPES)


@PER_CLASS
def test_conv_float32_keeps_dtype(impl, rng, cls):
    stride, padding = 1, 1
    layer = one_filter(impl, cls, rng, stride, padding, dtype=np.float32)
    out = layer.forward(image(X3).astype(np.float32))
    what = f" of {cls}(1, 1, kernel_size=2, padding=1, dtype=np.float32) on float32 x = {X3}"
    # the known answer of 3x3_padding_1 above: small integers and halves, exact in float32
    assert_close("forward(x)" + what, out, image(KNOWN[1][4]).astype(np.float32), rtol=1e-6)
    dout = np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4) - 8.0
    dx = layer.backward(dout)
    assert_array("dx" + what + " and float32 dout", dx, (1, 1, 3, 3), np.float32)
    assert_array('grads["W"]' + what, layer.grads["W"], (1, 1, 2, 2), np.float32)
    assert_array('grads["b"]' + what, layer.grads["b"], (1,), np.float32)
    # db sums dout: -8 - 7 - ... + 7 = -8
    assert_close('grads["b"]' + what, layer.grads["b"], np.array([-8.0], dtype=np.float32))
    # the float64 layer on the same input: float32 must give the same numbers, rounded
    twin = one_filter(impl, cls, rng, stride, padding)
    twin.forward(image(X3))
    wide = twin.backward(dout.astype(np.float64))
    assert_close("dx" + what + " (against the same layer in float64)", dx, wide.astype(np.float32),
                 rtol=1e-5, atol=1e-5)
    assert_close('grads["W"]' + what + " (against the same layer in float64)", layer.grads["W"],
                 twin.grads["W"].astype(np.float32), rtol=1e-5, atol=1e-5)


# ---- identities ----------------------------------------------------------------------------------


def over_channels(matrix, pixels):
    """A Linear (F, C) on the channels of every pixel:
    out[n, f, i, j] = sum over c of matrix[f, c] * pixels[n, c, i, j]."""
    return np.einsum("fc,ncij->nfij", matrix, pixels)


@PER_CLASS
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)], ids=["unit_stride", "stride_2_padding_1"])
def test_conv_1x1_is_a_linear_layer_over_channels(impl, rng, cls, stride, padding):
    n, c, f, h, w = 2, 3, 4, 5, 7
    layer, W, b = make_conv(impl, cls, rng, c, f, 1, stride=stride, padding=padding)
    x, matrix = rng.standard_normal((n, c, h, w)), W[:, :, 0, 0]                 # matrix: (F, C)
    border = with_zero_border(x, padding)
    pixels = border[:, :, ::stride, ::stride]                                  # the pixels it sees
    oh, ow = pixels.shape[2:]
    # out[n, :, i, j] = W[:, :, 0, 0] @ x_pad[n, :, i * S, j * S] + b: a Linear on every pixel
    expected = over_channels(matrix, pixels) + b[:, None, None]
    slips = [(PADDING_IGNORED, (n, f) + output_hw(h, w, 1, stride, 0))]
    if stride > 1:       # the first OH x OW pixels, or all of them, at stride 1
        slips += [(STRIDE_IGNORED, over_channels(matrix, border[:, :, :oh, :ow]) + b[:, None, None]),
                  (STRIDE_IGNORED, (n, f) + border.shape[2:])]
    what = f"{described(cls, c, f, 1, stride, padding)}, a 1 x 1 kernel"
    out = layer.forward(x.copy())
    assert_conv(f"{what}: forward(x), which is W[:, :, 0, 0] @ x_pad[n, :, i * S, j * S] + b at "
                f"every pixel{same(cls)}", out, expected, slips, bias=b,
                sizes=size_text(h, w, 1, stride, padding))
    dout = rng.standard_normal(expected.shape)
    dx = layer.backward(dout.copy())
    dpixels = over_channels(matrix.T, dout)                                   # the Linear's dx
    dx_pad = np.zeros(border.shape)
    dx_pad[:, :, ::stride, ::stride] = dpixels
    expected_dx = dx_pad[:, :, padding:padding + h, padding:padding + w]
    slips = [(DX_PADDED, border.shape)] if padding else []
    if stride > 1:       # each pixel's gradient put back at stride 1
        unstrided = np.zeros(border.shape)
        unstrided[:, :, :oh, :ow] = dpixels
        slips.append((STRIDE_IGNORED, unstrided[:, :, padding:padding + h, padding:padding + w]))
    assert_conv(f"{what}: dx, which is W[:, :, 0, 0].T @ dout at every pixel seen{same(cls)}", dx,
                expected_dx, slips)
    expected_dW = np.einsum("nfij,ncij->fc", dout, pixels)[:, :, None, None]
    assert_conv(f'{what}: grads["W"], which is sum over n, i, j of dout[n, :, i, j] x_pad[n, :, '
                f'i * S, j * S]^T', layer.grads["W"], expected_dW)


PERMUTATION = [1, 2, 0]         # filter f copies input channel PERMUTATION[f]
INVERSE = [2, 0, 1]             # channel c is copied by filter INVERSE[c]


@PER_CLASS
def test_conv_kernel_with_a_single_one_shifts_the_image(impl, rng, cls):
    n, c, h, w = 2, 3, 4, 5
    layer, _, _ = make_conv(impl, cls, rng, c, c, 3, padding=1, bias=False)
    W = np.zeros((c, c, 3, 3))
    for f, channel in enumerate(PERMUTATION):
        W[f, channel, 0, 2] = 1.0              # the one at row 0, column 2 of a 3 x 3 kernel
    fill(layer, ("params", "W"), W)
    x = rng.standard_normal((n, c, h, w))
    # with padding 1, out[n, f, i, j] = x_pad[n, p(f), i + 0, j + 2] = x[n, p(f), i - 1, j + 1]
    expected = np.zeros((n, c, h, w))
    expected[:, :, 1:, :-1] = x[:, PERMUTATION, :-1, 1:]
    # flipped, the one is at row 2, column 0: x[n, p(f), i + 1, j - 1];
    # W[:, c] read as filter c: filter f copies the channel c with p(c) = f
    flipped, swapped = np.zeros((n, c, h, w)), np.zeros((n, c, h, w))
    flipped[:, :, :-1, 1:] = x[:, PERMUTATION, 1:, :-1]
    swapped[:, :, 1:, :-1] = x[:, INVERSE, :-1, 1:]
    out = layer.forward(x.copy())
    what = (f"{described(cls, c, c, 3, 1, 1)} whose filter f has a single 1, at row 0 and column 2 "
            f"of its kernel on channel {PERMUTATION}[f]")
    assert_conv(f"{what}: forward(x) must be channel {PERMUTATION}[f] of x moved one row down and "
                f"one column left{same(cls)}", out, expected,
                [(FLIPPED, flipped), (SWAPPED, swapped), (PADDING_IGNORED, (n, c, h - 2, w - 2))])
    dout = rng.standard_normal((n, c, h, w))
    expected_dx = np.zeros((n, c, h, w))
    expected_dx[:, PERMUTATION, :-1, 1:] = dout[:, :, 1:, :-1]                # moved back
    flipped_dx = np.zeros((n, c, h, w))
    flipped_dx[:, PERMUTATION, 1:, :-1] = dout[:, :, :-1, 1:]
    dx = layer.backward(dout.copy())
    assert_conv(f"{what}: dx must be dout moved back, one row up and one column right"
                f"{same(cls)}", dx, expected_dx,
                [(FLIPPED, flipped_dx), (DX_PADDED, (n, c, h + 2, w + 2))],
                overlaps=np.broadcast_to(overlaps(h, w, 3, 1, 1), (n, c, h, w)))


# ---- gradients and shapes, on random cases --------------------------------------------------------


@PER_CLASS
@PER_CASE
def test_conv_backward(impl, rng, cls, n, c, h, w, f, kernel, stride, padding):
    layer, _, _ = make_conv(impl, cls, rng, c, f, kernel, stride, padding)
    errors = check_layer_gradients(layer, rng.standard_normal((n, c, h, w)), rng, max_coords=30)
    assert set(errors) == {"dx", "W", "b"}


# (id, H, W, kernel_size, stride, padding): odd sizes, where an off-by-one shows
SIZES = [
    ("7x5_k3_s2_p1", 7, 5, 3, 2, 1),
    ("9x4_k5x2_s2x1_p2x0", 9, 4, (5, 2), (2, 1), (2, 0)),
    ("5x7_k1x3_s1x2_p0", 5, 7, (1, 3), (1, 2), 0),
    ("3x3_k3_one_output", 3, 3, 3, 1, 0),
    ("1x1_k3_p1", 1, 1, 3, 1, 1),
]
PER_SIZE = pytest.mark.parametrize("h, w, kernel, stride, padding",
                                   [pytest.param(*case[1:], id=case[0]) for case in SIZES])


def assert_shape(name, got, shape, why):
    """``got`` is a float64 array of ``shape``; ``why`` says how that shape comes about."""
    if type(got) is np.ndarray and got.shape != tuple(shape):
        raise AssertionError(f"{name}: expected shape {fmt_shape(shape)}, got shape "
                             f"{fmt_shape(got.shape)}: {why}.")
    assert_array(name, got, shape, np.float64)


@PER_CLASS
@PER_SIZE
def test_conv_output_shape(impl, rng, cls, h, w, kernel, stride, padding):
    n, c, f = 2, 2, 3
    layer, _, _, x, out = forward_of_random_x(impl, rng, cls, n, c, h, w, f, kernel, stride, padding)
    layer_text, x_text = described(cls, c, f, kernel, stride, padding), fmt_shape(x.shape)
    shape = (n, f) + output_hw(h, w, kernel, stride, padding)
    assert_shape(f"{layer_text}.forward(x) with x of shape {x_text}", out, shape,
                 size_text(h, w, kernel, stride, padding))
    dx = layer.backward(rng.standard_normal(shape))
    where = f" of {layer_text} on x of shape {x_text}"
    assert_shape("dx" + where, dx, x.shape, DX_PADDED if padding else "dx has the shape of x")
    assert_shape('grads["W"]' + where, layer.grads["W"], (f, c) + pair(kernel), DW_SWAPPED)
    assert_shape('grads["b"]' + where, layer.grads["b"], (f,), DB_AXES)


# ---- the layer contract -------------------------------------------------------------------------


@PER_CLASS
def test_conv_inputs_unchanged(impl, rng, cls):
    n, c, h, w, f, kernel, stride, padding = 2, 2, 5, 5, 2, 3, 2, 1
    layer, W, b = make_conv(impl, cls, rng, c, f, kernel, stride, padding)
    x, dout = rng.standard_normal((n, c, h, w)), rng.standard_normal((n, f, 3, 3))
    before = snapshot(x, dout)
    out = layer.forward(x)
    dx = layer.backward(dout)
    advice = ("pad into a new array (np.pad returns one) and compute into new arrays; never write "
              "into x, dout or the parameters")
    for name, old, new in zip(["x", "dout", 'params["W"]', 'params["b"]'], before + [W, b],
                              [x, dout, layer.params["W"], layer.params["b"]]):
        assert_unchanged(f"{name} (after {cls}.forward and backward)", old, new, advice)
    assert_array(f"{cls}.forward(x)", out, (n, f, 3, 3), np.float64)
    assert_array("dx", dx, x.shape, np.float64)


@PER_CLASS
def test_conv_backward_twice_same_grads(impl, rng, cls):
    n, c, h, w, f, kernel, stride, padding = 2, 2, 4, 5, 3, (2, 3), 1, (1, 0)
    layer, _, _ = make_conv(impl, cls, rng, c, f, kernel, stride, padding)
    x = rng.standard_normal((n, c, h, w))
    layer.forward(x.copy())
    dout = rng.standard_normal((n, f, 5, 3))
    dx1 = layer.backward(dout.copy())
    assert_array("dx (first backward)", dx1, x.shape, np.float64)
    first = {key: layer.grads[key] for key in ("W", "b")}
    dx2 = layer.backward(dout.copy())
    for key in ("W", "b"):
        assert_close(f'grads["{key}"] (second backward after one forward: overwritten, not '
                     f'accumulated)', layer.grads[key], first[key])
    assert_close("dx (second backward after one forward: does backward change what forward "
                 "cached?)", dx2, dx1)


# ---- speed ------------------------------------------------------------------------------------------

SPEED = (2, 3, 128, 4)        # N, C, H = W, F: one pass is 2 * 128 * 128 = 32,768 windows
PASSES = 10                   # forward + backward passes timed (the reference: ~8 ms each,
                              # half of it moving the arrays; a loop over positions: ~0.3 s)


def matrix_products_seconds(rows, inner, f, rng):
    """The least CPU time, over 5 tries, of a pass's multiply-adds done as three matrix products
    of random arrays (rows x inner by inner x f, and back): a yardstick for a vectorized pass."""
    a, m = rng.standard_normal((rows, inner)), rng.standard_normal((inner, f))
    d = rng.standard_normal((rows, f))
    seconds = []
    for _ in range(5):
        started = time.process_time()
        _ = (a @ m, d.T @ a, d @ m.T)
        seconds.append(time.process_time() - started)
    return min(seconds)


@pytest.mark.exercise("conv")
def test_conv2d_is_vectorized(impl, rng):
    n, c, size, f = SPEED
    layer, _, b = make_conv(impl, "Conv2d", rng, c, f, 3, padding=1)
    # filter k has a single weight, at channel channel[k], row u[k], column v[k]: out[:, k] is
    # that channel of x_pad, shifted, times the weight, plus b[k] (checked in a few microseconds)
    channel, u, v = rng.integers(0, c, f), rng.integers(0, 3, f), rng.integers(0, 3, f)
    weight = rng.uniform(0.5, 2.0, f)
    W = np.zeros((f, c, 3, 3))
    W[np.arange(f), channel, u, v] = weight
    fill(layer, ("params", "W"), W)
    x, dout = rng.standard_normal((n, c, size, size)), rng.standard_normal((n, f, size, size))
    start, budget = cpu_used(impl)
    passes, spent = 0, 0.0
    while passes < PASSES and spent <= budget:    # stop once over the budget, long before a timeout
        out = layer.forward(x)
        dx = layer.backward(dout)
        passes += 1
        spent = cpu_used(impl)[0] - start
    border = with_zero_border(x, 1)
    expected = np.stack([weight[k] * border[:, channel[k], u[k]:u[k] + size, v[k]:v[k] + size] + b[k]
                         for k in range(f)], axis=1)
    dx_pad = np.zeros(border.shape)
    for k in range(f):                  # each filter's dout goes back where its weight read x
        dx_pad[:, channel[k], u[k]:u[k] + size, v[k]:v[k] + size] += weight[k] * dout[:, k]
    what = (f" of Conv2d({c}, {f}, 3, padding=1) at N={n}, C={c}, {size}x{size}, each filter with a "
            f"single nonzero weight")
    assert_close("forward(x)" + what, out, expected, rtol=1e-9, atol=1e-9)
    assert_close("dx" + what, dx, dx_pad[:, :, 1:-1, 1:-1], rtol=1e-9, atol=1e-9)
    assert_close('grads["b"]' + what, layer.grads["b"], np.einsum("nkij->k", dout), rtol=1e-9, atol=1e-9)
    if spent > budget:
        reference = max(matrix_products_seconds(n * size * size, c * 9, f, rng), 1e-3)
        raise TooSlow(
            f"your Conv2d.forward + backward is about {spent / passes / reference:.0f}× slower than "
            f"a vectorized one at N={n}, C={c}, {size}x{size} with {f} filters 3x3 and padding 1: "
            f"{spent / passes:.2g} s a pass, against {reference * 1000:.0f} ms here for its "
            f"multiply-adds as matrix products ({passes} pass{'es' * (passes > 1)} used "
            f"{spent:.2g} s of CPU time; this check's budget is {budget:g} s). A Python loop over "
            f"the output positions? Take every window at once (one matrix product forward), and "
            f"put dx back with one slice-add per kernel offset (u, v).")
