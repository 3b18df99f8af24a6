"""Kit self-test: no false fails.  Every module has an alternative correct solution in
tests/meta/alternatives/<module>.py: each BEGIN/END SOLUTION block written differently (loops,
another formulation), inside the class and def headers that name it, which its suites grade 100 %.

The alternatives are data, not tests: pytest collects only test_*.py and never imports them.
``splice`` puts their blocks into the solution's module in place of its own, so the given code
is the solution's by construction.
"""
import ast
import shutil
import textwrap
from pathlib import Path

import pytest

from grader import build, catalog
from grader.implementation import NAMED
from grader.runner import run

ALTERNATIVES = Path(__file__).with_name("alternatives")
MODULES = sorted(path.stem for path in ALTERNATIVES.glob("*.py") if path.stem != "__init__")


def solution_blocks(source):
    """[(qualname, body, (first, last) line index of the body)] of every BEGIN/END SOLUTION
    block, markers as grader/build.py reads them."""
    names, blocks, body = build._qualnames(source), [], None
    for index, line in enumerate(source.splitlines()):
        if build.BEGIN.match(line):
            name, body, first = names.get(index + 1, "<outside a function>"), [], index + 1
        elif build.END.match(line):
            blocks.append((name, "\n".join(body), (first, index)))
            body = None
        elif body is not None:
            body.append(line)
    return blocks


def splice(module):
    """solutions/<module>.py with each block replaced by the alternative's block of the same
    function (matched by qualified name, in order)."""
    solution, alternative = sources(module)
    ours, theirs = solution_blocks(solution), solution_blocks(alternative)
    assert [name for name, _, _ in ours] == [name for name, _, _ in theirs], (
        f"alternatives/{module}.py must have one block for each block of solutions/{module}.py, "
        f"in the same functions and order: {[n for n, _, _ in ours]} != {[n for n, _, _ in theirs]}")
    lines = solution.splitlines()
    for (_, _, (first, last)), (_, body, _) in reversed(list(zip(ours, theirs))):
        lines[first:last] = body.splitlines()
    return "\n".join(lines) + "\n"


def code_of(body):
    """The body's syntax tree, so that comments, blank lines and layout do not count."""
    return ast.dump(ast.parse(textwrap.dedent(body)))


def sources(module):
    return ((NAMED["solutions"] / f"{module}.py").read_text(),
            (ALTERNATIVES / f"{module}.py").read_text())


def test_every_module_with_exercises_has_an_alternative():
    """A part-1 module without an alternative would go untested here (optim and metrics,
    part 2, have their own)."""
    part_1 = {"initializers", "losses", "numgrad", "layers", "activations", "models", "training"}
    assert part_1 <= set(MODULES), f"no alternative for {sorted(part_1 - set(MODULES))}"


@pytest.mark.parametrize("module", MODULES)
def test_alternative_has_a_block_for_every_block_of_the_solution(module):
    spliced = splice(module)
    assert build.strip_solutions(spliced) == build.strip_solutions(sources(module)[0])
    ast.parse(spliced)


@pytest.mark.parametrize("module", MODULES)
def test_alternative_is_written_differently(module):
    solution, alternative = sources(module)
    pairs = zip(solution_blocks(solution), solution_blocks(alternative))
    copied = [name for (name, ours, _), (_, theirs, _) in pairs if code_of(ours) == code_of(theirs)]
    assert not copied, (f"alternatives/{module}.py: the body of {', '.join(copied)} is the "
                        f"solution's (up to comments and layout): write it another way")


def assert_all_pass(tmp_path, modules):
    """A copy of solutions/ with ``modules`` replaced by their alternatives passes every check of
    the exercises whose code lives in them (milestones included: they train with it)."""
    folder = tmp_path / "alternative"
    shutil.copytree(NAMED["solutions"], folder, ignore=shutil.ignore_patterns("__pycache__"))
    for module in modules:
        (folder / f"{module}.py").write_text(splice(module))
    exercises = catalog.of_modules(modules)
    assert exercises, f"the catalog has no exercise in {modules}"
    result = run(folder, exercises=exercises)
    graded = {check.exercise for check in result.checks}
    assert graded == set(exercises), f"no checks ran for {sorted(set(exercises) - graded)}"
    failed = [check for check in result.checks if check.outcome != "passed"]
    report = "\n".join(f"  {check.name} [{check.outcome}]: {check.message[:400]}" for check in failed)
    assert not failed, (f"the alternatives {', '.join(modules)} are correct, yet {len(failed)} of "
                        f"{len(result.checks)} checks fail (false fails in the suite?):\n{report}")


@pytest.mark.parametrize("module", MODULES)
def test_alternative_grades_100(module, tmp_path):
    assert_all_pass(tmp_path, [module])


def test_alternatives_together_grade_100(tmp_path):
    """All at once: the loops of one module run inside another's checks (the milestones train
    with every module), and must stay within their CPU budgets there too."""
    assert_all_pass(tmp_path, MODULES)
