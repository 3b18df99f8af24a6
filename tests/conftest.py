"""Shared fixtures: ``impl`` is the package under test, chosen with ``--impl``.

    python -m pytest                         # the reference solutions (default)
    python -m pytest --impl exercises        # the student stubs
    python -m pytest --impl path/to/copy     # any folder laid out like exercises/
"""
import hashlib

import numpy as np
import pytest

from grader.implementation import Implementation


def pytest_addoption(parser):
    parser.addoption("--impl", default="solutions",
                     help="package under test: solutions (default), exercises, or a folder path")
    parser.addoption("--seed", type=int, default=0,
                     help="offset added to every check's fixed seed (fresh inputs, same checks)")
    parser.addoption("--exercise", action="append", default=[],
                     help="run only the checks of this catalog exercise (repeatable)")


def pytest_configure(config):
    config.addinivalue_line("markers", "exercise(id): the catalog exercise this check grades")


def pytest_collection_modifyitems(config, items):
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


@pytest.fixture(scope="session")
def impl(request):
    return Implementation(request.config.getoption("--impl"))


@pytest.fixture
def rng(request):
    """A Generator seeded from the check's own name and --seed: same inputs on every run."""
    name = request.node.nodeid.encode()
    seed = int.from_bytes(hashlib.sha256(name).digest()[:4], "little")
    return np.random.default_rng(seed + request.config.getoption("--seed"))
