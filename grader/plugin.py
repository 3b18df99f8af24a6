"""The grader's pytest plugin, loaded in the child process with ``-p grader.plugin``.

It writes one line per event to the file descriptor the parent opened: the
collected checks (before any student code runs), each check's start and final
outcome, and the end of the session. Only a check whose setup, call and
teardown all passed, and during which no trusted module was tampered with, is
reported ``passed``.

Each line is signed with a per-run key that the parent sends over a second
pipe, which this plugin reads and closes at configure time: the key is in no
file, argument or environment variable, so a submission that writes forged
lines to the event pipe is ignored unless it digs the key out of memory.
"""
import hashlib
import hmac
import json
import os
import signal
import sys
import sysconfig
import traceback
from pathlib import Path

import pytest

from grader.guard import BLOCKED_PACKAGES, Guard, Integrity
from grader.implementation import resolve
from grader.scoring import MAX_MESSAGE

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
KIT_DIR = TESTS_DIR.parent
# captured before student code can patch them
_write, _read, _close, _dumps = os.write, os.read, os.close, json.dumps
_hmac_new, _sha256 = hmac.new, hashlib.sha256
_alarm, _setitimer, _signal = signal.alarm, signal.setitimer, signal.signal


def pytest_addoption(parser):
    group = parser.getgroup("sophia", "grading child (set by grader.runner)")
    group.addoption("--sophia-events", type=int, default=None, help="file descriptor for events")
    group.addoption("--sophia-key", type=int, default=None, help="file descriptor of the key")
    group.addoption("--sophia-only", default=None, help="file descriptor of the node ids to run, one a line")
    group.addoption("--sophia-forbid", action="append", default=[],
                    help="folder the code under test may not read (repeatable)")
    group.addoption("--sophia-protect", action="append", default=[],
                    help="folder the code under test may not modify (repeatable)")


def signer(fd, key):
    """A function that writes one signed event line: ``json<TAB>hmac(key, json)``."""
    sequence = [0]

    def send(**event):
        event["seq"] = sequence[0]
        sequence[0] += 1
        payload = _dumps(event).encode()
        line = payload + b"\t" + _hmac_new(key, payload, _sha256).hexdigest().encode() + b"\n"
        while line:
            line = line[_write(fd, line):]
    return send


def read_key(fd):
    key = b""
    while len(key) < 32:
        chunk = _read(fd, 64)
        if not chunk:
            break
        key += chunk
    _close(fd)
    return key


class Reporter:
    def __init__(self, config, send, guard):
        self.send = send
        self.guard = guard
        self.only = config.getoption("--sophia-only")
        self.impl = resolve(config.getoption("--impl"))
        self.phases = {}
        self.tampered = {}      # nodeid -> names the code under test replaced
        self.integrity = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if self.only:
            with os.fdopen(int(self.only)) as only:   # inherited from the parent, unnamed
                wanted = set(only.read().split())
            items[:] = [item for item in items if item.nodeid in wanted]

    def pytest_collection_finish(self, session):
        from tests.conftest import exercise_of
        self.send(type="collected", checks=[
            {"nodeid": item.nodeid, "exercise": exercise_of(item), "name": item.name}
            for item in session.items])
        self.integrity = Integrity()
        self.guard.start_checks()

    def pytest_runtest_logstart(self, nodeid, location):
        _alarm(0)                                   # nothing left ticking by an earlier check
        _setitimer(signal.ITIMER_REAL, 0)
        for signum in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM):
            _signal(signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler)
        self.phases[nodeid] = []
        self.send(type="start", nodeid=nodeid)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        self.check_integrity(item.nodeid, codes=call.when == "call")   # before pytest needs them
        outcome = yield
        report = outcome.get_result()
        self.phases.setdefault(item.nodeid, []).append(self.classify(report, call))

    def check_integrity(self, nodeid, codes=True):
        """Undo what the code under test replaced in trusted modules; charge the check."""
        replaced = self.integrity.restore(codes) if self.integrity else []
        if replaced:
            self.tampered.setdefault(nodeid, []).extend(replaced)

    def pytest_runtest_logfinish(self, nodeid, location):
        phases = self.phases.pop(nodeid, [])
        self.check_integrity(nodeid, codes=False)
        replaced = self.tampered.pop(nodeid, [])
        if replaced:
            phases.insert(0, ("error", "the code under test replaced what the checks rely on ("
                              + ", ".join(replaced[:5]) + "); this check earns nothing"))
        bad = [p for p in phases if p[0] != "passed"]
        if not bad and len(phases) == 3:
            self.send(type="result", nodeid=nodeid, outcome="passed", message="")
        else:
            outcome, message = bad[0] if bad else ("error", "the check did not run to its end")
            self.send(type="result", nodeid=nodeid, outcome=outcome, message=message[:MAX_MESSAGE])

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.send(type="finished")

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
            return "not_started", f"not started: {_short(excinfo.value)} raises NotImplementedError"
        if excinfo.errisinstance(MemoryError):
            return "memory", "memory limit exceeded (MemoryError)"
        if excinfo.errisinstance(AssertionError) and self.raised_by_check(excinfo):
            return "failed", _short(excinfo.value)
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
        frames = (mine or frames[-1:])[-10:]
        error = f"{excinfo.type.__name__}: {_short(excinfo.value, MAX_MESSAGE // 4)}"
        where = "".join(traceback.format_list(frames))[-(MAX_MESSAGE - len(error)):]
        return (where + error).rstrip()


def _short(value, limit=MAX_MESSAGE):
    """str(value), cut: a student's exception message may be huge."""
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 -- a hostile __str__ may raise anything
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 6] + " [cut]"


class ReferenceBlocker:
    """A meta-path finder that refuses to import the reference package while grading.

    The audit hook refuses the same names even if this finder is removed.
    """

    BLOCKED = BLOCKED_PACKAGES

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ImportError(f"'{name}' cannot be imported while grading: the package under "
                              f"test is loaded from its own folder")


def pytest_configure(config):
    fd = config.getoption("--sophia-events")
    if fd is None:
        return
    key_fd = config.getoption("--sophia-key")
    key = read_key(key_fd) if key_fd is not None else b""
    sys.meta_path.insert(0, ReferenceBlocker())
    for name in list(sys.modules):
        if name.split(".")[0] in ReferenceBlocker.BLOCKED:
            del sys.modules[name]
    interpreter = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()}
    guard = Guard(forbidden=config.getoption("--sophia-forbid"),
                  protected=[*config.getoption("--sophia-protect"), str(KIT_DIR), *interpreter],
                  student=resolve(config.getoption("--impl")))
    guard.install()
    config.pluginmanager.register(Reporter(config, signer(fd, key), guard), "sophia-reporter")
