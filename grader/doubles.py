"""Test doubles that the checks put inside the student's models: they run in the executor.

    layer = impl.doubles.TanhLayer()                 # a proxy, like the student's layers
    impl.layers.Linear(4, 3, rng, weight_init=impl.doubles.gaussian)

Living beside the student's code, a double costs no round trip to the judge on
every forward pass. They judge nothing: what they record (``Recorder.seen``) is
read back and compared in the judge, and a double tampered with only makes the
checks that use it fail.
"""
import numpy as np


def gaussian(shape, rng):
    """A weight initializer for tests: W ~ N(0, 1), drawn from ``rng``."""
    return rng.standard_normal(shape)


def he_gaussian(shape, rng):
    """W ~ N(0, 2 / fan_in), drawn from ``rng``."""
    return rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])


class Layer:
    """The Layer contract (params, grads, training, train(), eval()), with no parameters."""

    def __init__(self):
        self.params, self.grads, self.training = {}, {}, True

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self


class TanhLayer(Layer):
    """out = tanh(x): a parameter-free layer that does not depend on the student's activations."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out ** 2)


class Recorder(Layer):
    """The identity, recording (copies of) the batches it sees in training mode."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        if self.training:
            self.seen.append(np.array(x, copy=True))
        return x

    def backward(self, dout):
        return dout


class EvalShift(Recorder):
    """The identity in eval mode; in training mode adds 100 to feature 0 (flips the predictions)."""

    def forward(self, x):
        return x + np.where(self.training, 100.0, 0.0) * (np.arange(x.shape[1]) == 0)
