"""The kit's self-tests of the given code (input validation): the package in this process.

These test the kit itself, not a student, so they import the package under test
directly (grader.implementation), where any input, even one that cannot cross to
an executor (an object or complex array), reaches its validation code.
"""
import pytest

from grader.implementation import Implementation


@pytest.fixture(scope="session")
def impl(request):
    return Implementation(request.config.getoption("--impl"))
