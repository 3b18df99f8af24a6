"""Run the checks in a child process and collect every check's outcome.

The parent holds the truth: the child reports signed events over a pipe, but a
check that never reports an outcome scores nothing. A child that hangs, crashes
or exits is killed on a wall clock, its current check charged, and a fresh
child runs the checks that remain. The child imports the grader and the tests
from a private copy outside the repository, verified before every child and at
the end (``sandbox.KitTampered`` is raised when it changed).
"""
import hashlib
import hmac
import json
import os
import secrets
import selectors
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog, guard, sandbox
from .implementation import NAMED, ROOT, resolve
from .scoring import MAX_MESSAGE

SUITES = Path("tests") / "suites"
CHECK_TIMEOUT = 10.0      # seconds one check may take (the slowest solved check: ~0.4 s)
HUNG_TIMEOUT = 3.0        # seconds per check once a check of the run has timed out
TOTAL_TIMEOUT = 300.0     # seconds a whole grading run may take
OUTPUT_CAP = 64 * 1024    # bytes of the child's stdout/stderr kept
MAX_EVENT = 1024 ** 2     # bytes of one event line; longer lines are dropped
LOST_LIMIT = 2            # timed-out or crashed checks after which an exercise stops
GRACE = 1.0               # seconds a child may live on after closing its event pipe
OUTCOMES = {"passed", "failed", "not_started", "error", "timed_out", "crashed", "memory"}


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
    forged: int = 0            # event lines refused (bad signature or sequence)
    warnings: list = field(default_factory=list)   # submission lines to review by hand


def child_command(kit, folder, events_fd, key_fd, only_file, exercises, seed, files=None):
    """The pytest command line of one child, run from the kit copy ``kit``."""
    kit = Path(kit)
    targets = [str(kit / f) for f in files] if files else [str(kit / SUITES)]
    command = sandbox.python() + [
        "-m", "pytest", *targets, "-p", "grader.plugin", "-p", "no:cacheprovider",
        "-p", "no:terminal", "-s", "--rootdir", str(kit), "-c", str(kit / "pyproject.toml"),
        "--confcutdir", str(kit), f"--impl={folder}", f"--seed={seed}",
        f"--sophia-events={events_fd}", f"--sophia-key={key_fd}", f"--sophia-protect={ROOT}"]
    # one token each: pytest takes the value of an option it does not know yet (--impl is
    # added by a conftest) for a path to collect, and would load that folder's conftest.py
    if folder != NAMED["solutions"].resolve():
        command.append(f"--sophia-forbid={NAMED['solutions']}")
    command += [f"--exercise={exercise}" for exercise in exercises or ()]
    if only_file:
        command.append(f"--sophia-only={only_file}")
    return command


def run(impl, exercises=None, seed=0, check_timeout=CHECK_TIMEOUT, total_timeout=TOTAL_TIMEOUT,
        on_check=None, memory_limit=sandbox.MEMORY_LIMIT):
    """Grade ``impl`` (a folder or 'solutions'/'exercises'); returns a Run.

    ``exercises``: catalog ids to grade (all by default). ``on_check(check)`` is
    called as each outcome arrives, for progress displays. A check may take
    ``check_timeout`` seconds, and HUNG_TIMEOUT once any check of the run has timed
    out: a hanging function usually hangs every check that calls it.
    """
    folder = resolve(impl)
    for exercise in exercises or ():
        catalog.get(exercise)
    result = Run(folder=folder, seed=seed)
    if folder not in (NAMED["solutions"].resolve(), NAMED["exercises"].resolve()):
        result.warnings = guard.suspicious(folder)
    started = time.monotonic()
    deadline = started + total_timeout
    checks = None            # nodeid -> Check, known from the first child's collection
    output = bytearray()

    def settle(check, outcome, message):
        check.outcome, check.message = outcome, message
        if on_check:
            on_check(check)

    with tempfile.TemporaryDirectory(prefix="sophia-") as tmp:
        kit, home = Path(tmp) / "kit", Path(tmp) / "home"
        home.mkdir()
        hashes = sandbox.copy_kit(kit)
        only = files = None
        while True:
            sandbox.verify_kit(kit, hashes)
            hung = checks is not None and any(c.outcome == "timed_out" for c in checks.values())
            events = _run_child(kit, home, folder, exercises, seed, only, files, deadline,
                                min(check_timeout, HUNG_TIMEOUT) if hung else check_timeout,
                                output, memory_limit)
            result.children += 1
            result.forged += events.forged
            progress = False
            for event in events.items:
                if event["type"] == "collected" and checks is None:
                    checks = {c["nodeid"]: Check(c["nodeid"], c["exercise"], c["name"])
                              for c in event["checks"] if c["exercise"]}
                elif event["type"] == "result" and checks and event["nodeid"] in checks:
                    check = checks[event["nodeid"]]
                    if check.outcome == "missing":
                        check.seconds = event.get("seconds", 0.0)
                        outcome = event["outcome"] if event["outcome"] in OUTCOMES else "error"
                        settle(check, outcome, str(event.get("message", ""))[:MAX_MESSAGE])
                        progress = True
            if checks is None:
                result.output = events.failure + "\n" + _text(output)
                break
            culprit = checks.get(events.current)
            if culprit is not None and culprit.outcome == "missing":
                settle(culprit, events.ended_as, events.failure)
                progress = True
            remaining = _stop_losing(checks, settle)
            if not remaining:
                break
            if time.monotonic() >= deadline:
                for check in remaining:
                    settle(check, "timed_out", "the grading run's time budget ran out before "
                                               "this check")
                break
            if not progress:         # ended between checks: charge the next, so runs end
                settle(remaining.pop(0), events.ended_as if events.ended_as != "timed_out"
                       else "crashed", "no outcome was reported for this check: "
                       + (events.failure or "the grading process ended"))
                if not remaining:
                    break
            only = "\n".join(c.nodeid for c in remaining)   # sent unnamed: nothing to tamper with
            files = sorted({c.nodeid.split("::")[0] for c in remaining})
        sandbox.verify_kit(kit, hashes)
    result.checks = list(checks.values()) if checks else []
    result.output = result.output or _text(output)
    result.seconds = time.monotonic() - started
    return result


def _stop_losing(checks, settle):
    """The checks still to run, once the checks of exercises that keep losing the child are charged.

    An exercise whose code timed out or crashed the grading process LOST_LIMIT
    times does not get to run its other checks: that bounds the time a hanging
    function used by many checks can cost, and spares the other exercises' budget.
    """
    lost = {}
    for check in checks.values():
        if check.outcome in ("timed_out", "crashed"):
            lost.setdefault(check.exercise, []).append(check)
    remaining = []
    for check in checks.values():
        if check.outcome != "missing":
            continue
        if len(lost.get(check.exercise, ())) >= LOST_LIMIT:
            last = lost[check.exercise][-1]
            settle(check, last.outcome, f"not run: {LOST_LIMIT} checks of this exercise already "
                                        f"{'timed out' if last.outcome == 'timed_out' else 'crashed'}"
                                        f" (last: {last.name}); fix those first")
        else:
            remaining.append(check)
    return remaining


@dataclass
class ChildEvents:
    items: list
    current: str = None          # the check running when the child ended
    ended_as: str = "crashed"    # what to charge that check with
    failure: str = ""
    forged: int = 0
    finished: bool = False
    pending: dict = None         # the last result, counted once another event follows it

    def settle(self):
        """The child ended: a result nobody moved on from is charged to its check."""
        if self.pending is not None:
            self.current, self.pending = self.pending["nodeid"], None
            self.ended_as = "crashed"
            self.failure = ("crashed: the grading process ended right after this check "
                            "reported, before the next one started")


class EventReader:
    """Splits the event pipe into lines and keeps the validly signed, in-sequence events."""

    def __init__(self, key, events):
        self.key, self.events, self.buffer, self.sequence = key, events, b"", 0

    def feed(self, data):
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        if len(self.buffer) > MAX_EVENT:
            self.buffer, self.events.forged = b"", self.events.forged + 1
        for line in lines:
            event = self.parse(line)
            if event is None:
                self.events.forged += 1
            else:
                yield event

    def parse(self, line):
        payload, tab, mac = line.rpartition(b"\t")
        expected = hmac.new(self.key, payload, hashlib.sha256).hexdigest().encode()
        if not tab or not hmac.compare_digest(mac, expected):
            return None
        try:
            event = json.loads(payload)
        except ValueError:
            return None
        if (not isinstance(event, dict) or event.get("seq") != self.sequence
                or event.get("type") not in ("collected", "start", "result", "finished")
                or not all(isinstance(event.get(k, ""), str)
                           for k in ("nodeid", "outcome", "message"))):
            return None
        self.sequence += 1
        return event


def _run_child(kit, home, folder, exercises, seed, only, files, deadline, check_timeout,
               output, memory_limit):
    read_fd, write_fd = os.pipe()
    key_read, key_write = os.pipe()
    key, token = secrets.token_bytes(32), secrets.token_hex(16)
    os.write(key_write, key)
    os.close(key_write)
    # the checks still to run: an unlinked file the child inherits, so no path can be raced
    only_file = tempfile.TemporaryFile() if only else None
    if only_file:
        only_file.write(only.encode())
        only_file.seek(0)
    child_fds = (write_fd, key_read) + ((only_file.fileno(),) if only_file else ())
    try:
        process = subprocess.Popen(
            child_command(kit, folder, write_fd, key_read,
                          only_file.fileno() if only_file else None, exercises, seed, files),
            cwd=home, env=sandbox.child_environment(home, kit, token), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=child_fds,
            start_new_session=True)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
        os.close(key_read)
        if only_file:
            only_file.close()
    sandbox.apply_limits(process.pid, memory_limit)
    events = ChildEvents(items=[])
    reader = EventReader(key, events)
    last_event = check_started = time.monotonic()
    collected = eof_at = None
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, "events")
    selector.register(process.stdout, selectors.EVENT_READ, "output")
    try:
        while True:
            now = time.monotonic()
            if now >= deadline or (events.current and now - check_started > check_timeout):
                events.ended_as = "timed_out"
                events.failure = (f"timed out: the check took longer than {check_timeout:g} s"
                                  if now < deadline else "timed out: the run's time budget ran out")
                return events
            if events.finished:         # all reported; whatever still runs (atexit) is killed
                events.failure = ("crashed: the test session stopped in the middle of this "
                                  "check (pytest.exit or KeyboardInterrupt in the code under test?)")
                return events
            if collected and not events.current and now - last_event > check_timeout:
                events.failure = "the grading process hung between two checks"
                return events
            if eof_at is not None and now - eof_at > GRACE:
                events.failure = ("crashed: the grader's event pipe was closed by the code "
                                  "under test")
                return events
            ready = selector.select(timeout=min(0.1, max(0.0, deadline - now)))
            if not ready and process.poll() is not None:
                break
            for selected, _ in ready:
                data = os.read(selected.fd, 65536)
                if not data:
                    selector.unregister(selected.fd)
                    if selected.data == "events":
                        eof_at = time.monotonic()
                    continue
                if selected.data == "output":
                    output += data[:max(0, OUTPUT_CAP - len(output))]
                    continue
                for event in reader.feed(data):
                    last_event = time.monotonic()
                    if event["type"] == "result" and event.get("nodeid") != events.current:
                        events.forged += 1      # a result for a check that is not running
                        if events.pending and events.pending["nodeid"] == event.get("nodeid"):
                            events.pending = dict(events.pending, outcome="error", message=(
                                "two outcomes were reported for this check: the code under "
                                "test forged one; this check earns nothing"))
                        continue
                    if events.pending is not None and event["type"] != "result":
                        events.items.append(events.pending)   # confirmed: the child moved on
                        events.pending = None
                    if event["type"] == "collected":
                        collected = True
                        events.items.append(event)
                    elif event["type"] == "start":
                        events.current, check_started = event["nodeid"], last_event
                    elif event["type"] == "result":
                        event["seconds"] = last_event - check_started
                        events.pending, events.current = event, None
                    elif event["type"] == "finished":
                        events.finished = True
        code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
        events.failure = _describe_exit(code)
        return events
    except subprocess.TimeoutExpired:
        events.ended_as, events.failure = "timed_out", "timed out: the run's time budget ran out"
        return events
    finally:
        selector.close()
        os.close(read_fd)
        sandbox.kill_everything(process, token=token)
        events.settle()


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
