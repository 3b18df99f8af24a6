"""Run the checks in a child process and collect every check's outcome.

The parent holds the truth: the child reports over a pipe, but a check that
never reports an outcome scores nothing. A child that hangs, crashes or exits
is killed on a wall clock, its current check charged, and a fresh child runs
the checks that remain.
"""
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog, sandbox
from .implementation import ROOT, resolve

SUITES = ROOT / "tests" / "suites"
CHECK_TIMEOUT = 20.0      # seconds one check may take
TOTAL_TIMEOUT = 300.0     # seconds a whole grading run may take
OUTPUT_CAP = 64 * 1024    # bytes of the child's stdout/stderr kept


@dataclass
class Check:
    nodeid: str
    exercise: str
    name: str
    outcome: str = "missing"   # passed failed not_started error timed_out crashed memory missing
    message: str = ""
    seconds: float = 0.0


@dataclass
class Run:
    folder: Path
    seed: int
    checks: list = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    children: int = 0


def child_command(folder, events_fd, only_file, exercises, seed):
    command = [sys.executable, "-m", "pytest", str(SUITES), "-p", "grader.plugin",
               "-p", "no:cacheprovider", "-p", "no:terminal", "-s",
               "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
               "--impl", str(folder), "--seed", str(seed), "--sophia-events", str(events_fd)]
    for exercise in exercises or ():
        command += ["--exercise", exercise]
    if only_file:
        command += ["--sophia-only", only_file]
    return command


def run(impl, exercises=None, seed=0, check_timeout=CHECK_TIMEOUT, total_timeout=TOTAL_TIMEOUT,
        on_check=None):
    """Grade ``impl`` (a folder or 'solutions'/'exercises'); returns a Run.

    ``exercises``: catalog ids to grade (all by default). ``on_check(check)`` is
    called as each outcome arrives, for progress displays.
    """
    folder = resolve(impl)
    if exercises:
        for exercise in exercises:
            catalog.get(exercise)
    result = Run(folder=folder, seed=seed)
    started = time.monotonic()
    deadline = started + total_timeout
    checks = None            # nodeid -> Check, known from the first child's collection
    output = bytearray()
    with tempfile.TemporaryDirectory(prefix="sophia-") as tmp:
        only_file = None
        while True:
            events = _run_child(folder, exercises, seed, only_file, tmp, deadline,
                                check_timeout, output)
            result.children += 1
            for event in events.items:
                if event["type"] == "collected" and checks is None:
                    checks = {c["nodeid"]: Check(c["nodeid"], c["exercise"], c["name"])
                              for c in event["checks"] if c["exercise"]}
                elif event["type"] == "result" and checks and event["nodeid"] in checks:
                    check = checks[event["nodeid"]]
                    if check.outcome == "missing":
                        check.outcome, check.message = event["outcome"], event["message"]
                        check.seconds = event.get("seconds", 0.0)
                        if on_check:
                            on_check(check)
            if checks is None:
                result.output = events.failure + _text(output)
                break
            culprit = checks.get(events.current)
            if culprit is not None and culprit.outcome == "missing":
                culprit.outcome, culprit.message = events.ended_as, events.failure
                if on_check:
                    on_check(culprit)
            remaining = [c.nodeid for c in checks.values() if c.outcome == "missing"]
            if not remaining or events.clean_exit or culprit is None:
                for check in checks.values():
                    if check.outcome == "missing":
                        check.outcome = "timed_out" if time.monotonic() >= deadline else "crashed"
                        check.message = ("the grading run's time budget ran out before this check"
                                         if check.outcome == "timed_out" else
                                         "no outcome was reported for this check")
                break
            only_file = os.path.join(tmp, f"only-{result.children}.txt")
            Path(only_file).write_text("\n".join(remaining))
    result.checks = list(checks.values()) if checks else []
    result.output = result.output or _text(output)
    result.seconds = time.monotonic() - started
    return result


@dataclass
class ChildEvents:
    items: list
    current: str = None          # the check running when the child ended
    ended_as: str = "crashed"    # what to charge that check with
    failure: str = ""
    clean_exit: bool = False


def _run_child(folder, exercises, seed, only_file, tmp, deadline, check_timeout, output):
    read_fd, write_fd = os.pipe()
    sandbox.adopt_orphans()
    before = sandbox.children()
    env = sandbox.child_environment(tmp)
    process = subprocess.Popen(
        child_command(folder, write_fd, only_file, exercises, seed),
        cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, pass_fds=(write_fd,), start_new_session=True,
        preexec_fn=sandbox.limit_child)
    os.close(write_fd)
    events = ChildEvents(items=[])
    buffer, check_started = b"", time.monotonic()
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, "events")
    selector.register(process.stdout, selectors.EVENT_READ, "output")
    open_streams = 2
    try:
        while open_streams:
            now = time.monotonic()
            if now >= deadline or (events.current and now - check_started > check_timeout):
                events.ended_as = "timed_out"
                events.failure = (f"timed out: the check took longer than {check_timeout:g} s"
                                  if now < deadline else "timed out: the run's time budget ran out")
                return events
            ready = selector.select(timeout=min(0.2, deadline - now))
            if not ready and process.poll() is not None:
                break                       # exited; a stray holds the pipes open
            for key, _ in ready:
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                    open_streams -= 1
                elif key.data == "output":
                    output += data[:max(0, OUTPUT_CAP - len(output))]
                else:
                    buffer += data
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        event = _parse(line)
                        if event is None:
                            continue
                        events.items.append(event)
                        if event["type"] == "start":
                            events.current, check_started = event["nodeid"], time.monotonic()
                        elif event["type"] == "result":
                            event["seconds"] = time.monotonic() - check_started
                            events.current = None
        code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
        events.clean_exit = events.current is None and code in (0, 1, 5)
        events.failure = _describe_exit(code)
        if code == -signal.SIGKILL or code == -signal.SIGSEGV:
            events.ended_as = "crashed"
        return events
    except subprocess.TimeoutExpired:
        events.ended_as, events.failure = "timed_out", "timed out: the run's time budget ran out"
        return events
    finally:
        selector.close()
        os.close(read_fd)
        sandbox.kill_everything(process, before)


def _parse(line):
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("type") not in ("collected", "start", "result"):
        return None
    return event


def _describe_exit(code):
    if code is None:
        return "the check's process did not end"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
        return f"crashed: the process was killed by signal {name} during this check"
    return (f"crashed: the process exited (status {code}) during this check "
            f"(sys.exit, os._exit or pytest.exit in the code under test?)")


def _text(output):
    text = bytes(output).decode("utf-8", "replace")
    return text + ("\n[output cut]" if len(output) >= OUTPUT_CAP else "")
