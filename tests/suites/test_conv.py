"""Checks for the convolution layers: exercises conv_naive (Conv2dNaive) and conv (Conv2d).

Both classes are one layer, PyTorch's Conv2d: a cross-correlation over NCHW images, weights
(F, C, KH, KW), stride and zero padding per axis. Most checks run on each class, marked with
its own exercise. Conv2d is compared with the trusted references here, never with the
student's Conv2dNaive, so that a slip in one exercise cannot fail the other. The trusted
references loop over n, f, i and j in float64, with np.sum over each window of an image
padded by writing it into zeros. Known answers are worked out by hand in the checks. The
weights come from a trusted initializer (impl.doubles.gaussian) and the bias is never zero.
Conv2d also has a speed check: a Python loop over the output positions makes it too slow.
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

# ---- trusted references ---------------------------------------------------------------------


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def padded(x, padding):
    """x (N, C, H, W) with PH zeros above and below and PW left and right, written into zeros."""
    ph, pw = padding
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + w] = x
    return xp


def conv_forward(x, W, b, stride, padding):
    """out[n, f, i, j] = b[f] + sum(W[f] * the window of x_pad at row i * SH, column j * SW)."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    filters, _, kh, kw = W.shape
    xp = padded(x, (ph, pw))
    out = np.empty((len(x), filters, (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1))
    for n, f, i, j in np.ndindex(out.shape):
        out[n, f, i, j] = b[f] + np.sum(W[f] * xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw])
    return out


def conv_backward(x, W, dout, stride, padding):
    """(dx, dW, db, dx_pad): each out[n, f, i, j] sends dout[n, f, i, j] times its window to W[f],
    times W[f] to its window of x_pad, and itself to b[f]. The loops follow dout's shape, so a
    stride of 1 with a strided dout models windows that do not move by the stride."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    kh, kw = W.shape[2:]
    xp = padded(x, (ph, pw))
    dxp, dW, db = np.zeros(xp.shape), np.zeros(W.shape), np.zeros(len(W))
    for n, f, i, j in np.ndindex(dout.shape):
        rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
        dW[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
        dxp[n, :, rows, cols] += dout[n, f, i, j] * W[f]
        db[f] += dout[n, f, i, j]
    h, w = x.shape[2:]
    return dxp[:, :, ph:ph + h, pw:pw + w], dW, db, dxp


def windows(xp, kh, kw):
    """Every KH x KW window of xp (N, C, H, W) at stride 1, a read-only view (N, C, OH, OW, KH, KW)."""
    n, c, h, w = xp.shape
    return np.lib.stride_tricks.as_strided(xp, (n, c, h - kh + 1, w - kw + 1, kh, kw),
                                           xp.strides + xp.strides[2:], writeable=False)


def fast_conv(x, W, b, dout, padding):
    """(out, dx, dW, db) at stride 1, vectorized, for the speed check: dx is the cross-correlation
    of dout padded by K - 1 - P with the flipped kernel, its axes F and C swapped."""
    kh, kw = W.shape[2:]
    win = windows(padded(x, (padding, padding)), kh, kw)
    out = np.einsum("ncijuv,fcuv->nfij", win, W, optimize=True) + b[:, None, None]
    back = windows(padded(dout, (kh - 1 - padding, kw - 1 - padding)), kh, kw)
    dx = np.einsum("nfijuv,fcuv->ncij", back, W[:, :, ::-1, ::-1], optimize=True)
    dW = np.einsum("nfij,ncijuv->fcuv", dout, win, optimize=True)
    return out, dx, dW, dout.sum(axis=(0, 2, 3))


# ---- helpers -------------------------------------------------------------------------------------


def make_conv(impl, cls, rng, c, f, kernel, stride=1, padding=0, dtype=np.float64, bias=True):
    """(layer, W, b): impl.conv.<cls> with trusted random weights and a nonzero random bias."""
    layer = getattr(impl.conv, cls)(c, f, kernel, rng, stride=stride, padding=padding,
                                    weight_init=impl.doubles.gaussian, dtype=dtype)
    b = rng.uniform(0.5, 2.0, f) * rng.choice([-1.0, 1.0], f) if bias else np.zeros(f)
    fill(layer, ("params", "b"), b.astype(dtype))
    return layer, np.array(layer.params["W"], dtype=np.float64), b.astype(dtype).astype(np.float64)


def described(cls, c, f, kernel, stride, padding):
    return f"{cls}({c}, {f}, kernel_size={kernel}, stride={stride}, padding={padding})"


def same(cls):
    return SAME_AS_NAIVE if cls == "Conv2d" else ""


def size_text(h, w, kernel, stride, padding):
    """The output size worked out, for a message."""
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding)
    return (f"the output size is (H + 2P - KH) / S + 1 on each axis: ({h} + 2 * {ph} - {kh}) / {sh} "
            f"+ 1 = {(h + 2 * ph - kh) // sh + 1} rows, ({w} + 2 * {pw} - {kw}) / {sw} + 1 = "
            f"{(w + 2 * pw - kw) // sw + 1} columns")


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


def forward_slips(x, W, b, stride, padding):
    """[(cause, what that slip computes)] for the forward pass."""
    (sh, sw), oh_ow = pair(stride), conv_forward(x, W, b, stride, padding).shape[2:]
    unstrided = conv_forward(x, W, b, 1, padding)
    slips = [(FLIPPED, conv_forward(x, W[:, :, ::-1, ::-1], b, stride, padding)),
             (STRIDE_IGNORED, unstrided), (STRIDE_IGNORED, unstrided[:, :, :oh_ow[0], :oh_ow[1]])]
    if W.shape[0] == W.shape[1]:
        slips.append((SWAPPED, conv_forward(x, W.transpose(1, 0, 2, 3), b, stride, padding)))
    spans = x.shape[2] - W.shape[2], x.shape[3] - W.shape[3]
    if min(spans) >= 0 and spans[0] % sh == 0 and spans[1] % sw == 0:
        slips.append((PADDING_IGNORED, conv_forward(x, W, b, stride, 0)))
    return slips


def overlaps(x, W, dout, stride, padding):
    """A mask of the entries of x (and dx) inside more than one window."""
    counts = conv_backward(x, np.ones((1,) + W.shape[1:]), np.ones((len(x), 1) + dout.shape[2:]),
                           stride, padding)[0]                      # windows over each entry
    return counts > 1


def backward_slips(x, W, dout, stride, padding):
    """{"dx" | "W" | "b": [(cause, what that slip computes, or the shape it gives)]} for backward."""
    _, _, _, dxp = conv_backward(x, W, dout, stride, padding)
    flipped = conv_backward(x, W[:, :, ::-1, ::-1], dout, stride, padding)
    unstrided = conv_backward(x, W, dout, 1, padding)
    return {"dx": [(DX_PADDED, dxp), (FLIPPED, flipped[0]), (STRIDE_IGNORED, unstrided[0])],
            "W": [(DW_SWAPPED, W.shape[:2][::-1] + W.shape[2:]), (STRIDE_IGNORED, unstrided[1])],
            "b": [(DB_AXES, dout.shape[1:]), (DB_AXES, dout.shape[:2]), (DB_AXES, ())]}


def assert_backward(cls, layer, x, W, dout, stride, padding, what=""):
    """dx, grads["W"] and grads["b"] of ``layer`` (after its forward on x) equal the trusted ones."""
    dx = layer.backward(dout.copy())
    right, slips = conv_backward(x, W, dout, stride, padding), backward_slips(x, W, dout, stride, padding)
    assert_conv(f"dx{what}{same(cls)}", dx, right[0], slips["dx"],
                overlaps=overlaps(x, W, dout, stride, padding))
    assert_conv(f'grads["W"]{what}', layer.grads["W"], right[1], slips["W"])
    assert_conv(f'grads["b"]{what}', layer.grads["b"], right[2], slips["b"])


# ---- known answers, worked out by hand ----------------------------------------------------------

X3 = [[1.0, 2.0, -2.0], [3.0, -1.0, 4.0], [2.0, 5.0, 1.0]]
X4 = [[1.0, 2.0, 0.0, -1.0], [3.0, -1.0, 2.0, 1.0], [0.0, 4.0, -2.0, 3.0], [1.0, 1.0, 2.0, -3.0]]
KERNEL = [[1.0, 2.0], [3.0, -1.0]]        # not symmetric: a flipped kernel gives other numbers
BIAS = 0.5
DOUT = [[1.0, -2.0], [3.0, 0.5]]

# out[i, j] = x_pad[i, j] + 2 x_pad[i, j + 1] + 3 x_pad[i + 1, j] - x_pad[i + 1, j + 1] + 0.5
KNOWN = [
    # (0, 0): 1 + 2*2 + 3*3 - (-1) = 15; (0, 1): 2 + 2*(-2) + 3*(-1) - 4 = -9;
    # (1, 0): 3 + 2*(-1) + 3*2 - 5 = 2;  (1, 1): -1 + 2*4 + 3*5 - 1 = 21
    ("3x3_no_padding", X3, 1, 0, [[15.5, -8.5], [2.5, 21.5]]),
    # a ring of zeros around X3; the middle 2 x 2 is the case above
    ("3x3_padding_1", X3, 1, 1, [[-0.5, 1.5, 8.5, -5.5], [-0.5, 15.5, -8.5, 10.5],
                                 [4.5, 2.5, 21.5, 7.5], [4.5, 12.5, 7.5, 1.5]]),
    # windows at rows and columns 0 and 3 of the padded 5 x 5: each holds one corner of X3, at
    # the kernel's opposite corner: 1 * (-1), -2 * 3, 2 * 2, 1 * 1
    ("3x3_padding_1_stride_3", X3, 3, 1, [[-0.5, -5.5], [4.5, 1.5]]),
    # four 2 x 2 blocks that do not overlap: 1 + 4 + 9 + 1, 0 - 2 + 6 - 1, 0 + 8 + 3 - 1, -2 + 6 + 6 + 3
    ("4x4_stride_2", X4, 2, 0, [[15.5, 3.5], [10.5, 13.5]]),
]

KNOWN_BACKWARD = [
    # dW[u, v] = sum over i, j of dout[i, j] * x[i + u, j + v]; dx[p, q] = sum of dout[i, j] *
    # K[p - i, q - j]: e.g. dx[1, 1] = 1*(-1) - 2*3 + 3*2 + 0.5*1 = -0.5
    ("3x3_no_padding", 1, 0, [[1.0, 0.0, -4.0], [6.0, -0.5, 3.0], [9.0, -1.5, -0.5]],
     [[5.5, 5.0], [13.5, 6.5]]),
    # only X3's corners are in a window, each at one kernel entry: dx[0, 0] = 1 * K[1, 1],
    # dx[0, 2] = -2 * K[1, 0], ...; dW[1, 1] = 1 * x[0, 0], dW[1, 0] = -2 * x[0, 2], ...
    ("3x3_padding_1_stride_3", 3, 1, [[-1.0, 0.0, -6.0], [0.0, 0.0, 0.0], [6.0, 0.0, 0.5]],
     [[0.5, 6.0], [4.0, 1.0]]),
]


def one_filter(impl, cls, rng, stride, padding):
    layer = getattr(impl.conv, cls)(1, 1, 2, rng, stride=stride, padding=padding,
                                    weight_init=impl.doubles.gaussian)
    fill(layer, ("params", "W"), np.array(KERNEL)[None, None])
    fill(layer, ("params", "b"), [BIAS])
    return layer


@PER_CLASS
@pytest.mark.parametrize("image, stride, padding, expected",
                         [pytest.param(*case[1:], id=case[0]) for case in KNOWN])
def test_conv_forward_known_answer(impl, rng, cls, image, stride, padding, expected):
    layer = one_filter(impl, cls, rng, stride, padding)
    x = np.array(image)[None, None]
    W, b = np.array(KERNEL)[None, None], np.array([BIAS])
    out = layer.forward(x.copy())
    assert_conv(f"{cls}(1, 1, kernel_size=2, stride={stride}, padding={padding}).forward(x) on "
                f"the {len(image)}x{len(image)} image x = {image}, kernel {KERNEL}, bias 0.5"
                f"{same(cls)}", out, np.array(expected)[None, None],
                forward_slips(x, W, b, stride, padding), bias=b,
                sizes=size_text(len(image), len(image), 2, stride, padding))


@PER_CLASS
@pytest.mark.parametrize("stride, padding, dx, dW", [pytest.param(*case[1:], id=case[0])
                                                     for case in KNOWN_BACKWARD])
def test_conv_backward_known_answer(impl, rng, cls, stride, padding, dx, dW):
    layer = one_filter(impl, cls, rng, stride, padding)
    x, dout = np.array(X3)[None, None], np.array(DOUT)[None, None]
    W = np.array(KERNEL)[None, None]
    layer.forward(x.copy())
    got = layer.backward(dout.copy())
    slips = backward_slips(x, W, dout, stride, padding)
    what = (f" of {cls}(1, 1, kernel_size=2, stride={stride}, padding={padding}) on x = {X3}, "
            f"kernel {KERNEL}, dout = {DOUT} (small integers: exact)")
    assert_conv("dx" + what + same(cls), got, np.array(dx)[None, None], slips["dx"],
                overlaps=overlaps(x, W, dout, stride, padding))
    assert_conv('grads["W"]' + what, layer.grads["W"], np.array(dW)[None, None], slips["W"])
    assert_conv('grads["b"]' + what, layer.grads["b"], np.array([2.5]), slips["b"])


# ---- identities ----------------------------------------------------------------------------------


@PER_CLASS
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)], ids=["unit_stride", "stride_2_padding_1"])
def test_conv_1x1_is_a_linear_layer_over_channels(impl, rng, cls, stride, padding):
    n, c, f, h, w = 2, 3, 4, 5, 7
    layer, W, b = make_conv(impl, cls, rng, c, f, 1, stride=stride, padding=padding)
    x, matrix = rng.standard_normal((n, c, h, w)), W[:, :, 0, 0]                 # matrix: (F, C)
    pixels = padded(x, (padding, padding))[:, :, ::stride, ::stride]           # the pixels it sees
    # out[n, :, i, j] = W[:, :, 0, 0] @ x_pad[n, :, i * S, j * S] + b: a Linear on every pixel
    expected = np.moveaxis(np.moveaxis(pixels, 1, -1) @ matrix.T + b, -1, 1)
    what = f"{described(cls, c, f, 1, stride, padding)}, a 1 x 1 kernel"
    out = layer.forward(x.copy())
    assert_conv(f"{what}: forward(x), which is W[:, :, 0, 0] @ x_pad[n, :, i * S, j * S] + b at "
                f"every pixel{same(cls)}", out, expected, forward_slips(x, W, b, stride, padding),
                bias=b, sizes=size_text(h, w, 1, stride, padding))
    dout = rng.standard_normal(expected.shape)
    dx = layer.backward(dout.copy())
    dpixels = np.moveaxis(np.moveaxis(dout, 1, -1) @ matrix, -1, 1)           # the Linear's dx
    dx_pad = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    dx_pad[:, :, ::stride, ::stride] = dpixels
    expected_dx = dx_pad[:, :, padding:padding + h, padding:padding + w]
    assert_conv(f"{what}: dx, which is W[:, :, 0, 0].T @ dout at every pixel seen{same(cls)}", dx,
                expected_dx, backward_slips(x, W, dout, stride, padding)["dx"])
    expected_dW = np.einsum("nfij,ncij->fc", dout, pixels)[:, :, None, None]
    assert_conv(f'{what}: grads["W"], which is sum over n, i, j of dout[n, :, i, j] x_pad[n, :, '
                f'i * S, j * S]^T', layer.grads["W"], expected_dW)


PERMUTATION = [1, 2, 0]         # filter f copies input channel PERMUTATION[f]


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
    out = layer.forward(x.copy())
    what = (f"{described(cls, c, c, 3, 1, 1)} whose filter f has a single 1, at row 0 and column 2 "
            f"of its kernel on channel {PERMUTATION}[f]")
    assert_conv(f"{what}: forward(x) must be channel {PERMUTATION}[f] of x moved one row down and "
                f"one column left{same(cls)}", out, expected, forward_slips(x, W, np.zeros(c), 1, 1))
    dout = rng.standard_normal((n, c, h, w))
    expected_dx = np.zeros((n, c, h, w))
    expected_dx[:, PERMUTATION, :-1, 1:] = dout[:, :, 1:, :-1]                # moved back
    dx = layer.backward(dout.copy())
    assert_conv(f"{what}: dx must be dout moved back, one row up and one column right"
                f"{same(cls)}", dx, expected_dx, backward_slips(x, W, dout, 1, 1)["dx"],
                overlaps=overlaps(x, W, dout, 1, 1))


# ---- the definition, on random cases --------------------------------------------------------------


@PER_CLASS
@PER_CASE
def test_conv_forward_matches_the_definition(impl, rng, cls, n, c, h, w, f, kernel, stride, padding):
    layer, W, b = make_conv(impl, cls, rng, c, f, kernel, stride, padding)
    x = rng.standard_normal((n, c, h, w))
    out = layer.forward(x.copy())
    assert_conv(f"{described(cls, c, f, kernel, stride, padding)}.forward(x) with x of shape "
                f"{fmt_shape(x.shape)}{same(cls)}", out, conv_forward(x, W, b, stride, padding),
                forward_slips(x, W, b, stride, padding), bias=b,
                sizes=size_text(h, w, kernel, stride, padding))


@PER_CLASS
@PER_CASE
def test_conv_backward_matches_the_definition(impl, rng, cls, n, c, h, w, f, kernel, stride, padding):
    layer, W, _ = make_conv(impl, cls, rng, c, f, kernel, stride, padding)
    x = rng.standard_normal((n, c, h, w))
    out = layer.forward(x.copy())
    assert_array(f"{described(cls, c, f, kernel, stride, padding)}.forward(x)", out,
                 conv_forward(x, W, np.zeros(f), stride, padding).shape, np.float64)
    assert_backward(cls, layer, x, W, rng.standard_normal(out.shape), stride, padding,
                    f" of {described(cls, c, f, kernel, stride, padding)} on x of shape "
                    f"{fmt_shape(x.shape)}")


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


@PER_CLASS
@pytest.mark.parametrize("h, w, kernel, stride, padding",
                         [pytest.param(*case[1:], id=case[0]) for case in SIZES])
def test_conv_output_size(impl, rng, cls, h, w, kernel, stride, padding):
    n, c, f = 2, 2, 3
    layer, W, b = make_conv(impl, cls, rng, c, f, kernel, stride, padding)
    x = rng.standard_normal((n, c, h, w))
    out = layer.forward(x.copy())
    layer_text, x_text = described(cls, c, f, kernel, stride, padding), fmt_shape(x.shape)
    assert_conv(f"{layer_text}.forward(x) with x of shape {x_text}", out,
                conv_forward(x, W, b, stride, padding), forward_slips(x, W, b, stride, padding),
                bias=b, sizes=size_text(h, w, kernel, stride, padding))
    assert_backward(cls, layer, x, W, rng.standard_normal(out.shape), stride, padding,
                    f" of {layer_text} on x of shape {x_text} (dx has the shape of x)")


# ---- the layer contract -------------------------------------------------------------------------


@PER_CLASS
def test_conv_float32_keeps_dtype(impl, rng, cls):
    n, c, h, w, f, kernel, stride, padding = 2, 2, 5, 6, 3, (3, 2), (2, 1), (1, 0)
    layer, W, b = make_conv(impl, cls, rng, c, f, kernel, stride, padding, dtype=np.float32)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    out = layer.forward(x.copy())
    x64 = x.astype(np.float64)
    expected = conv_forward(x64, W, b, stride, padding)
    what = f" of {described(cls, c, f, kernel, stride, padding)} built with dtype=np.float32, on float32 x"
    assert_close("forward(x)" + what, out, expected.astype(np.float32), rtol=1e-4, atol=1e-5)
    dout = rng.standard_normal(expected.shape).astype(np.float32)
    dx = layer.backward(dout.copy())
    right = conv_backward(x64, W, dout.astype(np.float64), stride, padding)
    assert_close("dx" + what + " and float32 dout", dx, right[0].astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_close('grads["W"]' + what, layer.grads["W"], right[1].astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_close('grads["b"]' + what, layer.grads["b"], right[2].astype(np.float32), rtol=1e-4, atol=1e-5)


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
    assert_close(f"{cls}.forward(x)", out, conv_forward(x, W, b, stride, padding))
    assert_close("dx", dx, conv_backward(x, W, dout, stride, padding)[0])


@PER_CLASS
def test_conv_backward_twice_same_grads(impl, rng, cls):
    n, c, h, w, f, kernel, stride, padding = 2, 2, 4, 5, 3, (2, 3), 1, (1, 0)
    layer, W, _ = make_conv(impl, cls, rng, c, f, kernel, stride, padding)
    x = rng.standard_normal((n, c, h, w))
    layer.forward(x.copy())
    dout = rng.standard_normal((n, f, 5, 3))
    dx1 = layer.backward(dout.copy())
    first = {key: layer.grads[key] for key in ("W", "b")}
    dx2 = layer.backward(dout.copy())
    for key in ("W", "b"):
        assert_close(f'grads["{key}"] (second backward after one forward: overwritten, not '
                     f'accumulated)', layer.grads[key], first[key])
    assert_close("dx (second backward after one forward: does backward change what forward "
                 "cached?)", dx2, dx1)
    assert_close("dx", dx1, conv_backward(x, W, dout, stride, padding)[0])


# ---- speed ------------------------------------------------------------------------------------------

SPEED = (2, 3, 128, 4)        # N, C, H = W, F: one pass is 2 * 128 * 128 = 32,768 windows
PASSES = 10                   # forward + backward passes timed (the reference: ~8 ms each,
                              # half of it moving the arrays; a loop over positions: ~0.3 s)


@pytest.mark.exercise("conv")
def test_conv2d_is_vectorized(impl, rng):
    n, c, size, f = SPEED
    layer, W, b = make_conv(impl, "Conv2d", rng, c, f, 3, padding=1)
    x, dout = rng.standard_normal((n, c, size, size)), rng.standard_normal((n, f, size, size))
    start, budget = cpu_used(impl)
    passes, spent = 0, 0.0
    while passes < PASSES and spent <= budget:    # stop once over the budget, long before a timeout
        out = layer.forward(x)
        dx = layer.backward(dout)
        passes += 1
        spent = cpu_used(impl)[0] - start
    seconds = []
    for _ in range(5):
        started = time.process_time()
        right = fast_conv(x, W, b, dout, 1)
        seconds.append(time.process_time() - started)
    what = f" of Conv2d({c}, {f}, 3, padding=1) at N={n}, C={c}, {size}x{size}"
    assert_close("forward(x)" + what, out, right[0], rtol=1e-9, atol=1e-9)
    assert_close("dx" + what, dx, right[1], rtol=1e-9, atol=1e-9)
    assert_close('grads["W"]' + what, layer.grads["W"], right[2], rtol=1e-9, atol=1e-9)
    assert_close('grads["b"]' + what, layer.grads["b"], right[3], rtol=1e-9, atol=1e-9)
    if spent > budget:
        reference = max(min(seconds), 1e-3)
        raise TooSlow(
            f"your Conv2d.forward + backward is about {spent / passes / reference:.0f}× slower than "
            f"a vectorized one at N={n}, C={c}, {size}x{size} with {f} filters 3x3 and padding 1: "
            f"{spent / passes:.2g} s a pass, against {reference * 1000:.0f} ms here ({passes} "
            f"pass{'es' * (passes > 1)} used {spent:.2g} s of CPU time; this check's budget is "
            f"{budget:g} s). A Python loop over the output positions? Take every window at once "
            f"(one matrix product forward), and put dx back with one slice-add per kernel offset "
            f"(u, v).")
