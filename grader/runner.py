"""Run the checks in a judge process and collect every check's outcome.

The judge (pytest with grader.plugin) runs the checks and reports events over a
pipe; it never imports the student's code, which runs in executors it starts
(grader.remote). A check that never reports an outcome scores nothing. A judge
that hangs or dies is killed on a wall clock, its current check charged, and a
fresh judge runs the checks that remain. The judge imports the grader and the
tests from a private copy outside the repository, verified before every judge
and at the end (``sandbox.KitTampered`` is raised when it changed).

With two CPUs or more, judges run in lanes, each pinned with its executors to a
CPU of its own: every judge collects all the checks and claims each check file
from this process as it reaches it, so a file runs in one lane only and the
lanes finish together whatever each file costs.
"""
import json
import os
import secrets
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog, sandbox
from .implementation import resolve
from .scoring import MAX_MESSAGE

SUITES = Path("tests") / "suites"
HIDDEN = Path("tests") / "hidden"   # hidden checks: where the instructor grades, never in a handout
TOTAL_TIMEOUT = 300.0     # seconds a whole grading run may take
OUTPUT_CAP = 64 * 1024    # bytes of the judge's own stdout/stderr kept
MAX_LANES = 2             # judges at once, each with its executors on a CPU of its own
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
                  memory=sandbox.MEMORY_LIMIT, claims_fd=None):
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
    if claims_fd is not None:
        command.append(f"--sophia-claims={claims_fd}")
    return command


class Cancelled(Exception):
    """The grading was cancelled (``run``'s ``cancel`` said so): nothing of it is kept."""


def run(impl, exercises=None, seed=0, total_timeout=TOTAL_TIMEOUT, on_check=None,
        memory_limit=sandbox.MEMORY_LIMIT, cap=sandbox.CAP, cancel=None, hidden=True, lanes=None):
    """Grade ``impl`` (a folder or 'solutions'/'exercises'); returns a Run.

    ``exercises``: catalog ids to grade (all by default). ``on_check(check)`` is
    called as each outcome arrives, for progress displays. ``cap``: a check's code
    is stopped after ``cap`` times its CPU budget; ``memory_limit``: bytes of
    address space of each executor (grader.remote). ``cancel()``, asked about ten times a
    second, stops the run and raises Cancelled when it returns True (``watch``: a file changed).
    ``hidden=False`` leaves out the hidden checks: the run a student's handout makes.
    ``lanes``: judges at once, each on a CPU of its own (default: one a CPU, at most
    MAX_LANES); platforms that grade in a small memory ask for one.
    """
    folder = resolve(impl)
    for exercise in exercises or ():
        catalog.get(exercise)
    started = time.monotonic()
    sandbox.unprivileged_user()     # probed once, for every judge of the run
    sandbox.adopt_orphans()         # what a judge leaves running comes to us, to be swept

    with tempfile.TemporaryDirectory(prefix="sophia-") as tmp:
        kit, home, scratch = Path(tmp) / "kit", Path(tmp) / "home", Path(tmp) / "scratch"
        home.mkdir()
        scratch.mkdir()          # the judge's temporary files (the executors' workspace), removed with tmp
        hashes = sandbox.copy_kit(kit)
        # an unprivileged executor may pass through to its workspace, and read nothing else here
        for private, mode in ((Path(tmp), 0o711), (scratch, 0o711), (kit, 0o700)):
            private.chmod(mode)
        folders = (SUITES, HIDDEN) if hidden else (SUITES,)
        files = suite_files(kit, exercises, folders) if exercises else \
            [str(f) for f in folders if (kit / f).is_dir()]
        cpus = _cpus(lanes, len(files) if exercises else None)
        board = Board(settle_hook=on_check, shared=len(cpus) > 1)
        judge = Judge(kit=kit, hashes=hashes, home=home, scratch=scratch, folder=folder,
                      exercises=exercises, seed=seed, deadline=started + total_timeout,
                      memory_limit=memory_limit, cap=cap,
                      cancel=board.cancelled_by(cancel))
        with ThreadPoolExecutor(len(cpus)) as pool:
            running = [pool.submit(board.guarded, _lane, board, judge, lane, cpu, files)
                       for lane, cpu in enumerate(cpus)]
            try:
                outputs = [lane.result() for lane in running]
            except BaseException:        # Ctrl-C, or a lane failed: the others stop at once
                board.cancelled.set()
                raise
        if board.cancel_asked:
            raise Cancelled()
        sandbox.verify_kit(kit, hashes)
    output = b"".join(bytes(o) for o in outputs)[:OUTPUT_CAP]
    result = Run(folder=folder, seed=seed, children=board.children,
                 checks=list(board.checks.values()) if board.checks else [])
    result.output = (board.failure + "\n" + _text(output)) if board.checks is None else _text(output)
    result.seconds = time.monotonic() - started
    return result


def _cpus(lanes, suites):
    """The CPUs the judges run on, one a lane: [None] for a single judge left where it is."""
    allowed = sorted(os.sched_getaffinity(0))
    count = min(lanes or MAX_LANES, len(allowed), suites or MAX_LANES)
    return [None] if count <= 1 else allowed[:count]


@dataclass
class Judge:
    """How each judge of a run is started (``_run_child``'s arguments but the files and the lane)."""
    kit: Path
    hashes: dict
    home: Path
    scratch: Path
    folder: Path
    exercises: list
    seed: int
    deadline: float
    memory_limit: int
    cap: float
    cancel: object


@dataclass
class Board:
    """What the lanes of a run share: the checks, who runs which file, the outcomes.

    Judges in lanes of their own collect every check and claim each check file as
    they reach it: the first to claim a file runs it, the others pass over it, so
    the lanes stay busy to the end whatever each file costs.
    """
    settle_hook: object = None
    shared: bool = False
    checks: dict = None          # nodeid -> Check, from the first judge's collection
    owners: dict = field(default_factory=dict)     # check file -> lane
    children: int = 0
    failure: str = ""
    cancel_asked: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def claim(self, file, lane):
        with self.lock:
            return self.owners.setdefault(file, lane) == lane

    def mine(self, check, lane):
        """True when ``lane`` is to run ``check``: its file is the lane's, or nobody's yet."""
        return self.owners.get(check.nodeid.split("::")[0], lane) == lane

    def settle(self, check, outcome, message):
        with self.lock:
            check.outcome, check.message = outcome, message
            if self.settle_hook:
                self.settle_hook(check)

    def cancelled_by(self, cancel):
        """The ``cancel`` each judge asks: the caller's, or another lane's failure."""
        def asked():
            if not self.cancelled.is_set() and cancel is not None and cancel():
                self.cancel_asked = True
                self.cancelled.set()
            return self.cancelled.is_set()
        return asked

    def guarded(self, work, *args):
        """``work(*args)``, stopping the other lanes when it fails."""
        try:
            return work(*args)
        except BaseException:
            self.cancelled.set()
            raise


def _lane(board, judge, lane, cpu, files):
    """Run judges on ``cpu`` until every check this lane claimed has an outcome; its output."""
    only, output = None, bytearray()
    claim = (lambda file: board.claim(file, lane)) if board.shared else None
    while True:
        sandbox.verify_kit(judge.kit, judge.hashes)
        events = _run_child(judge, only, files, output, cpu, claim, lambda event: _record(board, event))
        if events.cancelled:
            return output
        with board.lock:
            board.children += 1
            progress = events.progress
            if board.checks is None:
                board.failure = events.failure
                return output
            culprit = board.checks.get(events.current)
            if culprit is not None and culprit.outcome == "missing":
                board.settle(culprit, events.ended_as, events.failure)
                progress = True
            remaining = [c for c in _stop_losing(board.checks, board.settle) if board.mine(c, lane)]
            if not remaining:
                return output
            if time.monotonic() >= judge.deadline:
                for check in remaining:
                    board.settle(check, "timed_out", "the grading run's time budget ran out "
                                                     "before this check")
                return output
            if not progress:         # ended between checks: charge the next, so runs end
                board.settle(remaining.pop(0), "crashed", "no outcome was reported for this check: "
                             + (events.failure or "the grading process ended"))
                if not remaining:
                    return output
        only = "\n".join(c.nodeid for c in remaining)
        files = sorted({c.nodeid.split("::")[0] for c in remaining})


def _record(board, event):
    """Take a judge's event (its collection, or an outcome) into the board; True for a new outcome."""
    with board.lock:
        if event["type"] == "collected" and board.checks is None:
            board.checks = {c["nodeid"]: Check(c["nodeid"], c["exercise"], c["name"],
                                               visibility=c.get("visibility", "visible"))
                            for c in event["checks"] if c["exercise"]}
        elif event["type"] == "result" and board.checks and event["nodeid"] in board.checks:
            check = board.checks[event["nodeid"]]
            if check.outcome == "missing":
                check.seconds = event.get("seconds", 0.0)
                check.cpu = float(event.get("cpu", 0.0))
                check.output = str(event.get("output", ""))
                outcome = event["outcome"] if event["outcome"] in OUTCOMES else "error"
                board.settle(check, outcome, str(event.get("message", ""))[:MAX_MESSAGE])
                return True
    return False


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
    progress: bool = False       # an outcome it reported was new
    current: str = None          # the check running when the judge ended
    ended_as: str = "crashed"    # what to charge that check with
    failure: str = ""
    finished: bool = False
    cancelled: bool = False


def _run_child(judge, only, files, output, cpu, claim, record):
    """Run one judge on ``files`` (``only``: the node ids still to run), pinned to ``cpu``;
    ``claim(file)`` answers the judge's claims of check files when judges share the checks,
    ``record(event)`` takes its collection and each outcome as it comes (True: a new outcome)."""
    read_fd, write_fd = os.pipe()
    claims_read, claims_write = os.pipe() if claim else (None, None)
    token = secrets.token_hex(16)
    # the checks still to run: an unlinked file the judge inherits
    only_file = tempfile.TemporaryFile() if only else None
    if only_file:
        only_file.write(only.encode())
        only_file.seek(0)
    child_fds = (write_fd,) + ((only_file.fileno(),) if only_file else ()) + \
        ((claims_read,) if claim else ())
    try:
        process = subprocess.Popen(
            child_command(judge.kit, judge.folder, write_fd, only_file.fileno() if only_file else None,
                          judge.exercises, judge.seed, files, judge.cap, judge.memory_limit, claims_read),
            cwd=judge.home, env=dict(sandbox.child_environment(judge.home, judge.kit, token),
                                     TMPDIR=str(judge.scratch)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=child_fds,
            start_new_session=True)
    except BaseException:
        for fd in (read_fd, claims_write):
            if fd is not None:
                os.close(fd)
        raise
    finally:
        for fd in (write_fd, claims_read):
            if fd is not None:
                os.close(fd)
        if only_file:
            only_file.close()
    if cpu is not None:      # before it starts its zygote, whose executors inherit the CPU
        os.sched_setaffinity(process.pid, {cpu})
    sandbox.apply_limits(process.pid, max(judge.memory_limit, sandbox.MEMORY_LIMIT))   # the judge's own
    events = ChildEvents()
    buffer = b""
    limit = COLLECT_TIMEOUT         # wall seconds until the next event is due
    last_event = time.monotonic()
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ, "events")
    selector.register(process.stdout, selectors.EVENT_READ, "output")
    try:
        while not events.finished:
            if judge.cancel():
                events.cancelled = True
                return events
            now, deadline = time.monotonic(), judge.deadline
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
                        record(event)
                    elif event["type"] == "start":
                        events.current, limit = event["nodeid"], float(event["limit"])
                        check_started = last_event
                    elif event["type"] == "result":
                        event["seconds"] = last_event - check_started
                        events.progress |= record(event)
                        events.current, limit = None, COLLECT_TIMEOUT
                    elif event["type"] == "claim":
                        _answer(claims_write, claim(str(event["file"])))
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
        if claims_write is not None:
            os.close(claims_write)
        sandbox.kill_everything(process, token=token)


def _answer(fd, granted):
    """Answer a judge's claim; a judge that died since is found by the loop's next read."""
    try:
        os.write(fd, b"1" if granted else b"0")
    except BrokenPipeError:
        pass


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
