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
        # TODO: implement Sigmoid.forward (see the docstring)
        raise NotImplementedError("Sigmoid.forward")

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # TODO: implement Sigmoid.backward (see the docstring)
        raise NotImplementedError("Sigmoid.backward")


class Tanh(Activation):
    """out = tanh(x)."""

    def forward(self, x):
        """Inputs: x: any shape.  Returns: out: same shape, in (-1, 1)."""
        x = self._check_forward(x)
        # TODO: implement Tanh.forward (see the docstring)
        raise NotImplementedError("Tanh.forward")

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # TODO: implement Tanh.backward (see the docstring)
        raise NotImplementedError("Tanh.backward")


class ReLU(Activation):
    """out = max(0, x)."""

    def forward(self, x):
        """Inputs: x: any shape.  Returns: out: same shape, >= 0."""
        x = self._check_forward(x)
        # TODO: implement ReLU.forward (see the docstring)
        raise NotImplementedError("ReLU.forward")

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # TODO: implement ReLU.backward (see the docstring)
        raise NotImplementedError("ReLU.backward")


class Swish(Activation):
    """out = x * sigmoid(beta * x)  (SiLU when beta = 1), without overflow for large |beta x|."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = float(beta)

    def forward(self, x):
        """Inputs: x: any shape.  Returns: out: same shape."""
        x = self._check_forward(x)
        # TODO: implement Swish.forward (see the docstring)
        raise NotImplementedError("Swish.forward")

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; finite for any x, float32 stays float32.

        Inputs: dout: shape of x.  Returns: dx: shape of x.
        """
        dout = self._check_backward(dout)
        # TODO: implement Swish.backward (see the docstring)
        raise NotImplementedError("Swish.backward")

    def __repr__(self):
        return f"Swish(beta={self.beta})"


class Softmax(Layer):
    """out_ij = exp(x_ij) / sum_k exp(x_ik), stable for large x (rows shifted by their max)."""

    def forward(self, x):
        """Inputs: x: (N, C).  Returns: out: (N, C), each row a probability vector."""
        x = check_features(x, "Softmax.forward", ndim=2, features="C")
        self.input_shape = x.shape
        # TODO: implement Softmax.forward (see the docstring)
        raise NotImplementedError("Softmax.forward")

    def backward(self, dout):
        """dx = dL/dx: row by row, dx_i = J_i^T dout_i, with J_i = d out_i / d x_i (C, C).

        Apply each row's Jacobian to dout without building it (that is N C x C arrays).

        Inputs: dout: (N, C).  Returns: dx: (N, C).
        """
        dout = check_same_shape(dout, self.input_shape, "Softmax.backward")
        # TODO: implement Softmax.backward (see the docstring)
        raise NotImplementedError("Softmax.backward")
