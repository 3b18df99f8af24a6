"""From check outcomes to exercise statuses and points.

An exercise earns ``points * passed / checks``; only a passed check counts, and a
check that reported nothing counts as failed. Its status is the worst outcome
among its checks: timed out > error > failed > too slow > not started > passed; an exercise
with both passed and not-started checks is "in progress".
"""
from dataclasses import dataclass

from . import catalog

STATUS = {  # outcome -> (exercise status, rank: the higher, the worse)
    "passed": ("passed", 0), "not_started": ("not started", 1), "too_slow": ("too slow", 2),
    "failed": ("failed", 3),
    "error": ("error", 4), "crashed": ("error", 4), "memory": ("memory limit", 4),
    "missing": ("error", 4), "timed_out": ("timed out", 5),
}
DONE = "passed"
MAX_MESSAGE = 4000   # characters of one check's message kept, in the child and the parent


@dataclass
class ExerciseResult:
    exercise: catalog.Exercise
    checks: list
    status: str
    score: float

    @property
    def max_score(self):
        return self.exercise.points

    @property
    def passed(self):
        return sum(c.outcome == "passed" for c in self.checks)


def summarize(run, exercise_ids=None):
    """One ExerciseResult per graded exercise, in teaching order."""
    by_exercise = {}
    for check in run.checks:
        by_exercise.setdefault(check.exercise, []).append(check)
    wanted = set(exercise_ids) if exercise_ids else None
    results = []
    for exercise in catalog.exercises():
        if wanted is not None and exercise.id not in wanted:
            continue
        checks = by_exercise.get(exercise.id, [])
        results.append(ExerciseResult(exercise, checks, status_of(checks),
                                      score_of(exercise, checks)))
    return results


def status_of(checks):
    if not checks:
        return "error"
    worst = max((STATUS[c.outcome] for c in checks), key=lambda s: s[1])[0]
    if worst == "not started" and any(c.outcome == "passed" for c in checks):
        return "in progress"
    return worst


def score_of(exercise, checks):
    if not checks:
        return 0.0
    return round(exercise.points * sum(c.outcome == "passed" for c in checks) / len(checks), 4)


def total(results):
    """(score, max score) over ``results``."""
    return (round(sum(r.score for r in results), 4), sum(r.max_score for r in results))


def percent(score, most):
    """100 * score / most, and 0 when there is nothing to score."""
    return 100.0 * score / most if most else 0.0


def max_total():
    """The points of every exercise in the catalog."""
    return sum(e.points for e in catalog.exercises())


def next_exercise(results):
    """The first exercise in teaching order that is not passed, or None."""
    return next((r for r in results if r.status != DONE), None)
