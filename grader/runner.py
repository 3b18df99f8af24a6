"""Run the checks in a judge process and collect every check's outcome.

The judge (pytest with grader.plugin) runs the checks and reports events over a
pipe; it never imports the student's code, which runs in executors it starts
(grader.remote). A check that never reports an outcome scores nothing. A judge
that hangs or dies is killed on a wall clock, its current check charged, and a
fresh judge runs the checks that remain. The judge imports the grader and the
tests from a private copy outside the repository, verified before every judge
and at the end (``sandbox.KitTampered`` is raised when it changed).
"""
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

from . import catalog, sandbox
from .implementation import resolve
from .scoring import MAX_MESSAGE

SUITES = Path("tests") / "suites"
HIDDEN = Path("tests") / "hidden"   # hidden checks: where the instructor grades, never in a handout
TOTAL_TIMEOUT = 300.0     # seconds a whole grading run may take
OUTPUT_CAP = 64 * 1024    # bytes of the judge's own stdout/stderr kept
LOST_LIMIT = 2            # checks lost with the judge after which an exercise stops
COLLECT_TIMEOUT = 60.0    # seconds the judge may take to start and collect the checks
# pytest's plugins a judge does without: it reports through grader.plugin, and starts faster
UNUSED_PLUGINS = ("cacheprovider", "terminal", "unraisableexception", "doctest", "junitxml", "pastebin",
                  "legacypath", "stepwise", "setuponly", "setupplan", "logging", "faulthandler", "debugging")
OUTCOMES = {"passed", "failed", "not_started", "error", "timed_out", "crashed", "memory", "too_slow"}


@dataclass
class Check:
    nodeid: str
    exercise: str
    name: str
    outcome: str = "missing"   # passed failed not_started error timed_out crashed memory missing
    message: str = ""
    seconds: float = 0.0
    cpu: float = 0.0           # CPU seconds the student's code used in this check
    output: str = ""           # what it printed
    visibility: str = "visible"   # visible, hidden or after_due_date (Gradescope's words)


@dataclass
class Run:
    folder: Path
    seed: int
    checks: list = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    children: int = 0


def child_command(kit, folder, events_fd, only_file, exercises, seed, files, cap=sandbox.CAP,
                  memory=sandbox.MEMORY_LIMIT):
    """The pytest command line of one judge, run from the kit copy ``kit``."""
    kit = Path(kit)
    targets = [str(kit / f) for f in files]
    # one token each: pytest takes the value of an option it does not know yet (--impl is
    # added by a conftest) for a path to collect, and would load that folder's conftest.py
    command = sandbox.python() + [
        "-m", "pytest", *targets, "-p", "grader.plugin",
        *[arg for plugin in UNUSED_PLUGINS for arg in ("-p", f"no:{plugin}")], "-s", "--assert=plain",
        "--rootdir", str(kit), "-c", str(kit / "pyproject.toml"),
        "--confcutdir", str(kit), f"--impl={folder}", f"--seed={seed}", f"--cap={cap:g}",
        f"--memory={memory}",
        f"--sophia-events={events_fd}"]
    command += [f"--exercise={exercise}" for exercise in exercises or ()]
    if only_file:
        command.append(f"--sophia-only={only_file}")
    return command


class Cancelled(Exception):
    """The grading was cancelled (``run``'s ``cancel`` said so): nothing of it is kept."""


def run(impl, exercises=None, seed=0, total_timeout=TOTAL_TIMEOUT, on_check=None,
        memory_limit=sandbox.MEMORY_LIMIT, cap=sandbox.CAP, cancel=None, hidden=True):
    """Grade ``impl`` (a folder or 'solutions'/'exercises'); returns a Run.

    ``exercises``: catalog ids to grade (all by default). ``on_check(check)`` is
    called as each outcome arrives, for progress displays. ``cap``: a check's code
    is stopped after ``cap`` times its CPU budget; ``memory_limit``: bytes of
    address space of each executor (grader.remote). ``cancel()``, asked about ten times a
    second, stops the run and raises Cancelled when it returns True (``watch``: a file changed).
    ``hidden=False`` leaves out the hidden checks: the run a student's handout makes.
    """
    folder = resolve(impl)
    for exercise in exercises or ():
        catalog.get(exercise)
    result = Run(folder=folder, seed=seed)
    started = time.monotonic()
    deadline = started + total_timeout
    checks = None            # nodeid -> Check, known from the first judge's collection
    output = bytearray()
    sandbox.unprivileged_user()     # probed once, for every judge of the run
    sandbox.adopt_orphans()         # what a judge leaves running comes to us, to be swept

    def settle(check, outcome, message):
        check.outcome, check.message = outcome, message
        if on_check:
            on_check(check)

    with tempfile.TemporaryDirectory(prefix="sophia-") as tmp:
        kit, home, scratch = Path(tmp) / "kit", Path(tmp) / "home", Path(tmp) / "scratch"
        home.mkdir()
        scratch.mkdir()          # the judge's temporary files (the executors' workspace), removed with tmp
        hashes = sandbox.copy_kit(kit)
        # an unprivileged executor may pass through to its workspace, and read nothing else here
        for private, mode in ((Path(tmp), 0o711), (scratch, 0o711), (kit, 0o700)):
            private.chmod(mode)
        only = None
        folders = (SUITES, HIDDEN) if hidden else (SUITES,)
        files = suite_files(kit, exercises, folders) if exercises else \
            [str(f) for f in folders if (kit / f).is_dir()]
        while True:
            sandbox.verify_kit(kit, hashes)
            events = _run_child(kit, home, scratch, folder, exercises, seed, only, files, deadline,
                                output, memory_limit, cap, cancel)
            if events.cancelled:
                raise Cancelled()
            result.children += 1
            progress = False
            for event in events.items:
                if event["type"] == "collected" and checks is None:
                    checks = {c["nodeid"]: Check(c["nodeid"], c["exercise"], c["name"],
                                                 visibility=c.get("visibility", "visible"))
                              for c in event["checks"] if c["exercise"]}
                elif event["type"] == "result" and checks and event["nodeid"] in checks:
                    check = checks[event["nodeid"]]
                    if check.outcome == "missing":
                        check.seconds = event.get("seconds", 0.0)
                        check.cpu = float(event.get("cpu", 0.0))
                        check.output = str(event.get("output", ""))
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
                settle(remaining.pop(0), "crashed", "no outcome was reported for this check: "
                       + (events.failure or "the grading process ended"))
                if not remaining:
                    break
            only = "\n".join(c.nodeid for c in remaining)
            files = sorted({c.nodeid.split("::")[0] for c in remaining})
        sandbox.verify_kit(kit, hashes)
    result.checks = list(checks.values()) if checks else []
    result.output = result.output or _text(output)
    result.seconds = time.monotonic() - started
    return result


def suite_files(kit, exercises, folders=(SUITES, HIDDEN)):
    """The check files of ``exercises`` in the kit copy: each one's suite, and its hidden checks if any."""
    suites = {catalog.get(e).suite for e in exercises}
    return sorted(str(folder / suite) for suite in suites for folder in folders
                  if (Path(kit) / folder / suite).is_file())


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
    current: str = None          # the check running when the judge ended
    ended_as: str = "crashed"    # what to charge that check with
    failure: str = ""
    finished: bool = False
    cancelled: bool = False


def _run_child(kit, home, scratch, folder, exercises, seed, only, files, deadline, output, memory_limit,
               cap, cancel=None):
    read_fd, write_fd = os.pipe()
    token = secrets.token_hex(16)
    # the checks still to run: an unlinked file the judge inherits
    only_file = tempfile.TemporaryFile() if only else None
    if only_file:
        only_file.write(only.encode())
        only_file.seek(0)
    child_fds = (write_fd,) + ((only_file.fileno(),) if only_file else ())
    try:
        process = subprocess.Popen(
            child_command(kit, folder, write_fd, only_file.fileno() if only_file else None,
                          exercises, seed, files, cap, memory_limit),
            cwd=home, env=dict(sandbox.child_environment(home, kit, token), TMPDIR=str(scratch)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=child_fds,
            start_new_session=True)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
        if only_file:
            only_file.close()
    sandbox.apply_limits(process.pid, max(memory_limit, sandbox.MEMORY_LIMIT))   # the judge's own
    events = ChildEvents(items=[])
    buffer = b""
    limit = COLLECT_TIMEOUT         # wall seconds until the next event is due
    last_event = time.monotonic()
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, "events")
    selector.register(process.stdout, selectors.EVENT_READ, "output")
    try:
        while not events.finished:
            if cancel is not None and cancel():
                events.cancelled = True
                return events
            now = time.monotonic()
            if now >= deadline or now - last_event > limit:
                events.ended_as = "timed_out"
                events.failure = (f"timed out: the judge took longer than {limit:g} s"
                                  if now < deadline else "timed out: the run's time budget ran out")
                return events
            ready = selector.select(timeout=min(0.1, max(0.0, deadline - now)))
            if not ready and process.poll() is not None:
                break
            for selected, _ in ready:
                data = os.read(selected.fd, 65536)
                if not data:
                    selector.unregister(selected.fd)
                    continue
                if selected.data == "output":
                    output += data[:max(0, OUTPUT_CAP - len(output))]
                    continue
                *lines, buffer = (buffer + data).split(b"\n")
                for line in lines:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    last_event = time.monotonic()
                    if event["type"] == "collected":
                        events.items.append(event)
                    elif event["type"] == "start":
                        events.current, limit = event["nodeid"], float(event["limit"])
                        check_started = last_event
                    elif event["type"] == "result":
                        event["seconds"] = last_event - check_started
                        events.items.append(event)
                        events.current, limit = None, COLLECT_TIMEOUT
                    elif event["type"] == "finished":
                        events.finished = True
        if events.finished:      # everything reported: its cleanup is the sweep's (and tmp's)
            return events
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


def _describe_exit(code):
    if code is None:
        return "the judge did not end"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
        return f"crashed: the judge was killed by signal {name} during this check"
    return f"crashed: the judge exited (status {code}) during this check"


def _text(output):
    text = bytes(output).decode("utf-8", "replace")
    return text + ("\n[output cut]" if len(output) >= OUTPUT_CAP else "")
