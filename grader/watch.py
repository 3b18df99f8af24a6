"""Re-grade on save, as rustlings does: the current exercise, and on to the next when it passes.

    python -m grader watch                     # exercises/, until Ctrl-C
    python -m grader watch --submission DIR    # a copy of exercises/
    python -m grader watch --rounds 1          # grade once and stop (scripts, tests)

The first round grades everything and finds the current exercise (the first one
not passed, in teaching order). Each save then re-grades that exercise (with what
it requires) on a cleared screen, in the words of the full report; when it
passes, everything is graded again and the next one takes its place. A grading
still running when a file changes again is cancelled and started over. Polling
(modification time and size, every ``--interval`` seconds) works on every file
system and editor.
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


def grade_round(folder, seed, current, colour, cancel=None):
    """(the exercise in focus after this round, or None; the text to show)."""
    ids = [e.id for e in catalog.with_prerequisites(current)] if current else None
    run = runner.run(folder, exercises=ids, seed=seed, cancel=cancel)
    results = scoring.summarize(run, ids)
    upcoming = scoring.next_exercise(results)
    text = report.terminal(run, results, colour=colour, label=str(folder))
    if current and upcoming is None:                  # it passes: on to the next one
        run = runner.run(folder, seed=seed, cancel=cancel)
        results = scoring.summarize(run)
        upcoming = scoring.next_exercise(results)
        text = (f"{current} passes: on to the next exercise.\n\n"
                + report.terminal(run, results, colour=colour, label=str(folder)))
    return (upcoming.exercise.id if upcoming else None), text


def watch(folder, seed=0, interval=0.5, rounds=None, write=None, clear=None,
          colour=None, sleep=time.sleep):
    """Grade now, then again after every change, for ``rounds`` gradings (None: forever)."""
    clear = sys.stdout.isatty() if clear is None else clear
    if write is None:
        def write(text):
            sys.stdout.write(text)
            sys.stdout.flush()
    stamps, current, done = snapshot(folder), None, 0
    while True:
        started = stamps
        try:
            current, text = grade_round(folder, seed, current, colour,
                                        cancel=lambda before=started: snapshot(folder) != before)
        except runner.Cancelled:                      # a file changed meanwhile: start over
            stamps = snapshot(folder)
            continue
        if clear:
            write(CLEAR)
        write(text + "\n")
        done += 1
        if rounds is not None and done >= rounds:
            return 0
        write(f"\nwatching {folder} for changes (Ctrl-C to stop)\n")
        while stamps == started:
            sleep(interval)
            stamps = snapshot(folder)


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
