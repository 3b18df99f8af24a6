"""Alternative solution blocks of solutions/conv.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/conv.py when the blocks are spliced into it."""
# ruff: noqa: F821


class Conv2dNaive(Layer):
    def forward(self, x):
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        n, c, h, w = x.shape
        xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)     # zeros around x
        xp[:, :, ph:ph + h, pw:pw + w] = x
        W, b = self.params["W"], self.params["b"]
        out = np.zeros((n, self.out_channels, *self.output_hw), dtype=x.dtype)
        for k, f, i, j in np.ndindex(*out.shape):
            window = xp[k, :, i * sh:i * sh + kh, j * sw:j * sw + kw]                 # (C, KH, KW)
            out[k, f, i, j] = np.sum(window * W[f]) + b[f]
        self.cache = xp
        return out
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        xp, W = self.cache, self.params["W"]
        dxp = np.zeros(xp.shape, dtype=dout.dtype)
        dW, db = np.zeros(W.shape, dtype=W.dtype), np.zeros(len(W), dtype=W.dtype)
        for k, f, i, j in np.ndindex(*dout.shape):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = dout[k, f, i, j]                       # out[k, f, i, j] = sum(W[f] * window) + b[f]
            dW[f] += g * xp[k, :, rows, cols]
            dxp[k, :, rows, cols] += g * W[f]
            db[f] += g
        self.grads["W"], self.grads["b"] = dW, db
        h, w = self.input_shape[2:]
        return dxp[:, :, ph:ph + h, pw:pw + w]
        # END SOLUTION


class Conv2d(Conv2dNaive):
    def forward(self, x):
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
        (n, c), (oh, ow), s = xp.shape[:2], self.output_hw, xp.strides
        windows = np.lib.stride_tricks.as_strided(                     # (N, C, OH, OW, KH, KW), a view
            xp, (n, c, oh, ow, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]), writeable=False)
        self.cache = windows
        out = np.einsum("ncijuv,fcuv->nfij", windows, self.params["W"], optimize=True)
        return out + self.params["b"][:, None, None]
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        (ph, pw), (sh, sw), (kh, kw) = self.padding, self.stride, self.kernel_size
        windows, W = self.cache, self.params["W"]
        n, f, oh, ow = dout.shape
        self.grads["W"] = np.einsum("nfij,ncijuv->fcuv", dout, windows, optimize=True)
        self.grads["b"] = np.einsum("nfij->f", dout)
        # dx_pad: the full cross-correlation of dout, spread out by the stride, with the flipped
        # kernels (a transposed convolution)
        spread = np.zeros((n, f, (oh - 1) * sh + 2 * kh - 1, (ow - 1) * sw + 2 * kw - 1), dtype=dout.dtype)
        spread[:, :, kh - 1:kh + (oh - 1) * sh:sh, kw - 1:kw + (ow - 1) * sw:sw] = dout
        s = spread.strides
        full = np.lib.stride_tricks.as_strided(
            spread, (n, f, spread.shape[2] - kh + 1, spread.shape[3] - kw + 1, kh, kw), s + s[2:],
            writeable=False)                                           # (N, F, H + 2PH, W + 2PW, KH, KW)
        dxp = np.einsum("nfijuv,fcuv->ncij", full, W[:, :, ::-1, ::-1], optimize=True)
        h, w = self.input_shape[2:]
        return dxp[:, :, ph:ph + h, pw:pw + w]
        # END SOLUTION


class MaxPool2d(_Pool2d):
    def forward(self, x):
        # BEGIN SOLUTION
        (kh, kw), (sh, sw), (oh, ow) = self.kernel_size, self.stride, self.output_hw
        (n, c), s = x.shape[:2], x.strides
        windows = np.lib.stride_tricks.as_strided(
            x, (n, c, oh, ow, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]), writeable=False)
        flat = windows.reshape(n, c, oh, ow, kh * kw)          # each window in row-major order
        first = np.argmax(flat, axis=-1)                        # the first maximum on a tie
        self.cache = first
        return np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        (kh, kw), (sh, sw), (oh, ow) = self.kernel_size, self.stride, self.output_hw
        first = self.cache
        dx = np.zeros(self.input_shape, dtype=dout.dtype)
        for u in range(kh):
            for v in range(kw):
                dx[:, :, u:u + sh * oh:sh, v:v + sw * ow:sw] += np.where(first == u * kw + v, dout, 0)
        return dx
        # END SOLUTION


class AvgPool2d(_Pool2d):
    def forward(self, x):
        # BEGIN SOLUTION
        (kh, kw), (sh, sw), (oh, ow) = self.kernel_size, self.stride, self.output_hw
        (n, c), s = x.shape[:2], x.strides
        windows = np.lib.stride_tricks.as_strided(
            x, (n, c, oh, ow, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]), writeable=False)
        return windows.mean(axis=(4, 5))
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        (kh, kw), (sh, sw), (oh, ow) = self.kernel_size, self.stride, self.output_hw
        dx = np.zeros(self.input_shape, dtype=dout.dtype)
        for k in range(kh * kw):
            u, v = divmod(k, kw)
            dx[:, :, u:u + sh * oh:sh, v:v + sw * ow:sw] += dout / (kh * kw)
        return dx
        # END SOLUTION


class Flatten(Layer):
    def forward(self, x):
        # BEGIN SOLUTION
        return np.reshape(x, (x.shape[0], -1))
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        return np.reshape(dout, self.input_shape)
        # END SOLUTION
