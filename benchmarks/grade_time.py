"""Wall time of grading: the whole kit, and each exercise alone (as `check ID` runs it).

    python benchmarks/grade_time.py [--impl solutions] [--repeat 3]

Prints the median over the repeats, in seconds.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import catalog, runner  # noqa: E402


def timed(repeat, **kwargs):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = runner.run(**kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="solutions")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    seconds, result = timed(options.repeat, impl=options.impl)
    print(f"whole grade of {options.impl}: {len(result.checks)} checks, median {seconds:.2f} s")
    for exercise in catalog.exercises():
        ids = [e.id for e in catalog.with_prerequisites(exercise.id)]
        seconds, result = timed(options.repeat, impl=options.impl, exercises=ids)
        print(f"  check {exercise.id:<18} {len(result.checks):>4} checks  {seconds:.2f} s")


if __name__ == "__main__":
    main()
