"""Kit self-test: no false fails.  Every module has an alternative correct solution in
tests/meta/alternatives/<module>.py (the solution's given code, each BEGIN/END SOLUTION
body written differently: loops, another formulation), which its suites grade 100 %.

The alternatives are data, not tests: pytest collects only test_*.py and never imports
them; the grader loads one inside a copy of solutions/, where its relative imports work.
"""
import ast
import difflib
import itertools
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
    """[(qualname, body)] of every BEGIN/END SOLUTION block, markers as grader/build.py reads them."""
    names, blocks, body = build._qualnames(source), [], None
    for number, line in enumerate(source.splitlines(), start=1):
        if build.BEGIN.match(line):
            name, body = names.get(number, "<outside a function>"), []
        elif build.END.match(line):
            blocks.append((name, "\n".join(body)))
            body = None
        elif body is not None:
            body.append(line)
    return blocks


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
def test_alternative_keeps_the_given_code(module):
    """Outside the blocks, the alternative is the solution, character for character."""
    solution, alternative = sources(module)
    ours, theirs = (build.strip_solutions(text, module).splitlines() for text in (solution, alternative))
    diff = "\n".join(itertools.islice(difflib.unified_diff(
        ours, theirs, f"solutions/{module}.py", f"alternatives/{module}.py", lineterm=""), 40))
    assert not diff, (f"alternatives/{module}.py differs from solutions/{module}.py outside the "
                      f"BEGIN/END SOLUTION blocks (blocks shown stubbed): copy the given code from "
                      f"solutions/ again.\n{diff}")


@pytest.mark.parametrize("module", MODULES)
def test_alternative_is_written_differently(module):
    solution, alternative = sources(module)
    pairs = zip(solution_blocks(solution), solution_blocks(alternative))
    copied = [name for (name, ours), (_, theirs) in pairs if code_of(ours) == code_of(theirs)]
    assert not copied, (f"alternatives/{module}.py: the body of {', '.join(copied)} is the "
                        f"solution's (up to comments and layout): write it another way")


def assert_all_pass(tmp_path, modules):
    """A copy of solutions/ with ``modules`` replaced by their alternatives passes every check of
    the exercises whose code lives in them (milestones included: they train with it)."""
    folder = tmp_path / "alternative"
    shutil.copytree(NAMED["solutions"], folder, ignore=shutil.ignore_patterns("__pycache__"))
    for module in modules:
        shutil.copyfile(ALTERNATIVES / f"{module}.py", folder / f"{module}.py")
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
