"""The layer contract, and the Linear (fully connected) layer.

A layer's ``forward(x) -> out`` keeps what ``backward`` needs;
``backward(dout) -> dx`` fills ``self.grads`` (same keys as ``self.params``,
overwritten on every call, never accumulated); ``self.training`` switches
train/eval behaviour for the layers that have one. Neither modifies its input
(x, dout) or the parameters, and both keep the input's dtype (float32 stays float32).
``backward`` computes its gradients from a formula you derive: a numerical gradient
(your numgrad) is for checking it, and is not accepted as the answer.
"""
import numpy as np

from .initializers import he_normal
from .inputs import check_features, check_rng, check_same_shape


class Layer:
    """Base class: parameters, their gradients, a cache and a training flag."""

    def __init__(self):
        self.params = {}        # name -> array
        self.grads = {}         # name -> array of the same shape, set by backward
        self.cache = None       # whatever forward keeps for backward
        self.training = True
        self.input_shape = None  # set by forward, checked by backward

    def __call__(self, x):
        return self.forward(x)

    def train(self):
        """Switch to training behaviour; returns self."""
        self.training = True
        return self

    def eval(self):
        """Switch to evaluation (inference) behaviour; returns self."""
        self.training = False
        return self

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout; sets grads[k] = dL/dparams[k] for every parameter."""
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def __repr__(self):
        return f"{type(self).__name__}()"


class Linear(Layer):
    """out = x @ W + b.

    Parameters: params["W"]: (D, M), drawn by ``weight_init``; params["b"]: (M,), zeros.
    """

    def __init__(self, in_features, out_features, rng, weight_init=he_normal, dtype=np.float64):
        super().__init__()
        check_rng(rng, "Linear")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.params["W"] = np.asarray(weight_init((self.in_features, self.out_features), rng),
                                      dtype=dtype)
        self.params["b"] = np.zeros(self.out_features, dtype=dtype)

    def forward(self, x):
        """out = x @ W + b.

        Inputs:  x: (N, D)
        Returns: out: (N, M)
        """
        x = check_features(x, "Linear.forward", ndim=2, features=self.in_features)
        self.input_shape = x.shape
        # BEGIN SOLUTION
        out = np.dot(x, self.params["W"])
        out += self.params["b"][None, :]           # the bias broadcast over the rows
        self.cache = x.copy()
        return out
        # END SOLUTION

    def backward(self, dout):
        """dx = dL/dx;  grads["W"] = dL/dW;  grads["b"] = dL/db, from the x cached by forward.

        Inputs:  dout: (N, M), upstream gradient dL/dout
        Returns: dx: (N, D); sets grads["W"]: (D, M) and grads["b"]: (M,), replaced on every
                 call (never added to), in the dtype of x
        """
        shape = self.input_shape and (self.input_shape[0], self.out_features)
        dout = check_same_shape(dout, shape, "Linear.backward")
        # BEGIN SOLUTION
        x, W = self.cache, self.params["W"]
        self.grads["W"] = np.einsum("nd,nm->dm", x, dout)
        self.grads["b"] = np.einsum("nm->m", dout)
        return np.einsum("nm,dm->nd", dout, W)
        # END SOLUTION

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features})"
