"""Milliseconds per forward + backward of the normalization layers, numpy against PyTorch CPU.

    python benchmarks/bench_norm.py                      # the reference solutions
    python benchmarks/bench_norm.py --impl exercises     # your own code
    python benchmarks/bench_norm.py --repeats 9 --threads 2

Float64, training mode, a random upstream gradient; PyTorch (same thread count) is
timed only when ``import torch`` works: it is never a dependency of the kit.
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from bench_train import time_steps

from grader.implementation import Implementation

# name, input shape, the kit's layer, torch's layer: each built from the feature count
WORKLOADS = [
    ("BatchNorm1d", (256, 512), "BatchNorm1d", "BatchNorm1d"),
    ("BatchNorm2d", (32, 16, 32, 32), "BatchNorm2d", "BatchNorm2d"),
    ("LayerNorm", (256, 512), "LayerNorm", "LayerNorm"),
]


def numpy_step(impl, kind, x, dout):
    layer = getattr(impl.normalization, kind)(x.shape[1] if kind != "LayerNorm" else x.shape[-1])

    def step():
        layer.forward(x)
        layer.backward(dout)
    return step


def torch_step(kind, x, dout):
    import torch
    layer = getattr(torch.nn, kind)(x.shape[1] if kind != "LayerNorm" else x.shape[-1]).double()
    xt, dt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dout)

    def step():
        xt.grad = None
        layer.zero_grad(set_to_none=True)
        layer(xt).backward(dt)
    return step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", default="solutions")
    p.add_argument("--repeats", type=int, default=7)
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
          f"float64; fwd+bwd; median of {args.repeats} runs")
    print(f"{'layer':<12} {'shape':<18} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for name, shape, ours_kind, torch_kind in WORKLOADS:
        x, dout = 2.0 * rng.standard_normal(shape) + 1.0, rng.standard_normal(shape)
        ours = time_steps(numpy_step(impl, ours_kind, x, dout), 50, args.repeats)
        theirs = time_steps(torch_step(torch_kind, x, dout), 50, args.repeats) if torch_version else None
        shown = "-" if theirs is None else f"{theirs:.3f}"
        ratio = "-" if theirs is None else f"{ours / theirs:.2f}"
        print(f"{name:<12} {str(shape):<18} {ours:>9.3f} {shown:>9} {ratio:>6}")


if __name__ == "__main__":
    main()
