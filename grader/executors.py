"""Executor processes: forked by a zygote, confined, metered, stopped when they overrun.

    zygote = Zygote(workspace)
    executor = Executor(zygote, cpu=share_a_cpu())
    module = executor.module("layers")     # a Proxy for the module in the executor
    executor.meter = Meter(budget=1.0)     # the current check's CPU time and output

The judge talks to an executor through a ``JudgePeer`` (grader.wire) whose reads
watch the executor: past the meter's cap of CPU seconds, idle too long in a call,
or past the wall-clock backstop, the executor is stopped (``Overrun``), naming the
line of the student's file it was running.
"""
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .connection import JudgePeer, Overrun, crash_of
from .sandbox import BUDGET, CAP, IDLE, WALL, base_environment
from .wire import PeerGone, WireError

OUTPUT_CAP = 16 * 1024  # bytes of output kept per check
MEMORY_LIMIT = sandbox.MEMORY_LIMIT
HUNG = 1.0              # CPU seconds a check may take once a check of the run has timed out:
                        # code that hangs usually hangs every check that calls it
TICK = os.sysconf("SC_CLK_TCK")
# glibc gives arrays above 128 KiB fresh pages from mmap and returns them on free, which costs
# page faults on every step of a training loop (2x on the MLP milestone); keep them in the heap
FAST_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 * 1024 ** 2), "MALLOC_TRIM_THRESHOLD_": str(128 * 1024 ** 2)}


@dataclass
class Meter:
    """One check's use of the executor."""
    budget: float
    factor: float = CAP             # the cap, in budgets
    hung: bool = False              # a check of this run already timed out: the cap is HUNG
    started_cpu: float = 0.0
    cpu: float = 0.0
    output: bytearray = field(default_factory=bytearray)
    output_cut: bool = False

    @property
    def cap(self):
        return min(self.budget * self.factor, HUNG) if self.hung else self.budget * self.factor

    def overrun(self, spent):
        """Why a check that used ``spent`` CPU seconds was stopped."""
        if self.hung and self.cap < self.budget * self.factor:
            return (f"timed out: stopped after {spent:.1f} s of CPU time (another check of this "
                    f"run timed out already, so each gets {HUNG:g} s)")
        return (f"timed out: stopped after {spent:.1f} s of CPU time, over {self.factor:g}× this "
                f"check's budget of {self.budget:g} s")

    @property
    def text(self):
        return self.output.decode("utf-8", "replace") + ("\n[output cut]" if self.output_cut else "")


class Zygote:
    """The process that forks executors: Python and numpy start once per judge, not per exercise.

    It runs as the executor's user, under the executor's limits (but the process
    count), and never runs student code.
    """

    def __init__(self, workspace, memory=MEMORY_LIMIT):
        self.workspace, self.memory = workspace, memory
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(base_environment(), PYTHONPATH=str(workspace.root / "code"), HOME=str(workspace.home),
                   TMPDIR=str(workspace.home),
                   PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONNOUSERSITE="1",
                   MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", **FAST_MALLOC)
        user = workspace.user
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-s", "-P", "-m", "grader.executor", str(theirs.fileno()), str(os.getpid())],
                cwd=workspace.home, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=[theirs.fileno()], start_new_session=True,
                **({"user": user[0], "group": user[1], "extra_groups": []} if user else {}))
        finally:
            theirs.close()
        sandbox.apply_limits(self.process.pid, memory)
        self.sock.settimeout(60)
        self.ready = False

    def wait_ready(self):
        """Block until the zygote has imported numpy (it does so while the judge collects)."""
        if not self.ready:
            self.answer()
            self.ready = True

    def answer(self):
        data = self.sock.recv(4096)
        if not data:
            raise PeerGone("the executors' zygote ended")
        return json.loads(data)

    def fork(self, fds):
        """The pid of a new executor whose ends of the pipes are ``fds``."""
        self.wait_ready()
        socket.send_fds(self.sock, [json.dumps({"op": "fork", "folder": str(self.workspace.package)})
                                    .encode()], list(fds))
        return int(self.answer()["pid"])

    def reap(self, pid):
        """The exit code of executor ``pid`` (negative: killed by that signal), or None."""
        try:
            self.sock.send(json.dumps({"op": "reap", "pid": pid}).encode())
            return self.answer()["code"]
        except (OSError, ValueError, KeyError):
            return None

    def alive(self):
        return self.process.poll() is None

    def close(self):
        self.sock.close()
        sandbox.kill_everything(self.process, patience=0.2)


class Executor:
    """One executor process for one package, forked by the zygote."""

    def __init__(self, zygote, memory=MEMORY_LIMIT, cpu=None):
        self.workspace, self.zygote = zygote.workspace, zygote
        self.meter, self.dead, self.ended, self.code = Meter(BUDGET), None, None, None
        self.modules = {}
        requests, replies, output, dump = os.pipe(), os.pipe(), os.pipe(), os.pipe()
        try:
            self.pid = zygote.fork((requests[0], replies[1], output[1], dump[1]))
        except BaseException:
            for fd in (requests[1], replies[0], output[0], dump[0]):
                os.close(fd)
            raise
        finally:
            for fd in (requests[0], replies[1], output[1], dump[1]):
                os.close(fd)
        self.output_fd, self.dump_fd = output[0], dump[0]
        for fd in (self.output_fd, self.dump_fd, replies[0]):
            os.set_blocking(fd, False)
        sandbox.apply_limits(self.pid, memory, processes=_no_more_tasks(self.workspace.user))
        if cpu is not None:
            os.sched_setaffinity(self.pid, {cpu})
        self.peer = JudgePeer(self, replies[0], requests[1])
        self.call_started = time.monotonic()
        self.progress = (self.call_started, 0.0)
        self.ready = False

    def wait_ready(self):
        """Block until the executor has started (it imports numpy meanwhile, in parallel)."""
        if not self.ready:
            self.call_started = time.monotonic()
            try:
                message, _ = self.peer.receive()
            except (PeerGone, WireError, OSError) as error:
                raise crash_of(self, error) from None
            if "ready" not in message:
                raise crash_of(self, WireError("the executor did not start"))
            self.confined = message.get("confined", {})
            self.ready = True

    def module(self, name):
        if name not in self.modules:
            self.modules[name] = self.peer.request("module", name=name)
        return self.modules[name]

    def cpu(self):
        """CPU seconds (user + system) the executor has used."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError, ValueError):
            return 0.0

    def watch(self):
        """Wait (a little) for the executor's answer, keep its output, stop it when it overruns."""
        while True:
            ready, _, _ = select.select([self.peer.read_fd, self.output_fd], [], [], 0.05)
            self.drain()
            if self.peer.read_fd in ready:
                return
            now, used = time.monotonic(), self.cpu()
            if used != self.progress[1]:
                self.progress = (now, used)
            meter = self.meter
            spent = used - meter.started_cpu
            if spent > meter.cap:
                self.stop("timed_out", meter.overrun(spent))
            if now - self.progress[0] > IDLE:
                self.stop("timed_out", f"timed out: the code waited {IDLE:g} s without computing "
                                       f"(sleep, input, a lock?)")
            if now - self.call_started > meter.cap * WALL:
                self.stop("timed_out", f"timed out: {meter.cap * WALL:g} s of wall-clock time")
            if not self.alive():
                self.drain()
                raise PeerGone("the executor exited")

    def drain(self):
        """Read the executor's pending output into the current check's meter (bounded)."""
        meter = self.meter
        while True:
            try:
                data = os.read(self.output_fd, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            room = OUTPUT_CAP - len(meter.output)
            meter.output += data[:max(0, room)]
            meter.output_cut |= len(data) > room

    def stop(self, outcome, message):
        """Kill the executor, naming where the student's code was; raise Overrun."""
        where = self.where()
        self.close()
        self.ended = outcome
        self.meter.cpu = self.progress[1] - self.meter.started_cpu if self.progress[1] else 0.0
        raise Overrun(outcome, message + (f"; it was at {where}" if where else ""))

    def where(self):
        """The innermost line of the student's code the executor is running (file:line in name)."""
        try:
            os.kill(self.pid, signal.SIGUSR1)
        except OSError:
            return ""
        text, deadline = b"", time.monotonic() + 0.5
        while time.monotonic() < deadline:
            select.select([self.dump_fd], [], [], 0.05)
            try:
                chunk = os.read(self.dump_fd, 65536)
            except BlockingIOError:
                if text:
                    break
                continue
            text += chunk
            if not chunk:
                break
        for line in text.decode("utf-8", "replace").splitlines():
            line = line.strip()        # '  File "/x/layers.py", line 12 in forward', innermost first
            if line.startswith('File "'):
                filename, _, rest = line[6:].partition('", line ')
                if Path(filename).is_relative_to(self.workspace.package):
                    number, _, function = rest.partition(" in ")
                    return f"{self.workspace.original(filename)}:{number} in {function}"
        return ""

    def alive(self):
        """False once the executor has exited (a zombie until the zygote reaps it)."""
        try:
            return Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False

    def crashed(self):
        """A sentence on how the executor ended (it is gone, or going)."""
        self.close()
        code = self.code if self.code is not None else self.zygote.reap(self.pid)
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
            return f"crashed: the process running your code was killed by signal {name}"
        status = f" with status {code}" if code is not None else ""
        return (f"crashed: the process running your code exited{status} (os._exit, a crash in C "
                f"code, or a signal?)")

    def close(self):
        if self.dead:
            return
        self.dead = True
        exited = not self.alive()
        try:
            os.killpg(self.pid, signal.SIGKILL)   # its session: the zygote made it a leader
        except OSError:
            pass
        if exited:            # how it ended is worth a wait; otherwise the zygote reaps it later
            self.code = self.zygote.reap(self.pid)
        for fd in (self.peer.read_fd, self.peer.write_fd, self.output_fd, self.dump_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def share_a_cpu():
    """Pin this process (the judge) to the CPU it runs on, for its executors to share.

    The judge and an executor take turns (one waits while the other works), and a
    round trip between two cores costs ~55 µs of wake-ups against ~8 µs on one:
    a third of the time of a whole grade. None when there is one CPU anyway.
    """
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        return None
    try:
        cpu = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[36])
    except (OSError, IndexError, ValueError):
        cpu = min(allowed)
    cpu = cpu if cpu in allowed else min(allowed)
    os.sched_setaffinity(0, {cpu})
    return cpu


def _no_more_tasks(user):
    """RLIMIT_NPROC for no new process or thread: the tasks of the executor's user now (not for root)."""
    uid = user[0] if user else os.getuid()
    return sandbox.tasks_of(uid) if uid != 0 else None


