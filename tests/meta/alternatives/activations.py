"""Activation layers: elementwise Sigmoid, Tanh, ReLU, Swish, and Softmax over rows.

Each keeps what its backward needs in ``self.cache``; none has parameters.
"""
import numpy as np

from .inputs import as_float_array, check_features, check_same_shape
from .layers import Layer


class Activation(Layer):
    """An elementwise layer: out has the shape of x, and dx the shape of dout."""

    def _check_forward(self, x):
        x = as_float_array(x, "x", f"{type(self).__name__}.forward")
        self.input_shape = x.shape
        return x

    def _check_backward(self, dout):
        return check_same_shape(dout, self.input_shape, f"{type(self).__name__}.backward")


class Sigmoid(Activation):
    """out = 1 / (1 + exp(-x)), without overflow for large |x|."""

    def forward(self, x):
        """Inputs: x: any shape.  Returns: out: same shape, in (0, 1)."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        out = np.empty_like(x)
        pos = x >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))   # exp of a number <= 0 on both sides
        e = np.exp(x[~pos])
        out[~pos] = e / (1.0 + e)
        self.cache = out
        return out.copy()
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        s = self.cache
        dx = dout * s
        return dx - dx * s                          # dout * s * (1 - s)
        # END SOLUTION


class Tanh(Activation):
    """out = tanh(x)."""

    def forward(self, x):
        """Inputs: x: any shape.  Returns: out: same shape, in (-1, 1)."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        e = np.exp(-2.0 * np.abs(x))               # in (0, 1]: never overflows
        out = np.sign(x) * (1.0 - e) / (1.0 + e)
        self.cache = out
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        t = self.cache
        return dout - dout * t * t
        # END SOLUTION


class ReLU(Activation):
    """out = max(0, x)."""

    def forward(self, x):
        """Inputs: x: any shape.  Returns: out: same shape, >= 0."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        self.cache = x > 0
        out = x.copy()
        out[~self.cache] = 0
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        dx = dout.copy()
        dx[~self.cache] = 0
        return dx
        # END SOLUTION


class Swish(Activation):
    """out = x * sigmoid(beta * x)  (SiLU when beta = 1), without overflow for large |beta x|."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = float(beta)

    def forward(self, x):
        """Inputs: x: any shape.  Returns: out: same shape."""
        x = self._check_forward(x)
        # BEGIN SOLUTION
        s = np.exp(-np.logaddexp(0.0, -self.beta * x))   # sigmoid(beta x) = exp(-softplus(-beta x))
        out = x * s
        self.cache = (s, out)
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; finite for any x, float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # BEGIN SOLUTION
        s, out = self.cache
        bf = self.beta * out                        # f' = beta f + s (1 - beta f)
        return dout * (bf + s * (1.0 - bf))
        # END SOLUTION

    def __repr__(self):
        return f"Swish(beta={self.beta})"


class Softmax(Layer):
    """out_ij = exp(x_ij) / sum_k exp(x_ik), stable for large x (rows shifted by their max)."""

    def forward(self, x):
        """Inputs: x: (N, C).  Returns: out: (N, C), each row a probability vector."""
        x = check_features(x, "Softmax.forward", ndim=2, features="C")
        self.input_shape = x.shape
        # BEGIN SOLUTION
        top = np.max(x, axis=1, keepdims=True)
        log_z = top + np.log(np.sum(np.exp(x - top), axis=1, keepdims=True))
        out = np.exp(x - log_z)                     # exp(log softmax)
        self.cache = out
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx: row by row, dx_i = J_i^T dout_i, with J_i = d out_i / d x_i (C, C).

        Apply each row's Jacobian to dout without building it (that is N C x C arrays).

        Inputs: dout: (N, C).  Returns: dx: (N, C).
        """
        dout = check_same_shape(dout, self.input_shape, "Softmax.backward")
        # BEGIN SOLUTION
        p_all = self.cache
        dx = np.empty_like(dout)
        for i in range(len(p_all)):
            p = p_all[i]
            jacobian = np.diag(p) - np.outer(p, p)  # (C, C), symmetric
            dx[i] = jacobian @ dout[i]
        return dx
        # END SOLUTION
