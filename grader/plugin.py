"""The grader's pytest plugin, loaded in the child process with ``-p grader.plugin``.

It writes one JSON line per event to the file descriptor the parent opened:
the collected checks (before any student code runs), each check's start, and
each check's final outcome. Only a check whose setup, call and teardown all
passed is reported ``passed``.
"""
import json
import os
import sys
import traceback
from pathlib import Path

import pytest

from grader.implementation import resolve

MAX_MESSAGE = 4000
TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
_write, _dumps = os.write, json.dumps   # captured before student code can patch them


def pytest_addoption(parser):
    parser.addoption("--sophia-events", type=int, default=None, help="file descriptor for the event stream")
    parser.addoption("--sophia-only", default=None, help="file of node ids to run, one a line")


class Reporter:
    def __init__(self, config):
        self.fd = config.getoption("--sophia-events")
        self.only = config.getoption("--sophia-only")
        self.impl = resolve(config.getoption("--impl"))
        self.phases = {}

    def send(self, **event):
        line = (_dumps(event) + "\n").encode()
        while line:
            line = line[_write(self.fd, line):]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if self.only:
            wanted = set(Path(self.only).read_text().split())
            items[:] = [item for item in items if item.nodeid in wanted]

    def pytest_collection_finish(self, session):
        from tests.conftest import exercise_of
        self.send(type="collected", checks=[
            {"nodeid": item.nodeid, "exercise": exercise_of(item), "name": item.name}
            for item in session.items])

    def pytest_runtest_logstart(self, nodeid, location):
        self.phases[nodeid] = []
        self.send(type="start", nodeid=nodeid)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        self.phases.setdefault(item.nodeid, []).append(self.classify(report, call))

    def pytest_runtest_logfinish(self, nodeid, location):
        phases = self.phases.pop(nodeid, [])
        bad = [p for p in phases if p[0] != "passed"]
        if not bad and len(phases) == 3:
            self.send(type="result", nodeid=nodeid, outcome="passed", message="")
        else:
            outcome, message = bad[0] if bad else ("error", "the check did not run to its end")
            self.send(type="result", nodeid=nodeid, outcome=outcome, message=message[:MAX_MESSAGE])

    def classify(self, report, call):
        """(outcome, message) of one phase: passed, failed, not_started, error or memory."""
        if report.passed and not hasattr(report, "wasxfail"):
            return "passed", ""
        if report.skipped or hasattr(report, "wasxfail"):
            return "error", ("the check was skipped or marked xfail from inside the code under "
                             "test; only a passed check earns points")
        excinfo = call.excinfo
        if excinfo is None:
            return "error", str(report.longrepr)[-MAX_MESSAGE:]
        if excinfo.errisinstance(NotImplementedError):
            return "not_started", f"not started: {excinfo.value} raises NotImplementedError"
        if excinfo.errisinstance(MemoryError):
            return "memory", "memory limit exceeded (MemoryError)"
        if excinfo.errisinstance(AssertionError) and self.raised_by_check(excinfo):
            return "failed", str(excinfo.value)
        return "error", self.student_traceback(excinfo)

    def raised_by_check(self, excinfo):
        """True when the innermost frame is the grader's own test code."""
        last = excinfo.tb
        while last.tb_next is not None:
            last = last.tb_next
        return Path(last.tb_frame.f_code.co_filename).resolve().is_relative_to(TESTS_DIR)

    def student_traceback(self, excinfo):
        """The exception with the traceback cut to the frames in the student's files."""
        frames = traceback.extract_tb(excinfo.tb)
        mine = [f for f in frames if Path(f.filename).resolve().is_relative_to(self.impl)]
        frames = mine or frames[-1:]
        lines = traceback.format_list(frames)
        lines += traceback.format_exception_only(excinfo.type, excinfo.value)
        return "".join(lines).rstrip()


class ReferenceBlocker:
    """A meta-path finder that refuses to import the reference package while grading."""

    BLOCKED = ("solutions", "exercises")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ImportError(f"'{name}' cannot be imported while grading: the package under "
                              f"test is loaded from its own folder")
        return None


def pytest_configure(config):
    if config.getoption("--sophia-events") is not None:
        sys.meta_path.insert(0, ReferenceBlocker())
        for name in list(sys.modules):
            if name.split(".")[0] in ReferenceBlocker.BLOCKED:
                del sys.modules[name]
        config.pluginmanager.register(Reporter(config), "sophia-reporter")
