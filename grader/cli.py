"""Commands of ``python -m grader``; each is a function of its parsed options.

    python -m grader [--impl solutions | --submission DIR] [--json FILE] [--seed N]
    python -m grader check NAME ...  exercises (ids or files: layers.py), with their prerequisites
    python -m grader list            exercise ids in teaching order, with status
    python -m grader train mlp       train on the spirals with your code
    python -m grader hint NAME       one more hint each time (.sophia/hints.json)
    python -m grader watch           re-grade on save, the changed exercise first
    python -m grader reset NAME      put NAME's functions back to the stub (backup kept)
    python -m grader build-exercises write exercises/ from solutions/
    python -m grader validate        instructor self-test: seeds, stubs, freshness, mutants
    python -m grader handout DIR     the student copy: no solutions, no answers
    python -m grader batch DIR --csv grades.csv -j N    grade a class
    python -m grader gradescope --out autograder.zip    Gradescope autograder, no solutions
    python -m grader prairielearn-run [--root /grade]  PrairieLearn's external-grader entry point
"""
import argparse
import atexit
import difflib
import importlib
import shutil
import sys
import tempfile
from pathlib import Path

from . import catalog, report, runner, scoring
from .implementation import NAMED, MissingSubmission, resolve


class UsageError(Exception):
    """A bad command line: one line on stderr, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def add_target(parser):
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--impl", default="exercises",
                        help="package to grade: exercises (default), solutions, or a folder")
    target.add_argument("--submission", metavar="DIR", help="a student's copy of exercises/")
    parser.add_argument("--seed", type=int, default=0, help="fresh random inputs (default 0)")


def add_report(parser):
    parser.add_argument("--upload", metavar="DIR",
                        help="grade an upload as the platforms do: the modules found anywhere in DIR "
                             "over the pristine stubs (never files under solutions/)")
    parser.add_argument("--json", metavar="FILE", help="also write results.json (see --format)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="gradescope",
                        help="what --json writes: gradescope (default), prairielearn, or classroom "
                             "(GitHub Classroom's autograding reporter)")
    parser.add_argument("--fail-under", type=float, metavar="PCT",
                        help="exit 1 when the score is below PCT percent")
    parser.add_argument("--no-colour", "--no-color", action="store_true", help="plain output")
    parser.add_argument("-v", "--show-output", action="store_true",
                        help="show what your code printed in every check (failed checks show it anyway)")
    parser.add_argument("--all", action="store_true", dest="every_failure",
                        help=f"show every failure in full (by default the first {report.FULL_FAILURES})")


# --format: the module whose write_json(path, run, results) writes that platform's results
FORMATS = {"gradescope": "grader.report", "prairielearn": "grader.prairielearn",
           "classroom": "grader.classroom"}


def folder_of(options):
    return resolve(options.submission or options.impl)


def uploaded(upload):
    """The package assembled from ``upload`` (grader.uploads), in a folder removed at exit."""
    from .uploads import assemble
    if not Path(upload).is_dir():
        raise MissingSubmission(f"upload folder not found: {upload}")
    folder = Path(tempfile.mkdtemp(prefix="sophia-upload-"))
    atexit.register(shutil.rmtree, folder, True)
    result = assemble(upload, folder / "package")
    print("\n".join(result.notes), file=sys.stderr)
    return result.folder


def grade(options, exercise_ids=None):
    try:
        folder = uploaded(options.upload) if options.upload else folder_of(options)
    except MissingSubmission as error:      # a platform still needs its results file
        if options.json and options.format == "prairielearn":
            from . import prairielearn
            prairielearn.write(options.json, prairielearn.ungradable(str(error)))
        raise
    progress = Progress(enabled=sys.stderr.isatty())
    run = runner.run(folder, exercises=exercise_ids, seed=options.seed, on_check=progress)
    progress.done()
    results = scoring.summarize(run, exercise_ids)
    label = options.upload or options.submission or options.impl
    print(report.terminal(run, results, colour=False if options.no_colour else None,
                          label=label, show_output=options.show_output,
                          every_failure=options.every_failure))
    if options.json:
        importlib.import_module(FORMATS[options.format]).write_json(options.json, run, results)
    score, most = scoring.total(results)
    if options.fail_under is not None and scoring.percent(score, most) < options.fail_under:
        return 1
    return 0


class Progress:
    """A one-line count of finished checks on stderr, when it is a terminal."""

    def __init__(self, enabled):
        self.enabled, self.count = enabled, 0

    def __call__(self, check):
        self.count += 1
        if self.enabled:
            sys.stderr.write(f"\r  {self.count} checks done ({check.exercise})\033[K")
            sys.stderr.flush()

    def done(self):
        if self.enabled:
            sys.stderr.write("\r\033[K")


def cmd_grade(argv):
    parser = Parser(prog="python -m grader", description="Grade the exercises.",
                    epilog="commands: " + ", ".join(COMMANDS) + " ('python -m grader "
                    "COMMAND --help')")
    add_target(parser)
    add_report(parser)
    return grade(parser.parse_args(argv))


def cmd_check(argv):
    parser = Parser(prog="python -m grader check", description="Grade some exercises.")
    parser.add_argument("names", nargs="+", metavar="NAME",
                        help="exercise ids (python -m grader list) or files of the package (layers.py)")
    add_target(parser)
    add_report(parser)
    options = parser.parse_args(argv)
    return grade(options, exercise_ids=catalog.checked(options.names))


def cmd_list(argv):
    parser = Parser(prog="python -m grader list", description="Exercise ids and status.")
    add_target(parser)
    parser.add_argument("--no-status", action="store_true", help="ids only, without grading")
    options = parser.parse_args(argv)
    if options.no_status:
        statuses = {}
    else:
        run = runner.run(folder_of(options), seed=options.seed)
        statuses = {r.exercise.id: r.status for r in scoring.summarize(run)}
    for exercise in catalog.exercises():
        print(f"{exercise.id:<20} {statuses.get(exercise.id, '')}".rstrip())
    return 0


def cmd_build_exercises(argv):
    from . import backups
    from .build import build, stale_files, student_work
    parser = Parser(prog="python -m grader build-exercises",
                    description="Write exercises/ from solutions/ (stubs replace solutions).")
    parser.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale")
    parser.add_argument("--force", action="store_true",
                        help="overwrite a student's work in exercises/ (backed up first)")
    options = parser.parse_args(argv)
    needs_solutions("build-exercises")
    solutions, exercises = NAMED["solutions"], NAMED["exercises"]
    stale = stale_files(solutions, exercises)
    if options.check:
        for path in stale:
            print(f"stale: exercises/{path}")
        return 1 if stale else 0
    work = student_work(solutions, exercises)
    if work and not options.force:
        raise UsageError("refusing to overwrite work in exercises/ (" + ", ".join(work[:4])
                         + (" ..." if len(work) > 4 else "") + "); nothing was written. "
                         "--force backs those files up in .sophia/backups/ first")
    for path in stale:
        if (exercises / path).is_file():
            print(f"backup of exercises/{path}: {backups.backup(exercises / path)}")
    for path in build(solutions, exercises):
        print(f"updated exercises/{path}")
    return 0


def needs_solutions(command):
    """Stop an instructor's command where there is no solutions/ (a student's copy of the kit)."""
    if not NAMED["solutions"].is_dir():
        raise UsageError(f"'{command}' works from the reference solutions, and this copy of the kit has "
                         f"none ({NAMED['solutions']} not found): nothing was changed")


def positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got '{text}'")
    return value


def elsewhere(module, function="main"):
    """A command whose parser and code live in grader/<module>.py, imported when used."""
    def command(argv):
        return getattr(importlib.import_module(f"grader.{module}"), function)(argv)
    return command


COMMANDS = {"check": cmd_check, "list": cmd_list, "hint": elsewhere("hints"),
            "watch": elsewhere("watch"), "reset": elsewhere("reset"), "train": elsewhere("train_cli"),
            "build-exercises": cmd_build_exercises, "validate": elsewhere("validate"),
            "handout": elsewhere("handout"), "batch": elsewhere("batch"),
            "notebook": elsewhere("notebook_cli"), "bench": elsewhere("bench"),
            "gradescope": elsewhere("gradescope"),
            "gradescope-run": elsewhere("gradescope", "run_main"),
            "prairielearn-run": elsewhere("prairielearn", "run_main")}


def main(argv):
    if argv and not argv[0].startswith("-"):
        name = argv[0]
        if name not in COMMANDS:
            close = difflib.get_close_matches(name, COMMANDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return fail(f"unknown command '{name}'{hint}; commands: {', '.join(COMMANDS)}")
        command, argv = COMMANDS[name], argv[1:]
    else:
        command = cmd_grade
    try:
        return command(argv)
    except (UsageError, catalog.UnknownExercise, MissingSubmission) as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:            # `python -m grader | head`: the reader left; not an error
        sys.stdout = None
        return 0


def fail(message):
    print(f"grader: {message}", file=sys.stderr)
    return 2
