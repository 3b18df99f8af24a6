"""``python -m grader bench``: the kit's layers and training steps timed three ways in one run:
the reference (solutions/), your code (--impl), and PyTorch on the CPU when it is installed.

    python -m grader bench --quick                   # about a minute, your exercises/
    python -m grader bench --impl solutions          # the full run, a few minutes
    python -m grader bench --only conv lstm --plot bench.png
    python -m grader bench --threads 1

Float64, a random upstream gradient, the same thread count for numpy's BLAS and torch,
in ms per call: the median over repeats after a warm-up, the three columns taking turns so
that a busy machine slows them alike. A body you have not written shows "not written"; an
error in your code shows in its cell, and the run goes on. PyTorch is never a dependency.
"""
import argparse
import contextlib
import datetime
import math
import os
import platform
import statistics
import sys
import time

from .cli import Parser, UsageError, positive
from .implementation import NAMED, Implementation, resolve

REFERENCE = NAMED["solutions"]
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# per mode: (repeats, seconds one repeat of a cell lasts: the step runs as often as fits)
MODES = {"full": (11, 0.25), "quick": (7, 0.05), "tiny": (1, 0.0)}
NOT_WRITTEN = "not written"
WIDTHS = (16, 24, 13)       # the workload's name, its size, each cell


def parser():
    p = Parser(prog="python -m grader bench",
               description="Time the kit's layers and training steps: the reference, your code and "
                           "PyTorch CPU side by side (float64, ms per call, medians).")
    p.add_argument("--impl", default="exercises",
                   help="your code: exercises (default), solutions, or a folder")
    p.add_argument("--quick", action="store_true", help="fewer, shorter runs: under a minute")
    p.add_argument("--threads", type=positive, metavar="N", help="threads for numpy's BLAS and torch "
                   "(default: the cores this process may use)")
    p.add_argument("--plot", metavar="FILE", help="also save the ratios as horizontal bars (PNG)")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="the workloads whose name contains NAME (case-insensitive): conv, lstm, mlp")
    p.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)   # the kit's tests
    return p


def fresh(folder, name):
    """The package ``folder`` imported anew as ``name``: the reference and the student's code side
    by side in one process (grader.implementation imports one package unless named)."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]
    return Implementation(folder, name)


def outcome(error):
    """A cell's text for an exception: "not written" for a stub, else its type and message."""
    if isinstance(error, NotImplementedError):
        return NOT_WRITTEN
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= 72 else text[:69] + "..."


def attempt(function, *args):
    """function(*args), or the cell's text for what it raised."""
    try:
        return function(*args)
    except Exception as error:           # the student's code may raise anything: report, go on
        return outcome(error)


def measure(steps, repeats, seconds):
    """{column: median ms per call, or a cell's text}, for steps {column: step or text}.

    Each step runs twice as a warm-up (the second call sizes the runs), then the columns take
    turns, ``repeats`` runs each, who goes first rotating (the first may find cold caches)."""
    results, counts = {}, {}
    for column, step in steps.items():
        results[column] = step if isinstance(step, str) else []
        if callable(step):
            warm = attempt(warm_up, step)          # seconds of a warm call, or what it raised
            if isinstance(warm, str):
                results[column] = warm
            else:
                counts[column] = max(1, round(seconds / max(warm, 1e-9)))
    order = list(counts)
    for turn in range(repeats):
        for column in order[turn % len(order):] + order[:turn % len(order)]:
            if isinstance(results[column], list):
                results[column] = attempt(run, steps[column], counts[column], results[column])
    return {column: statistics.median(value) if isinstance(value, list) else value
            for column, value in results.items()}


def warm_up(step):
    """The seconds of one warm call. A first call can be ten times slower (allocations, threads
    starting): runs sized by it were short, and PyTorch's BatchNorm1d read 0.85 ms a call, not 0.33."""
    step()
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def run(step, count, times):
    """``times`` with one more entry: ms per call over ``count`` calls of ``step``."""
    started = time.perf_counter()
    for _ in range(count):
        step()
    return [*times, (time.perf_counter() - started) * 1000 / count]


def default_threads():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def load_torch(threads):
    """(torch or None, its description for the header)."""
    try:
        import torch
    except ImportError:
        return None, "not installed"
    torch.set_num_threads(threads)
    return torch, f"{torch.__version__} ({threads_text(torch.get_num_threads())})"


def blas(np):
    """numpy's BLAS, its version and the threads it uses (asked from the OpenBLAS library when
    it is loaded: the environment variables count only if they were set before numpy loaded)."""
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{info['name']} {info.get('version', '')}".strip()
    except Exception:
        name = "BLAS unknown"
    count = blas_threads()
    return f"{name}, {threads_text(count) if count else 'its default number of threads'}"


def threads_text(count):
    return f"{count} thread{'s' if count > 1 else ''}"


def blas_threads():
    import ctypes
    try:
        with open("/proc/self/maps") as maps:
            libraries = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(libraries):
        try:
            library = ctypes.CDLL(path)
        except OSError:                 # e.g. a library replaced on disk since it was loaded
            continue
        for symbol in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                       "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(library, symbol):
                return int(getattr(library, symbol)())
    return None


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = f", load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""   # a busy machine
    return f"{platform.system()} {model} ({os.cpu_count()} cores{load})"


def selected(workloads, names):
    if not names:
        return workloads
    unknown = [n for n in names if not any(n.lower() in w.name.lower() for w in workloads)]
    if unknown:
        raise UsageError(f"no workload named like {', '.join(unknown)}; workloads: "
                         + ", ".join(w.name for w in workloads))
    return [w for w in workloads if any(n.lower() in w.name.lower() for n in names)]


def ratio_columns(reference):
    """The ratios shown: the student against the reference and the reference against torch,
    or the student against torch when there is no reference."""
    return [("student", "reference"), ("reference", "torch")] if reference else [("student", "torch")]


def ratio(results, top, bottom):
    a, b = results.get(top), results.get(bottom)
    return a / b if isinstance(a, float) and isinstance(b, float) and b > 0 else None


def ms(value):
    """Three significant digits, or the cell's text."""
    if isinstance(value, str):
        return value
    return f"{value:.{max(0, 2 - math.floor(math.log10(value)))}f}" if value > 0 else "0"


def row_text(name, size, cells):
    """cells: the reference's, torch's, the ratios, the student's. The student's comes last: an
    error message there runs on without shifting a column."""
    *aligned, student = cells
    return (f"{name:<{WIDTHS[0]}} {size:<{WIDTHS[1]}}"
            + "".join(f" {cell:>{WIDTHS[2]}}" for cell in aligned) + f"  {student:>{WIDTHS[2]}}")


def plot(path, rows, pairs, title):
    """Horizontal bars of each ratio from 1 on a log axis: right of 1, the first is slower."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 1.5 + 0.25 * len(rows) * len(pairs)))
    height, widest = 0.8 / len(pairs), 2.0
    for k, (top, bottom) in enumerate(pairs):
        shown = [(i + k * height, v) for i, (_, results) in enumerate(rows)
                 if (v := ratio(results, top, bottom)) is not None]
        ax.barh([y for y, _ in shown], [v - 1 for _, v in shown], height, left=1,
                label=f"{top} / {bottom}")
        for y, v in shown:
            ax.text(v, y, f" {v:.2f} ", va="center", ha="left" if v >= 1 else "right", fontsize=7)
            widest = max(widest, v, 1 / v)
    ax.set_xscale("log")
    ax.set_xlim(1 / (1.5 * widest), 1.5 * widest)          # 1 in the middle
    ticks = [2.0 ** k for k in range(-int(math.log2(widest)), int(math.log2(widest)) + 1)]
    ax.set_xticks(ticks, [f"{t:g}" if t >= 1 else f"1/{1 / t:g}" for t in ticks])
    ax.minorticks_off()
    ax.axvline(1, color="black", linewidth=0.8)
    ax.set_yticks([i + height * (len(pairs) - 1) / 2 for i in range(len(rows))],
                  [w.name for w, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel("ratio of the times per call (log scale; right of 1: the first is slower)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv):
    options = parser().parse_args(argv)
    threads = options.threads or default_threads()
    if "numpy" not in sys.modules:             # OpenBLAS reads them once, when numpy loads
        os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    import numpy as np

    from .bench_workloads import workloads
    student_folder = resolve(options.impl)
    chosen = selected(workloads("tiny" if options.tiny else "full"), options.only)
    repeats, seconds = MODES["tiny" if options.tiny else "quick" if options.quick else "full"]
    torch, torch_text = load_torch(threads)
    reference = attempt(fresh, REFERENCE, "sophia_bench_reference") if REFERENCE.is_dir() else None
    student = attempt(fresh, student_folder, "sophia_bench_student")
    pairs = ratio_columns(reference)
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {machine()}; python {platform.python_version()}; "
          f"numpy {np.__version__} ({blas(np)}); torch {torch_text}")
    print(f"float64, forward + backward with a random upstream gradient; ms per call, the median of "
          f"{repeats} runs after a warm-up; reference: "
          f"{REFERENCE if reference else 'absent (no solutions/ here)'}; student: {student_folder}")
    print(row_text("workload", "size", ["reference ms", "torch ms", *(
        f"{top}/{bottom}".replace("reference", "ref") for top, bottom in pairs), "student ms"]))
    rows = []
    for workload in chosen:
        data = workload.data(np.random.default_rng(0))
        packages = {"reference": reference if reference else "absent", "student": student,
                    "torch": torch or "not installed"}
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):   # prints in a layer
            steps = {column: owner if isinstance(owner, str) else
                     attempt(workload.torch if column == "torch" else workload.kit, owner, *data)
                     for column, owner in packages.items()}
            results = measure(steps, repeats, seconds)
        rows.append((workload, results))
        ratios = [ratio(results, top, bottom) for top, bottom in pairs]
        print(row_text(workload.name, workload.size, [
            ms(results["reference"]), ms(results["torch"]),
            *("-" if r is None else f"{r:.2f}" for r in ratios), ms(results["student"])]), flush=True)
    if options.plot:
        plot(options.plot, rows, pairs, f"python -m grader bench, {datetime.date.today()}, "
             f"{threads_text(threads)}, float64; student: {student_folder}")
        print(f"plot: {options.plot}")
    return 0
