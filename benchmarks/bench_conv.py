"""Milliseconds per forward + backward of Conv2d and MaxPool2d, numpy against PyTorch CPU.

    python benchmarks/bench_conv.py                      # the reference solutions
    python benchmarks/bench_conv.py --impl exercises     # your own code
    python benchmarks/bench_conv.py --repeats 9 --threads 2

The kit's CNN workloads in float64, with a random upstream gradient: Conv2d(3, 32, 3,
padding=1) on 50 images of 3 x 32 x 32, and MaxPool2d(2) on (50, 32, 32, 32). The
convolution's arithmetic rate is set against the machine's: the GFLOP/s of one float64
2000 x 2000 matrix product (numpy's BLAS, which uses every core unless OPENBLAS_NUM_THREADS
says otherwise). PyTorch (same thread count) is timed only when ``import torch`` works: it is
never a dependency of the kit.
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from bench_train import time_steps

from grader.implementation import Implementation

N, C, SIZE, F, K = 50, 3, 32, 32, 3          # the convolution: 50 images 3 x 32 x 32, 32 filters 3 x 3
POOL_SHAPE = (50, 32, 32, 32)
GEMM = 2000


def conv_flops():
    """Multiply-adds times 2: forward 2 N F OH OW C KH KW; backward twice that (dW and dx)."""
    forward = 2 * N * F * SIZE * SIZE * C * K * K          # padding 1, stride 1: OH = OW = 32
    return 3 * forward


def gemm_gflops(repeats):
    """GFLOP/s of a float64 GEMM x GEMM matrix product (2 n^3 flops), median over ``repeats``."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((GEMM, GEMM)), rng.standard_normal((GEMM, GEMM))
    out = np.empty((GEMM, GEMM))
    ms = time_steps(lambda: np.matmul(a, b, out=out), 1, repeats)
    return 2 * GEMM ** 3 / (ms * 1e6)


def numpy_step(layer, x, dout):
    def step():
        layer.forward(x)
        layer.backward(dout)
    return step


def torch_step(layer, x, dout):
    import torch
    xt, dt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dout)

    def step():
        xt.grad = None
        layer.zero_grad(set_to_none=True)
        layer(xt).backward(dt)
    return step


def workloads(impl, torch_version, rng):
    """(name, shape, our step, torch's step or None, flops or None) of each workload."""
    x = rng.standard_normal((N, C, SIZE, SIZE))
    dout = rng.standard_normal((N, F, SIZE, SIZE))
    conv = impl.conv.Conv2d(C, F, K, np.random.default_rng(0), padding=1)
    pooled = rng.standard_normal(POOL_SHAPE)
    pool_dout = rng.standard_normal((*POOL_SHAPE[:2], POOL_SHAPE[2] // 2, POOL_SHAPE[3] // 2))
    rows = [("Conv2d 3->32 3x3 p1", x.shape, numpy_step(conv, x, dout), x, dout, conv_flops()),
            ("MaxPool2d 2x2", pooled.shape, numpy_step(impl.conv.MaxPool2d(2), pooled, pool_dout),
             pooled, pool_dout, None)]
    if not torch_version:
        return [(name, shape, ours, None, flops) for name, shape, ours, _, _, flops in rows]
    import torch
    layers = [torch.nn.Conv2d(C, F, K, padding=1).double(), torch.nn.MaxPool2d(2)]
    return [(name, shape, ours, torch_step(layer, xs, ds), flops)
            for (name, shape, ours, xs, ds, flops), layer in zip(rows, layers)]


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
    peak = gemm_gflops(args.repeats)
    print(f"numpy {np.__version__}; torch {torch_version or 'not installed'}; {args.threads} threads; "
          f"float64; fwd+bwd; median of {args.repeats} runs")
    print(f"float64 GEMM {GEMM}x{GEMM} @ {GEMM}x{GEMM}: {peak:.1f} GFLOP/s")
    print(f"{'layer':<20} {'input':<18} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6} "
          f"{'numpy GFLOP/s':>14} {'of GEMM':>8} {'torch GFLOP/s':>14}")
    for name, shape, ours_step, torch_step_, flops in workloads(impl, torch_version,
                                                                  np.random.default_rng(0)):
        ours = time_steps(ours_step, 10, args.repeats)
        theirs = time_steps(torch_step_, 10, args.repeats) if torch_step_ else None
        shown = "-" if theirs is None else f"{theirs:.2f}"
        ratio = "-" if theirs is None else f"{ours / theirs:.2f}"
        rate = "-" if flops is None else f"{flops / (ours * 1e6):.1f}"
        share = "-" if flops is None else f"{flops / (ours * 1e6) / peak:.0%}"
        their_rate = "-" if flops is None or theirs is None else f"{flops / (theirs * 1e6):.1f}"
        print(f"{name:<20} {str(shape):<18} {ours:>9.2f} {shown:>9} {ratio:>6} "
              f"{rate:>14} {share:>8} {their_rate:>14}")
    print(f"(the convolution's flops: forward 2 N F OH OW C KH KW, backward twice that: "
          f"{conv_flops() / 1e6:.0f} MFLOP per step)")


if __name__ == "__main__":
    main()
