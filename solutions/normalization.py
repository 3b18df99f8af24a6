"""Normalization layers: BatchNorm over the batch (1d and spatial), LayerNorm over the features.

    bn = BatchNorm1d(100)           # after a Linear(.., 100), before its activation
    ln = LayerNorm(100)

Each normalizes its input to mean 0 and variance 1, then scales and shifts it by the
learned params["gamma"] and params["beta"]. As in PyTorch: the variance is the biased
one (divided by the count), eps is added inside the square root, and BatchNorm's
running statistics move by ``momentum`` towards each training batch's (the running
variance uses the unbiased batch variance, divided by the count - 1).
"""
import numpy as np

from .inputs import check_features, check_same_shape
from .layers import Layer


def _check_settings(where, features, eps, momentum=0.1):
    if not (isinstance(features, (int, np.integer)) and features >= 1):
        raise ValueError(f"{where}: the number of features must be an int >= 1, got {features!r}")
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"{where}: eps must be a float > 0, got {eps!r}")
    if not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
        raise ValueError(f"{where}: momentum must lie in [0, 1], got {momentum!r}")


class BatchNorm1d(Layer):
    """Training:   mu = mean_n x_n,  var = mean_n (x_n - mu)**2          (per feature, over the batch)
                   out = gamma * (x - mu) / sqrt(var + eps) + beta
                   running_mean <- (1 - momentum) * running_mean + momentum * mu
                   running_var  <- (1 - momentum) * running_var + momentum * var * N / (N - 1)
    Evaluation:    out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

    params["gamma"] starts at ones and params["beta"] at zeros, both (D,); running_mean
    starts at zeros and running_var at ones (D,): statistics, not parameters.
    """

    def __init__(self, num_features, momentum=0.1, eps=1e-5, dtype=np.float64):
        super().__init__()
        _check_settings(type(self).__name__, num_features, eps, momentum)
        self.num_features, self.momentum, self.eps = int(num_features), float(momentum), float(eps)
        self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
        self.params["beta"] = np.zeros(self.num_features, dtype=dtype)
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def forward(self, x):
        """Inputs: x: (N, D) float (N >= 2 in training).  Returns: out: (N, D), dtype of x.

        In training, also updates running_mean and running_var (new arrays or in place).
        """
        x = check_features(x, f"{type(self).__name__}.forward", ndim=2, features=self.num_features)
        if self.training and len(x) < 2:
            raise ValueError(f"{type(self).__name__}.forward: training needs a batch of N >= 2 "
                             f"(the variance of one example is 0), got shape {x.shape}")
        self.input_shape = x.shape
        # BEGIN SOLUTION
        # sums over the batch with einsum, fast on a tall x too (BatchNorm2d's N*H*W rows)
        mean = np.einsum("nd->d", x) / len(x) if self.training else self.running_mean
        x_hat = x - mean                                               # (N, D), one temporary
        if self.training:
            n, m = len(x), self.momentum
            var = np.einsum("nd,nd->d", x_hat, x_hat) / n               # (D,), biased
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * (n / (n - 1))
        else:
            var = self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)                       # (D,)
        x_hat *= inv_std
        self.cache = (x_hat, inv_std)
        out = x_hat * self.params["gamma"]
        out += self.params["beta"]
        return out.astype(x.dtype, copy=False)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; grads["gamma"] = dL/dgamma, grads["beta"] = dL/dbeta.

        In training mode the batch statistics depend on every x_n; in evaluation mode the
        running statistics are constants.
        Inputs: dout: (N, D).  Returns: dx: (N, D), dtype of dout.
        """
        dout = check_same_shape(dout, self.input_shape, f"{type(self).__name__}.backward")
        # BEGIN SOLUTION
        x_hat, inv_std = self.cache
        self.grads["beta"] = np.einsum("nd->d", dout)
        self.grads["gamma"] = np.einsum("nd,nd->d", dout, x_hat)
        scale = self.params["gamma"] * inv_std                        # (D,)
        if not self.training:
            return dout * scale
        n = len(dout)
        # dx = scale * (dout - mean(dout) - x_hat * mean(dout * x_hat)), built in one array
        dx = x_hat * (-self.grads["gamma"] / n)
        dx += dout
        dx -= self.grads["beta"] / n
        dx *= scale
        return dx
        # END SOLUTION

    def __repr__(self):
        return f"{type(self).__name__}({self.num_features})"


class BatchNorm2d(BatchNorm1d):
    """BatchNorm over (N, C, H, W): each channel c is normalized over its N * H * W values,
    exactly as BatchNorm1d(C) on the (N * H * W, C) array of those values; gamma, beta and the
    running statistics are (C,)."""

    spatial_shape = None         # the (N, C, H, W) of the last forward call

    def forward(self, x):
        """Inputs: x: (N, C, H, W) float.  Returns: out: (N, C, H, W), dtype of x."""
        x = check_features(x, "BatchNorm2d.forward", ndim=4, features="W", name="x")
        if x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d.forward: x must have {self.num_features} channels "
                             f"(shape (N, {self.num_features}, H, W)), got shape {x.shape}")
        self.spatial_shape = x.shape
        # BEGIN SOLUTION
        n, c, h, w = x.shape
        out = super().forward(x.transpose(0, 2, 3, 1).reshape(-1, c))   # (N*H*W, C)
        return out.reshape(n, h, w, c).transpose(0, 3, 1, 2)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; grads as BatchNorm1d's.

        Inputs: dout: (N, C, H, W).  Returns: dx: (N, C, H, W), dtype of dout.
        """
        dout = check_same_shape(dout, self.spatial_shape, "BatchNorm2d.backward")
        # BEGIN SOLUTION
        n, c, h, w = dout.shape
        dx = super().backward(dout.transpose(0, 2, 3, 1).reshape(-1, c))   # (N*H*W, C)
        return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2)
        # END SOLUTION


class LayerNorm(Layer):
    """Per example, over the last axis (D features):
           mu = mean_d x_d,  var = mean_d (x_d - mu)**2,  out = gamma * (x - mu) / sqrt(var + eps) + beta
    The same in training and evaluation; params["gamma"] (ones) and params["beta"] (zeros), (D,)."""

    def __init__(self, num_features, eps=1e-5, dtype=np.float64):
        super().__init__()
        _check_settings("LayerNorm", num_features, eps)
        self.num_features, self.eps = int(num_features), float(eps)
        self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
        self.params["beta"] = np.zeros(self.num_features, dtype=dtype)

    def forward(self, x):
        """Inputs: x: (..., D) float.  Returns: out: the shape and dtype of x."""
        x = check_features(x, "LayerNorm.forward", ndim=max(np.ndim(x), 1), features=self.num_features)
        self.input_shape = x.shape
        # BEGIN SOLUTION
        x_hat = x - x.mean(axis=-1, keepdims=True)                          # (..., D)
        var = np.einsum("...d,...d->...", x_hat, x_hat)[..., None] / self.num_features
        inv_std = 1.0 / np.sqrt(var + self.eps)                              # (..., 1)
        x_hat *= inv_std
        self.cache = (x_hat, inv_std)
        out = x_hat * self.params["gamma"]
        out += self.params["beta"]
        return out.astype(x.dtype, copy=False)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; grads["gamma"] = dL/dgamma, grads["beta"] = dL/dbeta.

        Inputs: dout: the shape of x.  Returns: dx: the shape of x, dtype of dout.
        """
        dout = check_same_shape(dout, self.input_shape, "LayerNorm.backward")
        # BEGIN SOLUTION
        x_hat, inv_std = self.cache
        d = self.num_features
        flat_dout, flat_x_hat = dout.reshape(-1, d), x_hat.reshape(-1, d)
        self.grads["gamma"] = np.einsum("nd,nd->d", flat_dout, flat_x_hat)
        self.grads["beta"] = flat_dout.sum(axis=0)
        g = dout * self.params["gamma"]                                     # dL/dx_hat
        # dx = inv_std * (g - mean_d(g) - x_hat * mean_d(g * x_hat)), built in one array
        dx = x_hat * (-np.einsum("...d,...d->...", g, x_hat)[..., None] / d)
        dx += g
        dx -= g.mean(axis=-1, keepdims=True)
        dx *= inv_std
        return dx
        # END SOLUTION

    def __repr__(self):
        return f"LayerNorm({self.num_features})"
