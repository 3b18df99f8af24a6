"""The grader's pytest plugin, loaded in the judge process with ``-p grader.plugin``.

It writes one JSON line per event to the file descriptor the parent opened: the
collected checks, each check's start (with the wall-clock time it may take) and
final outcome (with the CPU time the student's code used and what it printed),
and the end of the session. The judge runs no student code (that runs in the
executor, see grader.remote), so these events are the judge's own word. A judge in
a lane of its own (grader.runner) also claims each check file before running it,
and reads the parent's answer from a second descriptor.
"""
import json
import os
import traceback
from pathlib import Path

import pytest

from grader import remote
from grader.confine import die_with_parent
from grader.scoring import MAX_MESSAGE

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
GRACE = 10.0      # wall seconds the parent allows a check beyond the executor's own backstop


def pytest_addoption(parser):
    group = parser.getgroup("sophia", "grading judge (set by grader.runner)")
    group.addoption("--sophia-events", type=int, default=None, help="file descriptor for events")
    group.addoption("--sophia-only", default=None, help="file descriptor of the node ids to run, one a line")
    group.addoption("--sophia-claims", type=int, default=None,
                    help="file descriptor of the answers to this judge's claims of check files")


class Reporter:
    def __init__(self, config, fd):
        self.fd = fd
        self.only = config.getoption("--sophia-only")
        self.cap = config.getoption("--cap")
        self.claims = config.getoption("--sophia-claims")
        self.granted = {}        # check file -> whether this judge runs it
        self.phases = {}
        self.meters = {}

    def send(self, **event):
        line = (json.dumps(event) + "\n").encode()
        while line:
            line = line[os.write(self.fd, line):]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if self.only:
            with os.fdopen(int(self.only)) as only:   # inherited from the parent, unnamed
                wanted = set(only.read().split())
            items[:] = [item for item in items if item.nodeid in wanted]

    def pytest_collection_finish(self, session):
        from tests.conftest import exercise_of, visibility_of
        self.send(type="collected", checks=[
            {"nodeid": item.nodeid, "exercise": exercise_of(item), "name": item.name,
             "visibility": visibility_of(item)}
            for item in session.items])

    def claimed(self, item):
        """True when this judge is to run ``item``: judges that share the checks claim each
        file from the parent as they reach it, and pass over the files another judge has."""
        if self.claims is None:
            return True
        path = _file_of(item)
        if path not in self.granted:
            self.send(type="claim", file=path)
            self.granted[path] = os.read(self.claims, 1) == b"1"
        return self.granted[path]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        """pytest's loop over the checks this judge claims (pytest's own when it claims all)."""
        if self.claims is None or session.testsfailed or session.config.option.collectonly:
            return None
        from tests.conftest import budget_of
        files = {}
        for item in session.items:
            files.setdefault(_file_of(item), []).append(item)
        # the files of the checks with the largest budgets first: a judge that took one up
        # last would keep the run going alone; each file is claimed as its turn comes
        order = sorted(files.values(), key=lambda checks: -max(budget_of(c) for c in checks))
        items = (item for checks in order if self.claimed(checks[0]) for item in checks)
        item = next(items, None)
        while item is not None:
            nextitem = next(items, None)
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail or session.shouldstop:
                raise session.Interrupted(session.shouldfail or session.shouldstop)
            item = nextitem
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        from tests.conftest import budget_of
        limit = budget_of(item) * self.cap * remote.WALL + GRACE
        self.phases[item.nodeid] = []
        self.send(type="start", nodeid=item.nodeid, limit=limit)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        self.phases.setdefault(item.nodeid, []).append(self.classify(report, call))
        check = getattr(item, "sophia_check", None)
        if call.when == "teardown" and check is not None:
            self.meters[item.nodeid] = check.meter

    def pytest_runtest_logfinish(self, nodeid, location):
        phases = self.phases.pop(nodeid, [])
        meter = self.meters.pop(nodeid, None)
        bad = [p for p in phases if p[0] != "passed"]
        if not bad and len(phases) == 3:
            outcome, message = "passed", ""
            if meter is not None and meter.cpu > meter.budget:
                outcome, message = "too_slow", (
                    f"values right, too slow: {meter.cpu:.2g} s of CPU time, about "
                    f"{meter.cpu / meter.budget:.0f}× this check's budget of {meter.budget:g} s")
        else:
            outcome, message = bad[0] if bad else ("error", "the check did not run to its end")
        self.send(type="result", nodeid=nodeid, outcome=outcome, message=message[:MAX_MESSAGE],
                  output=meter.text if meter else "", cpu=meter.cpu if meter else 0.0)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.send(type="finished")

    def classify(self, report, call):
        """(outcome, message) of one phase: passed, failed, not_started, error, memory, timed_out..."""
        if report.passed:
            return "passed", ""
        if report.skipped:
            return "error", "the check was skipped"
        excinfo = call.excinfo
        if excinfo is None:
            return "error", str(report.longrepr)[-MAX_MESSAGE:]
        error = excinfo.value
        if isinstance(error, remote.Overrun):        # NotRun included
            return error.outcome, str(error)
        if isinstance(error, NotImplementedError):
            return "not_started", f"not started: {error} raises NotImplementedError"
        if isinstance(error, MemoryError):
            return "memory", "memory limit exceeded (MemoryError)"
        if isinstance(error, AssertionError) and not hasattr(error, "student_frames"):
            return "failed", str(error)
        return "error", student_traceback(excinfo)


def _file_of(item):
    return item.nodeid.split("::")[0]


def student_traceback(excinfo):
    """The exception with the student's frames (from the executor), or where the check met it."""
    error = excinfo.value
    frames = getattr(error, "student_frames", None)
    name = getattr(error, "student_type", type(error).__name__)
    if frames is None:
        frames = [[f.filename, f.lineno, f.name, f.line] for f in traceback.extract_tb(excinfo.tb)[-1:]]
    summary = traceback.StackSummary.from_list([tuple(f) for f in frames])
    text = f"{name}: {_short(str(error), MAX_MESSAGE // 4)}"
    where = "".join(summary.format())[-(MAX_MESSAGE - len(text)):]
    return (where + text).rstrip()


def _short(text, limit):
    return text if len(text) <= limit else text[:limit - 6] + " [cut]"


def pytest_configure(config):
    fd = config.getoption("--sophia-events")
    if fd is not None:
        die_with_parent(os.getppid())    # a grader that is killed takes its judge along (and so on)
        config.option.tbstyle = "no"     # the reporter writes its own messages: no tracebacks to format
        config.pluginmanager.register(Reporter(config, fd), "sophia-reporter")
        from tests.conftest import executors_of
        executors_of(config).warm()      # numpy starts in the zygote while the checks are collected
