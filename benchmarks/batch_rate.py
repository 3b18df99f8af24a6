"""Submissions graded per minute by `python -m grader batch -j JOBS` on a mixed class.

    python benchmarks/batch_rate.py [--jobs 2] [--students 12] [--repeat 3]

The class: solved copies, pristine stubs, copies with one realistic bug each, and
the usual troublemakers (an endless loop, a syntax error, a crash). Prints the
median rate over the repeats.
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORWARD = '        self.cache = x\n        return x @ self.params["W"] + self.params["b"]\n'
BUGS = [  # (module, solution text, student text)
    ("layers", 'self.grads["W"] = x.T @ dout', 'self.grads["W"] = dout.T @ x'),
    ("losses", "dscores /= n\n", "\n"),
    ("layers", FORWARD, "        while True:\n            pass\n"),
    ("layers", FORWARD, "        return x @@ self.params['W']\n"),
    ("layers", FORWARD, "        import os\n        os._exit(1)\n"),
]


def make_class(folder, students):
    """``students`` submission folders: every third solved, every third a stub, the rest bugs."""
    for number in range(students):
        target = folder / f"student{number:02d}"
        kind = number % 3
        shutil.copytree(ROOT / ("exercises" if kind == 1 else "solutions"), target,
                        ignore=shutil.ignore_patterns("__pycache__"))
        if kind == 2:
            module, old, new = BUGS[(number // 3) % len(BUGS)]
            path = target / f"{module}.py"
            path.write_text(path.read_text().replace(old, new, 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        make_class(Path(tmp) / "class", options.students)
        for _ in range(options.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grader", "batch", str(Path(tmp) / "class"),
                            "--csv", str(Path(tmp) / "grades.csv"), "-j", str(options.jobs)],
                           cwd=ROOT, check=True, capture_output=True)
            rates.append(60 * options.students / (time.perf_counter() - started))
    print(f"batch -j {options.jobs}, {options.students} mixed submissions: median "
          f"{statistics.median(rates):.1f} submissions/min (min {min(rates):.1f}, max {max(rates):.1f})")


if __name__ == "__main__":
    main()
