"""Limits for the child that runs student code, and a sweep that leaves nothing running.

What this reaches: time (the parent's wall clock), memory and file size
(rlimits), stray processes (the child's process group, and orphans that the
grader adopts as a Linux child subreaper). What it does not: the network and
the file system; see the threat model in the README.
"""
import ctypes
import os
import resource
import signal
import time
from pathlib import Path

from .implementation import ROOT

MEMORY_LIMIT = 4 * 1024 ** 3      # bytes of address space for the child
FILE_SIZE_LIMIT = 64 * 1024 ** 2  # bytes any one file written by the child may reach
PR_SET_CHILD_SUBREAPER = 36


def child_environment(tmp):
    """A small, predictable environment: no user plugins, one BLAS thread, no bytecode writes."""
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0",
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", MPLBACKEND="Agg", HOME=str(tmp),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               SOPHIA_CHILD="1")
    return env


def limit_child():
    """Runs in the child before exec: memory, file size and core-dump limits."""
    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT),
                         (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT),
                         (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass


def adopt_orphans():
    """Make this process the reaper of its descendants' orphans (Linux), so none escape."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _processes():
    """(pid, parent pid, session id) of every process we can see."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(stat.parent.name), int(fields[1]), int(fields[3])


def children():
    """Our own child processes now."""
    me = os.getpid()
    return {pid for pid, parent, _ in _processes() if parent == me}


def kill_everything(process, before=frozenset()):
    """Kill the child, its process group and session, and every orphan it left with us.

    ``before``: our children that existed before the child started (left alone).
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.kill()
    except ProcessLookupError:
        pass
    process.wait()
    if process.stdout:
        process.stdout.close()
    me = os.getpid()
    for _ in range(50):                 # orphans re-parent to us as their parents die
        strays = [pid for pid, parent, session in _processes()
                  if pid != me and pid not in before and pid != process.pid
                  and (parent == me or session == process.pid)]
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.01)
