"""The reference layers' worst gradient error against the checks' numerical gradient, as a
fraction of what the checks allow (an entry fails above 1).

    python benchmarks/gradient_errors.py

Uses the trusted helper of the test suite (float64, random non-uniform dout,
every coordinate of a small layer), over several seeds.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.implementation import Implementation  # noqa: E402
from tests.gradcheck import check_layer_gradients  # noqa: E402


def layers(impl, rng):
    init = lambda shape, rng: rng.standard_normal(shape)  # noqa: E731
    yield "Linear", impl.layers.Linear(6, 5, rng, weight_init=init), 1.0
    for name in ("Sigmoid", "Tanh", "ReLU", "Swish", "Softmax"):
        yield name, getattr(impl.activations, name)(), 1.0


def main():
    impl = Implementation("solutions")
    worst = {}
    for seed in range(10):
        rng = np.random.default_rng(seed)
        for name, layer, scale in layers(impl, rng):
            x = rng.standard_normal((4, 6)) * scale
            x[np.abs(x) < 1e-2] = 0.5          # away from ReLU's kink
            errors = check_layer_gradients(layer, x, rng, max_coords=1000, tol=1.0)
            for key, error in errors.items():
                worst[name, key] = max(worst.get((name, key), 0.0), error)
    print(f"{'layer':<8} {'array':<4} worst error / allowed (10 seeds)")
    for (name, key), error in worst.items():
        print(f"{name:<8} {key:<4} {error:.2e}")


if __name__ == "__main__":
    main()
