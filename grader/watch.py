"""Re-grade on save: poll the package's .py files, grade the changed exercises first.

    python -m grader watch                     # exercises/, until Ctrl-C
    python -m grader watch --submission DIR    # a copy of exercises/
    python -m grader watch --rounds 1          # grade once and stop (scripts, tests)

Polling (modification time and size, every ``--interval`` seconds) works on every
file system and editor. Each round clears the screen (on a terminal), grades the
exercises of the files that changed, shows their feedback, then grades the rest
and shows the table and the next step.
"""
import sys
import time
from pathlib import Path

from . import catalog, report, runner, scoring

CLEAR = "\033[2J\033[H"


def snapshot(folder):
    """{relative path: (mtime_ns, size)} of every .py file of the package."""
    folder = Path(folder)
    stamps = {}
    for path in folder.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        stamps[str(path.relative_to(folder))] = (stat.st_mtime_ns, stat.st_size)
    return stamps


def changed(before, after):
    """Paths added, removed or modified between two snapshots, sorted."""
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def exercises_of(paths):
    """Catalog ids of the exercises that live in ``paths``, in teaching order."""
    return catalog.of_modules(Path(p).stem for p in paths)


def merge(first, second):
    """One Run holding the checks of two runs of the same folder."""
    if second is None:
        return first
    first.checks = first.checks + second.checks
    first.seconds += second.seconds
    first.output = first.output or second.output
    return first


def grade_round(folder, seed, paths, write, colour):
    """Grade the exercises of ``paths`` first (all when there are none), then the rest."""
    first_ids = exercises_of(paths) if paths else []
    if first_ids:
        write(f"changed: {', '.join(paths)}: grading {', '.join(first_ids)} first\n")
        run = runner.run(folder, exercises=first_ids, seed=seed)
        for result in scoring.summarize(run, first_ids):
            mark = "ok" if result.status == scoring.DONE else result.status
            write(f"  {result.exercise.id}: {mark} ({result.passed}/{len(result.checks)} checks)\n")
        rest = [e.id for e in catalog.exercises() if e.id not in first_ids]
        run = merge(run, runner.run(folder, exercises=rest, seed=seed) if rest else None)
    else:
        run = runner.run(folder, seed=seed)
    results = scoring.summarize(run)
    write(report.terminal(run, results, colour=colour, label=str(folder)) + "\n")
    upcoming = scoring.next_exercise(results)
    for result in results:
        if result.exercise.id in first_ids and result.status != scoring.DONE \
                and result is not upcoming:
            write("\n".join(report.feedback(result)) + "\n")
    return results


def watch(folder, seed=0, interval=0.5, rounds=None, write=None, clear=None,
          colour=None, sleep=time.sleep):
    """Grade now, then again after every change, for ``rounds`` gradings (None: forever)."""
    clear = sys.stdout.isatty() if clear is None else clear
    if write is None:
        def write(text):
            sys.stdout.write(text)
            sys.stdout.flush()
    stamps, paths, done = snapshot(folder), [], 0
    while True:
        if clear:
            write(CLEAR)
        grade_round(folder, seed, paths, write, colour)
        done += 1
        if rounds is not None and done >= rounds:
            return 0
        write(f"\nwatching {folder} for changes (Ctrl-C to stop)\n")
        while True:
            sleep(interval)
            new = snapshot(folder)
            paths = changed(stamps, new)
            if paths:
                stamps = new
                break


def main(argv):
    from .cli import Parser, add_target, folder_of, positive
    parser = Parser(prog="python -m grader watch", description="Re-grade on every save.")
    add_target(parser)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    parser.add_argument("--rounds", type=positive, default=None,
                        help="stop after this many gradings (default: never)")
    parser.add_argument("--no-colour", "--no-color", action="store_true", help="plain output")
    options = parser.parse_args(argv)
    return watch(folder_of(options), seed=options.seed, interval=options.interval,
                 rounds=options.rounds, colour=False if options.no_colour else None)
