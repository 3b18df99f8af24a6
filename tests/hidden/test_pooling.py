"""Hidden checks of pooling (exercise pooling): the definition on random inputs.

The trusted references loop over the whole windows one at a time, in float64: a window starts
every stride while it fits, so OH = (H - KH) // SH + 1 (floor, as PyTorch). Max pooling's
gradient goes to the first maximum of its window in row-major order. Their variants compute
what each known slip gives, so that a check names the one it sees. They stay out of the
handout: the visible checks (tests/suites/test_pooling.py) hold known answers, identities and
gradient checks only.
"""
import numpy as np
import pytest

from tests.checks import assert_array, assert_close, assert_no_slip
from tests.gradcheck import check_layer_gradients
from tests.suites.test_pooling import (
    CASE_PARAMS,
    OVERWRITTEN,
    POOLS,
    SIZE_CASES,
    STRIDE_IGNORED,
    TIE_RULE,
    assert_routed_to_maxima,
    described,
    distinct,
    forward,
    make_pool,
)

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

def pool_forward_then_backward(impl, rng, cls, kernel, stride, x, reduce, forward_slips):
    """(layer, name, dout, dx): ``cls``'s forward(x) checked against the definition (``reduce``
    of each window), then its backward of a random dout."""
    layer = make_pool(impl, cls, kernel, stride)
    name = described(cls, kernel, stride, x.shape)
    out = forward(layer, x)
    right = pool(x, kernel, stride, reduce)
    assert_array(f"{name}: the output (OH = (H - KH) // SH + 1, OW likewise)", out, right.shape,
                 np.float64)
    assert_no_slip(name, out, right, forward_slips(x, kernel, stride))
    assert_close(name, out, right)
    dout = rng.standard_normal(right.shape)
    return layer, name, dout, layer.backward(dout.copy())



# ---- the definition, on random inputs -----------------------------------------------------------


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
@CASE_PARAMS
def test_maxpool_forward_and_backward(impl, rng, kernel, stride, shape):
    x = distinct(rng, shape)
    layer, name, dout, dx = pool_forward_then_backward(impl, rng, "MaxPool2d", kernel, stride, x,
                                                       maximum, max_forward_slips)
    right = route(x, kernel, stride, dout, first_maximum)
    assert_no_slip(f"{name}: dx", dx, right, max_backward_slips(x, kernel, stride, dout))
    # x is tie-free: the maxima are the positions the first-maximum rule sends something to
    maxima = route(x, kernel, stride, np.ones(out_shape(x.shape, kernel, stride)), first_maximum) > 0
    assert_routed_to_maxima(f"{name}: dx", dx, maxima)
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


@pytest.mark.exercise("pooling")
@CASE_PARAMS
def test_avgpool_forward_and_backward(impl, rng, kernel, stride, shape):
    x = rng.standard_normal(shape)
    x[x < -0.8] = 0.0                               # some zeros: a mean counts them too
    layer, name, dout, dx = pool_forward_then_backward(impl, rng, "AvgPool2d", kernel, stride, x,
                                                       mean, avg_forward_slips)
    right = route(x, kernel, stride, dout, equal_shares)
    assert_no_slip(f"{name}: dx", dx, right, avg_backward_slips(x, kernel, stride, dout))
    assert_close(f"{name}: dx (the rows and columns beyond the last window get 0)", dx, right)
    check_layer_gradients(layer, x, rng)                # raises on a mismatch


@pytest.mark.exercise("pooling")
@pytest.mark.parametrize("cls", POOLS)
def test_pool_output_size_matches_the_definition(impl, rng, cls):
    for kernel, stride, shape, size in SIZE_CASES:
        x = distinct(rng, shape)
        out = forward(make_pool(impl, cls, kernel, stride), x)
        name = (f"{described(cls, kernel, stride, shape)}: the output (OH = (H - KH) // SH + 1 = "
                f"{size[0]}, OW = (W - KW) // SW + 1 = {size[1]}, floor as in PyTorch: rows and "
                f"columns beyond the last whole window are unused)")
        assert_array(name, out, (*shape[:2], *size), np.float64)
        assert_close(name, out, pool(x, kernel, stride, {"MaxPool2d": maximum, "AvgPool2d": mean}[cls]))
