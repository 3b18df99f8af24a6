"""Hidden checks of the convolution layers (conv_naive, conv): the definition on random cases.

The trusted references loop over n, f, i and j in float64, with np.sum over each window of an
image padded by writing it into zeros; their variants compute what each known slip gives, so
that a check names the one it sees. They stay out of the handout: the visible checks
(tests/suites/test_conv.py) hold known answers, identities and gradient checks only.
"""
import numpy as np

from tests.checks import assert_array, assert_close, fmt_shape
from tests.suites.test_conv import (
    DB_AXES,
    DW_SWAPPED,
    DX_PADDED,
    FLIPPED,
    PADDING_IGNORED,
    PER_CASE,
    PER_CLASS,
    PER_SIZE,
    STRIDE_IGNORED,
    SWAPPED,
    assert_conv,
    described,
    forward_of_random_x,
    overlaps,
    same,
    size_text,
)

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
    h, w = x.shape[2:]
    mask = np.broadcast_to(overlaps(h, w, W.shape[2:], stride, padding), x.shape)
    assert_conv(f"dx{what}{same(cls)}", dx, right[0], slips["dx"], overlaps=mask)
    assert_conv(f'grads["W"]{what}', layer.grads["W"], right[1], slips["W"])
    assert_conv(f'grads["b"]{what}', layer.grads["b"], right[2], slips["b"])


# ---- the definition, on random cases --------------------------------------------------------------


@PER_CLASS
@PER_CASE
def test_conv_forward_matches_the_definition(impl, rng, cls, n, c, h, w, f, kernel, stride, padding):
    _, W, b, x, out = forward_of_random_x(impl, rng, cls, n, c, h, w, f, kernel, stride, padding)
    assert_conv(f"{described(cls, c, f, kernel, stride, padding)}.forward(x) with x of shape "
                f"{fmt_shape(x.shape)}{same(cls)}", out, conv_forward(x, W, b, stride, padding),
                forward_slips(x, W, b, stride, padding), bias=b,
                sizes=size_text(h, w, kernel, stride, padding))


@PER_CLASS
@PER_CASE
def test_conv_backward_matches_the_definition(impl, rng, cls, n, c, h, w, f, kernel, stride, padding):
    layer, W, _, x, out = forward_of_random_x(impl, rng, cls, n, c, h, w, f, kernel, stride, padding)
    assert_array(f"{described(cls, c, f, kernel, stride, padding)}.forward(x)", out,
                 conv_forward(x, W, np.zeros(f), stride, padding).shape, np.float64)
    assert_backward(cls, layer, x, W, rng.standard_normal(out.shape), stride, padding,
                    f" of {described(cls, c, f, kernel, stride, padding)} on x of shape "
                    f"{fmt_shape(x.shape)}")


@PER_CLASS
@PER_SIZE
def test_conv_output_size(impl, rng, cls, h, w, kernel, stride, padding):
    n, c, f = 2, 2, 3
    layer, W, b, x, out = forward_of_random_x(impl, rng, cls, n, c, h, w, f, kernel, stride, padding)
    layer_text, x_text = described(cls, c, f, kernel, stride, padding), fmt_shape(x.shape)
    assert_conv(f"{layer_text}.forward(x) with x of shape {x_text}", out,
                conv_forward(x, W, b, stride, padding), forward_slips(x, W, b, stride, padding),
                bias=b, sizes=size_text(h, w, kernel, stride, padding))
    assert_backward(cls, layer, x, W, rng.standard_normal(out.shape), stride, padding,
                    f" of {layer_text} on x of shape {x_text} (dx has the shape of x)")


@PER_CLASS
def test_conv_float32_matches_the_definition(impl, rng, cls):
    n, c, h, w, f, kernel, stride, padding = 2, 2, 5, 6, 3, (3, 2), (2, 1), (1, 0)
    layer, W, b, x, out = forward_of_random_x(impl, rng, cls, n, c, h, w, f, kernel, stride, padding,
                                              dtype=np.float32)
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
