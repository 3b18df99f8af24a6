"""GitHub Classroom: the workflow template (sophia-autograde.yml, beside this file) and the
results its reporter reads.

    python -m grader --submission DIR --format classroom --json result.json

The file is one "runner result" of classroom-resources/autograding-grading-reporter (read in
its src/main.js, src/notify-classroom.js, 2024): the workflow passes it base64-encoded in the
environment variable <RUNNER ID>_RESULTS; the reporter lists ``tests`` (``name``, ``status``
pass/fail/error, ``message`` shown when not passed) and posts "Points <sum of the tests'
``score``>/<``max_score``>" to Classroom. One test per exercise carries its partial points.
"""
import json
from pathlib import Path

from .. import scoring
from ..prairielearn import points, visible_feedback

WORKFLOW = Path(__file__).with_name("sophia-autograde.yml")
RUNNER = "sophia"        # the grading step's id in the workflow: the reporter reads SOPHIA_RESULTS


def status_of(result):
    if result.status == scoring.DONE:
        return "pass"
    return "fail" if result.status in ("failed", "not started", "in progress", "too slow") else "error"


def results_json(run, results):
    """The reporter's runner result for a grading run."""
    score, most = scoring.total(results)
    tests = [{"name": f"{r.exercise.id}: {r.exercise.title}", "status": status_of(r),
              "score": points(r.score), "max_score": points(r.max_score),
              "message": visible_feedback(r), "line_no": 0,
              "execution_time": f"{sum(c.seconds for c in r.checks):.2f}s"} for r in results]
    return {"version": 1, "status": "pass" if all(t["status"] == "pass" for t in tests) else "fail",
            "max_score": points(most), "tests": tests}


def write_json(path, run, results):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(results_json(run, results), indent=2) + "\n")
