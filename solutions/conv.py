"""Convolution and pooling over images in NCHW layout, with PyTorch's conventions.

    conv = Conv2d(3, 32, 3, rng, padding=1)     # x (N, 3, H, W) -> (N, 32, H, W)
    pool = MaxPool2d(2)                         # (N, C, H, W) -> (N, C, H // 2, W // 2)
    flat = Flatten()                            # (N, C, H, W) -> (N, C * H * W)

Conv2d is a cross-correlation, as in every framework: the kernel is not flipped.
Conv2dNaive is the same layer written with loops, to get right first; Conv2d is the
fast one, checked against it.
"""
import numpy as np

from .initializers import he_normal
from .inputs import as_float_array, check_batch, check_rng, check_same_shape
from .layers import Layer


def pair(value, name, where, low=1):
    """An int or a pair of ints -> (int, int), each >= low."""
    values = (value, value) if isinstance(value, (int, np.integer)) else value
    if (not isinstance(values, (tuple, list)) or len(values) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= low
                       for v in values)):
        raise ValueError(f"{where}: {name} must be an int >= {low} or a pair of them, got {value!r}")
    return int(values[0]), int(values[1])


def output_size(size, kernel, stride, padding, axis, where):
    """(size + 2 * padding - kernel) // stride + 1, when the stride divides it exactly."""
    span = size + 2 * padding - kernel
    if span < 0:
        raise ValueError(f"{where}: the {axis} {size} (+ 2 * padding {padding}) is smaller than "
                         f"the kernel's {kernel}")
    if span % stride:
        raise ValueError(f"{where}: stride {stride} does not divide the padded {axis} minus the "
                         f"kernel: {size} + 2 * {padding} - {kernel} = {span}; choose a padding "
                         f"or stride that fits")
    return span // stride + 1


def check_images(x, channels, where):
    x = as_float_array(x, "x", where)
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        c = "C" if channels is None else channels
        raise ValueError(f"{where}: x must have shape (N, {c}, H, W), got shape {x.shape}")
    return x


class Conv2dNaive(Layer):
    """out[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i * SH + u, j * SW + v]

    where xp is x with ``padding`` zeros on each side of H and W, (SH, SW) the stride.
    Parameters: params["W"]: (F, C, KH, KW), drawn by weight_init((F, C, KH, KW), rng);
    params["b"]: (F,), zeros. Output: (N, F, OH, OW) with OH = (H + 2 PH - KH) / SH + 1
    (an error when the stride does not divide H + 2 PH - KH), and OW likewise.
    """

    def __init__(self, in_channels, out_channels, kernel_size, rng, stride=1, padding=0,
                 weight_init=he_normal, dtype=np.float64):
        super().__init__()
        where = type(self).__name__
        check_rng(rng, where)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size", where)
        self.stride = pair(stride, "stride", where)
        self.padding = pair(padding, "padding", where, low=0)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.params["W"] = np.asarray(weight_init(shape, rng), dtype=dtype)
        self.params["b"] = np.zeros(self.out_channels, dtype=dtype)

    def _check_forward(self, x):
        where = f"{type(self).__name__}.forward"
        x = check_images(x, self.in_channels, where)
        self.output_hw = tuple(output_size(x.shape[2 + a], self.kernel_size[a], self.stride[a],
                                           self.padding[a], ("height", "width")[a], where)
                               for a in (0, 1))
        self.input_shape = x.shape
        return x

    def _check_backward(self, dout):
        shape = self.input_shape and (self.input_shape[0], self.out_channels, *self.output_hw)
        return check_same_shape(dout, shape, f"{type(self).__name__}.backward")

    def forward(self, x):
        """Inputs: x: (N, C, H, W).  Returns: out: (N, F, OH, OW), dtype of x. Loops are fine."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        W, b = self.params["W"], self.params["b"]
        n, f = len(x), self.out_channels
        oh, ow = self.output_hw
        out = np.empty((n, f, oh, ow), dtype=x.dtype)
        for i in range(oh):
            for j in range(ow):
                window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]         # (N, C, KH, KW)
                out[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
        self.cache = xp
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx; grads["W"] = dL/dW; grads["b"] = dL/db. Loops are fine.

        Inputs: dout: (N, F, OH, OW).  Returns: dx: (N, C, H, W), dtype of dout.
        """
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        xp, W = self.cache, self.params["W"]
        dxp, dW = np.zeros_like(xp, dtype=dout.dtype), np.zeros_like(W)
        oh, ow = self.output_hw
        for i in range(oh):
            for j in range(ow):
                window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                d = dout[:, :, i, j]                                                 # (N, F)
                dW += np.tensordot(d, window, axes=([0], [0]))
                dxp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.tensordot(d, W, axes=([1], [0]))
        self.grads["W"] = dW
        self.grads["b"] = dout.sum(axis=(0, 2, 3))
        return dxp[:, :, ph:ph + self.input_shape[2], pw:pw + self.input_shape[3]]
        # END SOLUTION

    def __repr__(self):
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"{self.kernel_size}, stride={self.stride}, padding={self.padding})")


class Conv2d(Conv2dNaive):
    """The same layer as Conv2dNaive (same definition, parameters and shapes), fast:
    no Python loop over examples or output positions."""

    def forward(self, x):
        """Inputs: x: (N, C, H, W).  Returns: out: (N, F, OH, OW), dtype of x."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        # every window as a view: (N, C, OH, OW, KH, KW), no copy yet
        windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        n, c, oh, ow = windows.shape[:4]
        # per-image columns (N, C*KH*KW, OH*OW), one copy: W2 @ cols is then (N, F, OH*OW),
        # already channels-first, so the output needs no transposing copy
        cols = windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
        W2 = self.params["W"].reshape(self.out_channels, -1)                          # (F, C*KH*KW)
        out = W2 @ cols                                                               # (N, F, OH*OW)
        out += self.params["b"][:, None]
        self.cache = cols
        return out.reshape(n, self.out_channels, oh, ow)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx; grads["W"] = dL/dW; grads["b"] = dL/db.

        Inputs: dout: (N, F, OH, OW).  Returns: dx: (N, C, H, W), dtype of dout.
        """
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        n, c, h, w = self.input_shape
        oh, ow = self.output_hw
        cols, W = self.cache, self.params["W"]                          # cols: (N, C*KH*KW, OH*OW)
        d2 = dout.reshape(n, self.out_channels, oh * ow)   # (N, F, OH*OW): dout is channels-first
        # each image's d2 @ cols^T is (F, C*KH*KW); W is shared by the batch, so sum them
        self.grads["W"] = (d2 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)
        self.grads["b"] = d2.sum(axis=(0, 2))
        W2 = W.reshape(self.out_channels, -1)                                         # (F, C*KH*KW)
        dcols = (W2.T @ d2).reshape(n, c, kh, kw, oh, ow)
        dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dout.dtype)
        for u in range(kh):            # col2im: one strided slice-add per kernel offset
            for v in range(kw):
                # dcols[:, :, u, v] is (N, C, OH, OW): what offset (u, v) of every window got
                dxp[:, :, u:u + sh * oh:sh, v:v + sw * ow:sw] += dcols[:, :, u, v]
        return dxp[:, :, ph:ph + h, pw:pw + w]
        # END SOLUTION


class _Pool2d(Layer):
    """What both poolings share: the window (KH, KW), the stride (default: the window) and the
    output size OH = (H - KH) // SH + 1 (rows and columns beyond the last window are unused)."""

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        where = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", where)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", where)

    def _check_forward(self, x):
        where = f"{type(self).__name__}.forward"
        x = check_images(x, None, where)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if x.shape[2] < kh or x.shape[3] < kw:
            raise ValueError(f"{where}: x of shape {x.shape} is smaller than the window {(kh, kw)}")
        self.output_hw = ((x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1)
        self.input_shape = x.shape
        return x

    def _check_backward(self, dout):
        shape = self.input_shape and (*self.input_shape[:2], *self.output_hw)
        return check_same_shape(dout, shape, f"{type(self).__name__}.backward")

    def _slices(self):
        """(u, v, the (N, C, OH, OW) slice of x at window offset (u, v)) for every offset, row-major."""
        (kh, kw), (sh, sw), (oh, ow) = self.kernel_size, self.stride, self.output_hw
        return [(u, v, (slice(None), slice(None), slice(u, u + sh * oh, sh), slice(v, v + sw * ow, sw)))
                for u in range(kh) for v in range(kw)]

    def __repr__(self):
        return f"{type(self).__name__}({self.kernel_size}, stride={self.stride})"


class MaxPool2d(_Pool2d):
    """out[n, c, i, j] = max over the window x[n, c, i*SH : i*SH + KH, j*SW : j*SW + KW].

    The gradient of a window goes to its maximum; on a tie, to the first maximum in
    row-major order (as PyTorch's CPU kernel)."""

    def forward(self, x):
        """Inputs: x: (N, C, H, W).  Returns: out: (N, C, OH, OW), dtype of x."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        slices = self._slices()
        out = x[slices[0][2]].copy()
        for _, _, where in slices[1:]:
            np.maximum(out, x[where], out=out)
        self.cache = (x, out)
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx.  Inputs: dout: (N, C, OH, OW).  Returns: dx: (N, C, H, W), dtype of dout."""
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        x, out = self.cache
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        # stride >= kernel on both axes: the windows do not overlap, each position of x is in at
        # most one window, so its gradient can be written rather than added
        disjoint = sh >= kh and sw >= kw
        dx = np.zeros(x.shape, dtype=dout.dtype)
        unclaimed = np.ones(out.shape, dtype=bool)       # windows whose maximum is not found yet
        for _, _, where in self._slices():
            first = x[where] == out
            np.logical_and(first, unclaimed, out=first)  # ties: only the first maximum, row-major
            unclaimed ^= first                           # first implies unclaimed: this clears it
            if disjoint:
                np.copyto(dx[where], dout, where=first)
            else:
                np.add(dx[where], dout, out=dx[where], where=first)
        return dx
        # END SOLUTION


class AvgPool2d(_Pool2d):
    """out[n, c, i, j] = the mean over the window x[n, c, i*SH : i*SH + KH, j*SW : j*SW + KW]."""

    def forward(self, x):
        """Inputs: x: (N, C, H, W).  Returns: out: (N, C, OH, OW), dtype of x."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        slices = self._slices()
        out = x[slices[0][2]].copy()
        for _, _, where in slices[1:]:
            out += x[where]
        out /= len(slices)
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx.  Inputs: dout: (N, C, OH, OW).  Returns: dx: (N, C, H, W), dtype of dout."""
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        dx = np.zeros(self.input_shape, dtype=dout.dtype)
        share = dout / (self.kernel_size[0] * self.kernel_size[1])
        for _, _, where in self._slices():
            dx[where] += share
        return dx
        # END SOLUTION


class Flatten(Layer):
    """out = x.reshape(N, -1): every axis after the first in one, in C order."""

    def forward(self, x):
        """Inputs: x: (N, ...).  Returns: out: (N, D), D the product of the other sizes."""
        x = check_batch(x, "Flatten.forward")
        self.input_shape = x.shape
        # BEGIN SOLUTION
        return x.reshape(len(x), -1)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx.  Inputs: dout: (N, D).  Returns: dx: the shape of x."""
        shape = self.input_shape and (self.input_shape[0], int(np.prod(self.input_shape[1:])))
        dout = check_same_shape(dout, shape, "Flatten.backward")
        # BEGIN SOLUTION
        return dout.reshape(self.input_shape)
        # END SOLUTION
