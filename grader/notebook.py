"""What a chapter notebook imports: the student's package, and the grader's check.

    from grader.notebook import check, package
    sophia = package()             # your exercises/ (SOPHIA_IMPL=solutions: the reference)
    layer = sophia.layers.Linear(4, 3, rng)
    check("linear")                # the grader's report; raises when the exercise does not pass

A notebook runs your code in its own kernel, to draw and explore; ``check`` grades it
the grader's way, in processes of their own (the judge never imports it), and prints
the same feedback as ``python -m grader check``.
"""
import os

from . import catalog, report, runner, scoring
from .implementation import Implementation, resolve

IMPL = "SOPHIA_IMPL"     # which package the notebooks read: exercises (default), solutions, a folder


class NotPassed(AssertionError):
    """An exercise checked from a notebook did not pass: the cell fails, and so does a notebook run."""


def package():
    """The package under study, imported in this kernel (``sophia.layers``, ``sophia.losses``, ...)."""
    return Implementation(os.environ.get(IMPL, "exercises"))


def check(*names, seed=0):
    """Grade the exercises ``names`` (ids or files, as ``python -m grader check``) with what they
    require; prints the report, and raises NotPassed unless every one of them passes."""
    ids = catalog.checked(names)
    folder = resolve(os.environ.get(IMPL, "exercises"))
    run = runner.run(folder, exercises=ids, seed=seed)
    results = scoring.summarize(run, ids)
    print(report.terminal(run, results, colour=False, label=folder.name))
    missing = [r.exercise.id for r in results if r.status != scoring.DONE]
    if missing:
        raise NotPassed(f"not passed yet: {', '.join(missing)} (the report above says why)")
