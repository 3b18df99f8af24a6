"""Dropout: during training, each unit is dropped at random; evaluation uses every unit.

    layer = Dropout(0.2, rng)           # p = 0.2: one unit in five dropped, on average
    model.train(); layer.forward(x)     # random mask, survivors scaled by 1 / (1 - p)
    model.eval();  layer.forward(x)     # the identity

As torch.nn.Dropout: p is the probability of *dropping*, and the scaling is inverted
(applied in training) so that evaluation needs none.
"""
import numpy as np  # noqa: F401 (for the code you write)

from .inputs import as_float_array, check_rng, check_same_shape
from .layers import Layer


class Dropout(Layer):
    """out = x * mask / (1 - p) in training, where each mask entry is 1 (kept) with probability
    1 - p and 0 (dropped) with probability p, drawn anew on every call from ``rng``;
    out = x in evaluation. p = 1 drops everything: out = 0."""

    def __init__(self, p, rng):
        super().__init__()
        if not (isinstance(p, (int, float)) and 0 <= p <= 1):
            raise ValueError(f"Dropout: p (the probability of dropping) must lie in [0, 1], got {p!r}")
        self.p, self.rng = float(p), check_rng(rng, "Dropout")

    def forward(self, x):
        """Inputs: x: any shape, float.  Returns: out: same shape and dtype.

        Randomness comes from self.rng only; x is not modified.
        """
        x = as_float_array(x, "x", "Dropout.forward")
        self.input_shape = x.shape
        # TODO: implement Dropout.forward (see the docstring)
        raise NotImplementedError("Dropout.forward")

    def backward(self, dout):
        """dx = dL/dx, given dout = dL/dout, for the mask of the last forward call.

        Inputs: dout: shape of x.  Returns: dx: shape of x, dtype of dout.
        """
        dout = check_same_shape(dout, self.input_shape, "Dropout.backward")
        # TODO: implement Dropout.backward (see the docstring)
        raise NotImplementedError("Dropout.backward")

    def __repr__(self):
        return f"Dropout(p={self.p})"
