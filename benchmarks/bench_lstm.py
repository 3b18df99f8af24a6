"""Milliseconds per forward + backward of the LSTM over a sequence, numpy against PyTorch CPU.

    python benchmarks/bench_lstm.py                      # the reference solutions
    python benchmarks/bench_lstm.py --impl exercises     # your own code
    python benchmarks/bench_lstm.py --repeats 9 --threads 2

Float64, batch-first, the initial state zeros, a random upstream gradient on every
step; PyTorch's nn.LSTM (same thread count) is timed only when ``import torch``
works: it is never a dependency of the kit.
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from bench_train import time_steps

from grader.implementation import Implementation

# T, N, D, H: sequence length, batch, input features, hidden units
WORKLOADS = [(20, 32, 64, 128)]


def numpy_step(impl, x, dhs, hidden):
    layer = impl.recurrent.LSTM(x.shape[2], hidden, np.random.default_rng(0))

    def step():
        layer.forward(x)
        layer.backward(dhs)
    return step


def torch_step(x, dhs, hidden):
    import torch
    torch.manual_seed(0)
    layer = torch.nn.LSTM(x.shape[2], hidden, batch_first=True).double()
    xt, dt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dhs)

    def step():
        xt.grad = None
        layer.zero_grad(set_to_none=True)
        layer(xt)[0].backward(dt)
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
    print(f"{'T, N, D, H':<18} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for t, n, d, h in WORKLOADS:
        x, dhs = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
        ours = time_steps(numpy_step(impl, x, dhs, h), 20, args.repeats)
        theirs = time_steps(torch_step(x, dhs, h), 20, args.repeats) if torch_version else None
        shown = "-" if theirs is None else f"{theirs:.3f}"
        ratio = "-" if theirs is None else f"{ours / theirs:.2f}"
        print(f"{str((t, n, d, h)):<18} {ours:>9.3f} {shown:>9} {ratio:>6}")


if __name__ == "__main__":
    main()
