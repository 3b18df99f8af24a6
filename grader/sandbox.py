"""Limits of the grader's processes, the judge's pristine kit, and a sweep that leaves nothing running.

What this holds: the budgets (CPU seconds, caps), memory, file size and (for a
user who is not root) process count (rlimits), the executor's user when the
grader runs as root, stray processes (a session, every descendant, and the
orphans this process adopts as a Linux child subreaper), and the checks' files
(a private copy, hashed, verified before every judge and after the run). The
executor's confinement by the kernel is grader.confine's; see the threat model
in the README.
"""
import ctypes
import hashlib
import os
import resource
import signal
import sys
import time
from pathlib import Path

from .implementation import ROOT

BUDGET = 1.0            # CPU seconds one check may use in the executor (solutions: < 0.1 s)
CAP = 10                # times the budget after which a call is stopped
IDLE = 5.0              # wall seconds a call may wait without using any CPU (sleep, input)
WALL = 10               # times the cap, in wall seconds: the backstop on a loaded machine
UNPRIVILEGED = "nobody"   # the executor's user when the grader runs as root
MEMORY_LIMIT = 4 * 1024 ** 3      # bytes of address space for a judge or an executor
FILE_SIZE_LIMIT = 64 * 1024 ** 2  # bytes any one file written by them may reach
EXTRA_PROCESSES = 64              # processes a judge may add (RLIMIT_NPROC; not for root)
KIT = ("grader", "tests", "data", "pyproject.toml")   # what the judge imports, copied
PR_SET_CHILD_SUBREAPER = 36


class KitTampered(RuntimeError):
    """The grader's or the tests' files changed: the run's results cannot be trusted."""


def _files(top):
    """Every file under ``top`` (or ``top`` itself), as paths relative to its kit root."""
    top = Path(top)
    if top.is_file():
        return [top]
    return sorted(p for p in top.rglob("*") if p.is_file() or p.is_symlink())


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def copy_kit(destination, root=ROOT):
    """Copy the grader and the tests to ``destination``; returns {relative path: sha256}.

    The child imports only this copy, from outside the repository, so the
    reference package is not on its path and a submission cannot edit the
    tests that grade it. Files are made read-only (which binds a non-root user).
    """
    destination, root = Path(destination), Path(root)
    hashes = {}
    for name in KIT:
        for source in _files(root / name) if (root / name).exists() else []:
            relative = source.relative_to(root)
            if "__pycache__" in relative.parts or source.suffix == ".pyc":
                continue
            data = source.read_bytes()
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o444)
            hashes[str(relative)] = _digest(data)
    return hashes


def verify_kit(folder, hashes, what="the grader's copy of the tests"):
    """Raise KitTampered unless ``folder`` holds exactly the files of ``hashes``, unchanged."""
    folder = Path(folder)
    found = {}
    for name in KIT:
        for path in _files(folder / name) if (folder / name).exists() else []:
            try:
                found[str(path.relative_to(folder))] = _digest(path.read_bytes())
            except OSError:
                found[str(path.relative_to(folder))] = "unreadable"
    changed = sorted(p for p in found.keys() | hashes.keys() if found.get(p) != hashes.get(p))
    if changed:
        raise KitTampered(
            f"REFUSED: {what} was modified while grading ({', '.join(changed[:5])}"
            f"{' ...' if len(changed) > 5 else ''}); the results cannot be trusted. "
            f"Grade this submission again in a fresh checkout, and inspect it by hand.")


def child_environment(home, kit, token):
    """A judge's small, predictable environment: the kit copy on the path, no user plugins or site.

    ``token`` marks the run: every process the judge starts inherits it, so the
    sweep finds them even when they leave its session.
    """
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "SOPHIA_EXECUTOR_USER")}
    env.update(PYTHONPATH=str(kit), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0",
               PYTHONNOUSERSITE="1", PYTHONSAFEPATH="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", MPLBACKEND="Agg",
               HOME=str(home), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", SOPHIA_RUN=token)
    return env


def base_environment():
    """What an executor keeps of its judge's environment (the run's token among it)."""
    return {key: value for key, value in os.environ.items()
            if key in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SOPHIA_RUN")}


def unprivileged_user():
    """(uid, gid) of the user the executor runs as when the grader is root, or None.

    None when not root, or when that user cannot run this interpreter with numpy
    (e.g. it lives in a folder only root may enter): the README says what that costs.
    Probed once; the answer goes to the judges in the environment.
    """
    if os.getuid() != 0:
        return None
    cached, _, answer = os.environ.get("SOPHIA_EXECUTOR_USER", "").rpartition("=")
    if cached == sys.executable:               # the answer for this interpreter
        return tuple(int(x) for x in answer.split(":")) if answer else None
    import pwd
    import subprocess
    found = None
    try:
        entry = pwd.getpwnam(UNPRIVILEGED)
        if _open_to_others(Path(sys.executable).resolve()):
            probe = subprocess.run(python() + ["-c", "import numpy"], cwd="/", env=base_environment(),
                                   user=entry.pw_uid, group=entry.pw_gid, extra_groups=[],
                                   capture_output=True, timeout=30)
            found = (entry.pw_uid, entry.pw_gid) if probe.returncode == 0 else None
    except (KeyError, OSError, subprocess.SubprocessError):
        found = None
    os.environ["SOPHIA_EXECUTOR_USER"] = f"{sys.executable}={found[0]}:{found[1]}" if found else \
        f"{sys.executable}="
    return found


def _open_to_others(path):
    """False when a folder above ``path`` is closed to other users (a quick no, before a probe)."""
    return all(folder.stat().st_mode & 0o001 for folder in path.parents)


def tasks_of(uid):
    """Tasks (processes and threads) of user ``uid``, as RLIMIT_NPROC counts them."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    count += int(line.split()[1]) == uid
                elif line.startswith("Threads:"):
                    break
        except (OSError, ValueError, IndexError):
            continue
    return count


def _settings(memory, nproc):
    settings = [(resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT),
                (resource.RLIMIT_CORE, 0)]
    if nproc is not None:
        settings.append((resource.RLIMIT_NPROC, nproc))
    return settings


def _nproc():
    if hasattr(os, "getuid") and os.getuid() != 0 and Path("/proc").is_dir():
        return tasks_of(os.getuid()) + EXTRA_PROCESSES
    return None


def apply_limits(pid, memory=MEMORY_LIMIT, processes=None):
    """Set a process's limits from its parent (``prlimit``), right after it starts.

    ``processes``: the RLIMIT_NPROC to set (the tasks its user has now, for no new
    ones); by default some room above the tasks of a user who is not root. Unlike
    a ``preexec_fn`` this is safe when the parent runs threads.
    """
    for limit, value in _settings(memory, _nproc() if processes is None else processes):
        try:
            resource.prlimit(pid, limit, (value, value))
        except (ValueError, OSError, AttributeError):
            pass


def adopt_orphans():
    """Make this process the reaper of its descendants' orphans (Linux), so none escape."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _processes():
    """{pid: (parent pid, session id, state)} of every process we can see."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            table[int(stat.parent.name)] = (int(fields[1]), int(fields[3]), fields[0])
        except (OSError, IndexError, ValueError):
            continue
    return table


def _carries(pid, token):
    """True when process ``pid`` was started with ``token`` in its environment."""
    try:
        return f"SOPHIA_RUN={token}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


_killed = set()   # pids we killed and may still have to reap (zombies adopted by us)


def _our_children():
    """Our children, read from /proc/self/task/*/children: one small read, no race with a
    process that forks and exits faster than a scan of all of /proc."""
    found = set()
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        try:
            found.update(int(pid) for pid in task.read_text().split())
        except (OSError, ValueError):
            continue
    return found


def _session_of(pid, zombie=False):
    """The session id of a live process (or of a zombie too); None for a process gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return None if fields[0] == "Z" and not zombie else int(fields[3])
    except (OSError, IndexError, ValueError):
        return None


def strays(session, token=None, before=frozenset()):
    """Live processes that belong to the grading child whose session id is ``session``.

    That is: every process in its session, every orphan adopted by us that was
    started with the run ``token`` in its environment (a daemon that called
    setsid still carries it), and every descendant of either. Our other
    children are spared.
    """
    me, table = os.getpid(), _processes()
    spared = set(before) | {me}
    found = {pid for pid, (parent, sid, state) in table.items()
             if pid not in spared and state != "Z"
             and (sid == session or (token and parent == me and _carries(pid, token)))}
    grew = True
    while grew:
        more = {pid for pid, (parent, _, state) in table.items()
                if parent in found and pid not in found and pid not in spared and state != "Z"}
        found |= more
        grew = bool(more)
    return found


def _adopted(session, token, before, dead):
    """Our children (orphans we adopted) that belong to the child: the fast path of the sweep.

    ``dead``: pids already seen as zombies, skipped (a zombie never runs again).
    """
    found = set()
    for pid in _our_children() - set(before) - dead:
        sid = _session_of(pid)
        if sid is None:
            dead.add(pid)
        elif sid == session or (token and _carries(pid, token)):
            found.add(pid)
    return found


def kill_everything(process, before=frozenset(), token=None, patience=3.0):
    """Kill the child, its session and every process it left, until none is seen for a while.

    ``before``: processes to leave alone. ``token``: the run token in the child's
    environment (see ``child_environment``). The process group dies at once
    (the kernel refuses to fork a process with a fatal signal pending); a
    process that leaves it and keeps forking new generations is outrun: its
    orphans come to us, and the sweep ends only after many empty rounds.
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
    deadline, quiet, dead = time.monotonic() + patience, 0, set()
    while quiet < 5 and time.monotonic() < deadline:
        found = _adopted(process.pid, token, before, dead)
        if not found and quiet == 0:            # a full scan first, and after each find
            found = strays(process.pid, token, before)
        quiet = 0 if found else quiet + 1
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                _killed.add(pid)
            except (ProcessLookupError, PermissionError):
                pass
        _reap(process.pid)
        if not found:
            time.sleep(0.002)


def _reap(session=None):
    """Collect the exit status of the processes we killed, and of the child's orphans."""
    for pid in _our_children():
        if pid not in _killed and session is not None and _session_of(pid, True) == session:
            _killed.add(pid)        # an orphan of the child that already exited (a zombie)
    for pid in list(_killed):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:   # not (yet) ours: its parent reaps it, or it comes to us
            done = 0 if Path(f"/proc/{pid}").exists() else pid
        if done:
            _killed.discard(pid)


def python():
    """The interpreter for the child: no user site directory (-s), and no working folder on
    the path (-P), where code from an earlier child could plant a ``pytest.py``."""
    return [sys.executable, "-s", "-P"]
