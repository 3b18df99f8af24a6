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
        count = x.shape[0]
        if self.training:
            batch_mean = x.sum(axis=0) / count
            centered = x - batch_mean
            biased_var = (centered * centered).sum(axis=0) / count
            step = self.momentum
            self.running_mean = self.running_mean + step * (batch_mean - self.running_mean)
            unbiased_var = biased_var * count / (count - 1)
            self.running_var = self.running_var + step * (unbiased_var - self.running_var)
            var = biased_var
        else:
            centered = x - self.running_mean
            var = self.running_var
        std = np.sqrt(var + self.eps)
        normalized = centered / std
        self.cache = (centered, var, std, normalized)
        result = self.params["gamma"] * normalized + self.params["beta"]
        return np.asarray(result, dtype=x.dtype)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; grads["gamma"] = dL/dgamma, grads["beta"] = dL/dbeta.

        In training mode the batch statistics depend on every x_n; in evaluation mode the
        running statistics are constants.
        Inputs: dout: (N, D).  Returns: dx: (N, D), dtype of dout.
        """
        dout = check_same_shape(dout, self.input_shape, f"{type(self).__name__}.backward")
        # BEGIN SOLUTION
        centered, var, std, normalized = self.cache
        self.grads["gamma"] = (dout * normalized).sum(axis=0)
        self.grads["beta"] = np.sum(dout, axis=0)
        dnormalized = dout * self.params["gamma"]
        if self.training:
            count = dout.shape[0]
            dvar = np.sum(dnormalized * centered, axis=0) * -0.5 * (var + self.eps) ** -1.5
            dmean = np.sum(-dnormalized / std, axis=0) + dvar * np.mean(-2.0 * centered, axis=0)
            dx = dnormalized / std + dvar * 2.0 * centered / count + dmean / count
        else:
            dx = dnormalized / std
        return np.asarray(dx, dtype=dout.dtype)
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
        channels = x.shape[1]
        last = np.moveaxis(x, 1, -1)                          # (N, H, W, C)
        flat = BatchNorm1d.forward(self, last.reshape(-1, channels))
        return np.moveaxis(flat.reshape(last.shape), -1, 1)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; grads as BatchNorm1d's.

        Inputs: dout: (N, C, H, W).  Returns: dx: (N, C, H, W), dtype of dout.
        """
        dout = check_same_shape(dout, self.spatial_shape, "BatchNorm2d.backward")
        # BEGIN SOLUTION
        channels = dout.shape[1]
        last = np.moveaxis(dout, 1, -1)
        flat = BatchNorm1d.backward(self, last.reshape(-1, channels))
        return np.moveaxis(flat.reshape(last.shape), -1, 1)
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
        columns = x.reshape(-1, self.num_features).T             # (D, M): one column per example
        mean = columns.mean(axis=0)
        centered = columns - mean
        var = (centered ** 2).mean(axis=0)
        std = np.sqrt(var + self.eps)
        normalized = centered / std
        self.cache = (centered, var, std, normalized)
        out = normalized.T.reshape(x.shape) * self.params["gamma"] + self.params["beta"]
        return out.astype(x.dtype)
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; grads["gamma"] = dL/dgamma, grads["beta"] = dL/dbeta.

        Inputs: dout: the shape of x.  Returns: dx: the shape of x, dtype of dout.
        """
        dout = check_same_shape(dout, self.input_shape, "LayerNorm.backward")
        # BEGIN SOLUTION
        centered, var, std, normalized = self.cache
        d = self.num_features
        columns = dout.reshape(-1, d).T                          # (D, M)
        self.grads["beta"] = columns.sum(axis=1)
        self.grads["gamma"] = (columns * normalized).sum(axis=1)
        dnormalized = columns * self.params["gamma"][:, None]
        dvar = -0.5 * np.sum(dnormalized * centered, axis=0) / (var + self.eps) ** 1.5
        dmean = -np.sum(dnormalized, axis=0) / std - 2.0 * dvar * centered.mean(axis=0)
        dcolumns = dnormalized / std + 2.0 * dvar * centered / d + dmean / d
        return dcolumns.T.reshape(dout.shape).astype(dout.dtype)
        # END SOLUTION

    def __repr__(self):
        return f"LayerNorm({self.num_features})"
