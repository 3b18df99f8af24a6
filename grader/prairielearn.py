"""PrairieLearn's external grader: its results.json, and the entry point of its container.

    python -m grader --submission DIR --format prairielearn --json results.json
    python -m grader prairielearn-run [--root /grade] [--exercise ID ...] [--seed N]

The results follow PrairieLearn's "External Grading" documentation, section "Grading results"
(docs/externalGrading.md in PrairieLearn/PrairieLearn, as of 2025): ``score`` is a float in
[0, 1]; ``gradable: false`` marks a submission that could not be graded (no points, no attempt
charged) with ``format_errors``, a string or a list of strings; ``message`` and ``output`` are
shown with the score; ``tests`` is a list of {name, description, points, max_points, message,
output} that the ``<pl-external-grader-results>`` element renders. The file must stay under
1 MB. In the container the student's files are in /grade/student, and the results go to
/grade/results/results.json, a folder the grader must create itself.
"""
import json
import tempfile
import traceback
from pathlib import Path

from . import catalog, report, runner, scoring, uploads

MAX_BYTES = 1_000_000     # PrairieLearn's limit on results.json
MAX_OUTPUT = 20_000       # characters of one test's output kept, so 46 tests stay far below it


def points(value):
    """Points as a number, rounded the way every report prints them (grader.report.points)."""
    return float(report.points(value))


def shown_to_students(check, exercise):
    """PrairieLearn has no per-test visibility nor a due date: a hidden or after-due-date check
    (or exercise) counts, but its message and output are withheld."""
    return getattr(check, "visibility", "visible") == "visible" and exercise.visibility == "visible"


def visible_feedback(result):
    """What a student may read of one exercise: the feedback of its visible checks (what they
    printed included), and only a count for the others."""
    visible = [c for c in result.checks if shown_to_students(c, result.exercise)]
    withheld = len(result.checks) - len(visible)
    lines = []
    if visible:
        part = scoring.ExerciseResult(result.exercise, visible, scoring.status_of(visible), 0.0)
        if part.status == scoring.DONE:
            lines.append(f"all {len(visible)} checks passed")
        else:
            lines += report.feedback(part, with_output=False)
            lines += [line for c in visible for line in report.printed(c, indent="")]
    elif not result.checks:
        lines += report.feedback(result, with_output=False)
    if withheld:
        passed = sum(c.outcome == "passed" for c in result.checks if c not in visible)
        lines.append(f"hidden checks: {passed} of {withheld} passed")
    text = "\n".join(lines).strip()
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n... (cut)"


def test_of(result):
    """One exercise as one PrairieLearn test."""
    passed = result.passed
    return {"name": f"{result.exercise.id}: {result.exercise.title}",
            "description": f"{result.exercise.module}.py, {len(result.checks)} checks",
            "points": points(result.score), "max_points": points(result.max_score),
            "message": f"{result.status} ({passed}/{len(result.checks)} checks passed)",
            "output": visible_feedback(result)}


def results_json(run, results, note=""):
    """PrairieLearn's results.json for a grading run; ``note`` ends its output."""
    score, most = scoring.total(results)
    fraction = min(max(score / most, 0.0), 1.0) if most else 0.0
    output = f"Sophia grader, seed {run.seed}: {report.points(score)} / {report.points(most)}"
    return {"gradable": True, "score": round(fraction, 4),
            "message": f"{report.points(score)} of {report.points(most)} points "
                       f"({scoring.percent(score, most):.0f} %)",
            "output": output + ("\n" + note if note else ""),
            "tests": [test_of(r) for r in results]}


def ungradable(message):
    """The results of a submission that could not be graded at all: no points, no attempt used."""
    return {"gradable": False, "score": 0.0, "message": message, "format_errors": [message],
            "output": message, "tests": []}


def write(path, data):
    """Write ``data`` as results.json at ``path``, its folder made if needed."""
    text = json.dumps(data, indent=2) + "\n"
    if len(text.encode()) > MAX_BYTES:      # cannot happen with MAX_OUTPUT; never send a rejected file
        data = dict(data, tests=[dict(t, output=t["output"][:500]) for t in data["tests"]])
        text = json.dumps(data, indent=2) + "\n"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


def write_json(path, run, results, note=""):
    write(path, results_json(run, results, note))


def assemble(upload, target):
    """The package folder at ``target`` made from the student's upload (a grader.uploads.Upload):
    the same reading of an upload as batch and Gradescope."""
    return uploads.assemble(upload, target)


def grade_upload(upload, exercise_ids=None, seed=0, timeout=runner.TOTAL_TIMEOUT):
    """PrairieLearn's results for the files in ``upload`` (a folder), graded on ``exercise_ids``
    (all by default) within ``timeout`` seconds."""
    upload = Path(upload)
    if not upload.is_dir():
        return ungradable(f"no submitted files: {upload} does not exist")
    with tempfile.TemporaryDirectory(prefix="sophia-pl-") as tmp:
        read = assemble(upload, Path(tmp) / "submission")
        if not read.used:
            expected = ", ".join(sorted({e.module + ".py" for e in catalog.exercises()
                                         if not exercise_ids or e.id in exercise_ids}))
            return ungradable(f"no file of the package found in the submission; "
                              f"expected one of: {expected}")
        # one lane: the grading container's memory is the course's to set, and may be small
        run = runner.run(read.folder, exercises=exercise_ids, seed=seed, total_timeout=timeout, lanes=1)
    return results_json(run, scoring.summarize(run, exercise_ids), note="\n".join(read.notes))


def run_main(argv):
    from .cli import Parser, positive
    parser = Parser(prog="python -m grader prairielearn-run",
                    description="PrairieLearn's external-grader entry point: grade ROOT/student, "
                                "write ROOT/results/results.json.")
    parser.add_argument("--root", default="/grade", help="the grading job's folder (default /grade)")
    parser.add_argument("--exercise", action="append", metavar="NAME", default=[],
                        help="grade only this exercise or file (layers.py); repeat for more")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=positive, default=int(runner.TOTAL_TIMEOUT),
                        help=f"seconds the whole grading may take (default {runner.TOTAL_TIMEOUT:g}); "
                             f"set the question's externalGradingOptions.timeout above it")
    options = parser.parse_args(argv)
    wanted = {i for name in options.exercise for i in catalog.named(name)}
    exercise_ids = [e.id for e in catalog.exercises() if e.id in wanted] or None
    results = Path(options.root) / "results" / "results.json"
    try:
        data = grade_upload(Path(options.root) / "student", exercise_ids, options.seed, options.timeout)
    except Exception as error:      # never leave PrairieLearn without a results.json
        traceback.print_exc()
        write(results, ungradable(f"The grader failed on this submission ({type(error).__name__}: "
                                  f"{error}); tell your instructor."))
        return 1
    write(results, data)
    print(data["message"])
    return 0
