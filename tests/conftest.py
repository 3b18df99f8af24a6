"""Shared fixtures: ``impl`` stands in for the package under test, chosen with ``--impl``.

    python -m pytest                         # the reference solutions (default)
    python -m pytest --impl exercises        # the student stubs
    python -m pytest --impl path/to/copy     # any folder laid out like exercises/

The checks never import that package: it runs in an executor process (grader.remote),
one per exercise, and ``impl.layers.Linear(...)`` is a proxy for an object there.
"""
import hashlib
import sys

import numpy as np
import pytest

from grader import catalog, remote
from grader.implementation import NAMED, resolve


def pytest_addoption(parser):
    parser.addoption("--impl", default="solutions" if NAMED["solutions"].is_dir() else "exercises",
                     help="package under test: solutions (default; exercises in a handout), "
                          "exercises, or a folder path")
    parser.addoption("--seed", type=int, default=0,
                     help="offset added to every check's fixed seed (fresh inputs, same checks)")
    parser.addoption("--exercise", action="append", default=[],
                     help="run only the checks of this catalog exercise (repeatable)")
    parser.addoption("--cap", type=float, default=remote.CAP,
                     help="stop a check's code after this many times its CPU budget")
    parser.addoption("--memory", type=int, default=remote.MEMORY_LIMIT,
                     help="bytes of address space each executor may use")


def pytest_configure(config):
    config.addinivalue_line("markers", "exercise(id): the catalog exercise this check grades")
    config.addinivalue_line("markers", "visibility(when): who sees a hidden check's outcome on a "
                                       "platform: hidden (instructors) or after_due_date")


def pytest_collection_modifyitems(config, items):
    """Only the --exercise checks, if given; one exercise's checks together, in teaching order
    (each exercise has its own executor)."""
    order = {exercise.id: number for number, exercise in enumerate(catalog.exercises())}
    for item in items:
        visibility_of(item)          # a misspelt visibility stops the run here, by name
    items.sort(key=lambda item: order.get(exercise_of(item), -1))
    wanted = set(config.getoption("--exercise"))
    if not wanted:
        return
    keep = [item for item in items if exercise_of(item) in wanted]
    config.hook.pytest_deselected(items=[item for item in items if exercise_of(item) not in wanted])
    items[:] = keep


def exercise_of(item):
    """The catalog id of a check (its ``exercise`` marker), or None for kit self-tests."""
    marker = item.get_closest_marker("exercise")
    return marker.args[0] if marker else None


def visibility_of(item):
    """visible for the checks of tests/suites; a check of tests/hidden is "hidden" unless it (or its
    module) is marked ``visibility("after_due_date")``."""
    if item.path.parent.name != "hidden":
        return "visible"
    marker = item.get_closest_marker("visibility")
    visibility = marker.args[0] if marker else "hidden"
    if visibility not in ("hidden", "after_due_date"):
        message = f"{item.nodeid}: visibility '{visibility}'; a hidden check is 'hidden' or 'after_due_date'"
        print(message, file=sys.stderr)     # the judge has no terminal reporter to say it
        raise pytest.UsageError(message)
    return visibility


def budget_of(item):
    """CPU seconds the check's code may use in the executor (its exercise's, in the catalog)."""
    exercise = catalog.by_id().get(exercise_of(item))
    return exercise.budget if exercise else remote.BUDGET


def executors_of(config):
    """The session's executors (grader.remote): made on first use, closed at the end."""
    if not hasattr(config, "sophia_executors"):
        workspace = remote.Workspace(resolve(config.getoption("--impl")))
        config.sophia_executors = remote.Executors(workspace, memory=config.getoption("--memory"),
                                                   cap=config.getoption("--cap"))
    return config.sophia_executors


def pytest_unconfigure(config):
    pool = getattr(config, "sophia_executors", None)
    if pool is not None:
        pool.close()
        pool.workspace.close()


@pytest.fixture(scope="session")
def executors(request):
    return executors_of(request.config)


@pytest.fixture
def impl(request, executors):
    """The package under test, in an executor; the check's CPU time and output are metered."""
    check = executors.begin(exercise_of(request.node) or "kit", budget_of(request.node))
    request.node.sophia_check = check
    yield check.package
    executors.end(check)


@pytest.fixture
def rng(request):
    """A Generator seeded from the check's own name and --seed: same inputs on every run."""
    name = request.node.nodeid.encode()
    seed = int.from_bytes(hashlib.sha256(name).digest()[:4], "little")
    return np.random.default_rng(seed + request.config.getoption("--seed"))
