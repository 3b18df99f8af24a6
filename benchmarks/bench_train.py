"""Milliseconds per training step of the spiral MLP (hidden 100, ReLU, softmax, L2, full batch).

    python benchmarks/bench_train.py                      # the reference solutions
    python benchmarks/bench_train.py --impl exercises     # your own code
    python benchmarks/bench_train.py --repeats 7 --threads 2

One step = forward, loss, backward, SGD update, on 300 and on 30,000 points (100 and
10,000 per class). When ``import torch`` works, the same step in PyTorch on the CPU
(float64, same thread count) is timed too; torch is never a dependency of the kit.
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from data.spiral import make_spirals
from grader.implementation import Implementation


def time_steps(step, steps, repeats):
    """Median over ``repeats`` of the mean ms per call of ``step`` over ``steps`` calls."""
    step()                                          # warm-up
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(steps):
            step()
        runs.append((time.perf_counter() - started) * 1000 / steps)
    return float(np.median(runs))


def numpy_step(impl, X, y, rng):
    model = impl.models.build_mlp(2, (100,), 3, rng, activation="relu", reg=1e-3)
    params = model.parameters()

    def step():
        model.loss(X, y)
        for layer, name in params:
            layer.params[name] -= 1.0 * layer.grads[name]
    return step


def torch_step(X, y, seed):
    import torch
    torch.manual_seed(seed)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    W1 = (torch.randn(2, 100, dtype=torch.float64) * 1.0).requires_grad_()
    b1 = torch.zeros(100, dtype=torch.float64, requires_grad=True)
    W2 = (torch.randn(100, 3, dtype=torch.float64) * 0.14).requires_grad_()
    b2 = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    params = [W1, b1, W2, b2]

    def step():
        scores = torch.relu(Xt @ W1 + b1) @ W2 + b2
        loss = torch.nn.functional.cross_entropy(scores, yt) + 0.5e-3 * ((W1 ** 2).sum() + (W2 ** 2).sum())
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 1.0 * p.grad
    return step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", default="solutions")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(args.threads)
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    impl = Implementation(args.impl)
    print(f"numpy {np.__version__}; torch {torch_version or 'not installed'}; {args.threads} threads; "
          f"float64; median of {args.repeats} runs")
    print(f"{'points':>8} {'numpy ms/step':>14} {'torch ms/step':>14}")
    for per_class, steps in ((100, 200), (10_000, 10)):
        rng = np.random.default_rng(0)
        X, y = make_spirals(per_class, rng=rng)
        ours = time_steps(numpy_step(impl, X, y, rng), steps, args.repeats)
        theirs = time_steps(torch_step(X, y, 0), steps, args.repeats) if torch_version else None
        shown = "-" if theirs is None else f"{theirs:.3f}"
        print(f"{len(X):>8} {ours:>14.3f} {shown:>14}")


if __name__ == "__main__":
    main()
