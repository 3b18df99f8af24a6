"""Test doubles that the checks put inside the student's models: they run in the executor.

    layer = impl.doubles.SineLayer()                 # a proxy, like the student's layers
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
    """The Layer contract (params, grads, training, train(), eval(), layer(x)), with no parameters."""

    def __init__(self):
        self.params, self.grads, self.training = {}, {}, True

    def __call__(self, x):          # layers.Layer has it: a Sequential may call layer(x)
        return self.forward(x)

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self


class SineLayer(Layer):
    """out = sin(x): a smooth parameter-free layer that is no exercise of the kit."""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, dout):
        return dout * np.cos(self.x)


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


class Parameters(Layer):
    """A layer that only holds arrays: params[name] and grads[name], for the optimizer checks.

        holder = impl.doubles.Parameters(W=np.ones((2, 3)), b=np.zeros(3))
        impl.optim.SGD(holder.pairs(), lr=0.1)
    """

    def __init__(self, **arrays):
        super().__init__()
        self.params = {name: np.array(a, copy=True) for name, a in arrays.items()}
        self.grads = {name: np.zeros_like(a) for name, a in self.params.items()}

    def pairs(self):
        """[(self, name), ...]: what model.parameters() gives, for this holder alone."""
        return [(self, name) for name in self.params]


class StepCounter:
    """An optimizer that moves nothing: it counts its step() calls and keeps the gradient of each."""

    def __init__(self, parameters):
        self.parameters, self.seen = list(parameters), []

    def step(self):
        self.seen.append([np.array(layer.grads[name], copy=True) for layer, name in self.parameters])


class BatchSizes(Layer):
    """The identity, recording len(x) of every batch it sees in eval mode (``sizes``)."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def forward(self, x):
        if not self.training:
            self.sizes.append(len(x))
        return x

    def backward(self, dout):
        return dout


class HeldSGD:
    """Plain SGD, p -= lr * grad, on the arrays it was given when made: it holds the arrays
    themselves (as PyTorch's optimizers do), so one replaced in a layer's params is no longer
    trained.

        optimizer = impl.doubles.HeldSGD(model.parameters(), lr=0.5)
    """

    def __init__(self, parameters, lr):
        self.pairs = list(parameters)
        self.arrays = [layer.params[name] for layer, name in self.pairs]
        self.lr, self.steps = float(lr), 0

    def step(self):
        for (layer, name), p in zip(self.pairs, self.arrays):
            p -= self.lr * layer.grads[name]
        self.steps += 1

    def holds_the_model_arrays(self):
        """For each parameter: is the layer's array still the very one this optimizer updates?"""
        return [layer.params[name] is p for (layer, name), p in zip(self.pairs, self.arrays)]


class Landscape(Parameters):
    """One parameter w on a known function, descended in the executor (one call, not one per step).

        hill = impl.doubles.Landscape("rosenbrock", w=np.array([-1.5, 2.0]))
        path = hill.descend(impl.optim.Adam(hill.pairs(), lr=0.02), 1000)   # (1000, 2)
    """

    def __init__(self, kind, w, **constants):
        super().__init__(w=w)
        self.kind, self.constants = kind, {k: np.asarray(v, dtype=np.float64) for k, v in constants.items()}

    def gradient(self, w):
        if self.kind == "quadratic":          # f(w) = 1/2 sum_i a_i (w_i - w*_i)**2
            return self.constants["a"] * (w - self.constants["w_star"])
        x, y = w                              # rosenbrock: (1 - x)**2 + 100 (y - x**2)**2
        return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])

    def descend(self, optimizer, steps):
        """Set grads["w"] to the gradient at w, call optimizer.step(); w after each of ``steps``."""
        path = np.empty((steps, self.params["w"].size))
        for k in range(steps):
            self.grads["w"] = self.gradient(np.array(self.params["w"], dtype=np.float64))
            optimizer.step()
            path[k] = self.params["w"]
        return path
