"""The executor: the only process that imports the student's package. It runs what the judge asks.

    python -s -P -m grader.executor SOCKET_FD JUDGE_PID    (the zygote, started by grader.remote)

The zygote imports numpy once and forks one executor per exercise on the judge's
request, handing it the pipes the judge made: a fresh process in a few
milliseconds, with no student code in it yet. It runs from a folder that holds
only this file and ``wire.py``: none of the checks, the grader or the reference
solutions is on its path. Everything an executor sends back is plain data or a
handle (see ``wire``). Whatever the student's code does here, the judge sees only
those messages, the CPU time the executor used and its output.
"""
import faulthandler
import importlib
import importlib.machinery
import importlib.util
import json
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from .confine import confine, die_with_parent, python_paths
from .wire import Peer, WireError

PACKAGE = "sophia_impl"     # the one neutral name the package under test is imported as
MAX_FRAMES = 10


def load_package(folder, name=PACKAGE):
    """Import ``folder`` as ``name`` (``sophia_impl``): relative imports work wherever it lives,
    and its modules load from source only (no compiled extension or bytecode file it ships)."""
    package = sys.modules.get(name)
    if package is None:
        sys.path_importer_cache[str(folder)] = importlib.machinery.FileFinder(
            str(folder), (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES))
        spec = importlib.util.spec_from_file_location(
            name, Path(folder) / "__init__.py", submodule_search_locations=[str(folder)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        try:
            spec.loader.exec_module(package)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    return package


def resolve(obj, path):
    """``obj.path[0][path[1]][path[2]]...``: the array a check perturbs or fills."""
    target = getattr(obj, path[0])
    for key in path[1:]:
        target = target[key]
    if type(target) is not np.ndarray:
        raise TypeError(f"{'.'.join(map(str, path))} is a {type(target).__name__}, "
                        f"expected a numpy array")
    return target


def fill(obj, path, value):
    """Write ``value`` into the array ``resolve(obj, path)`` in place (same shape)."""
    array = resolve(obj, path)
    value = np.asarray(value)
    if value.shape != array.shape:
        raise ValueError(f"cannot fill {'.'.join(map(str, path))} of shape {array.shape} "
                         f"with shape {value.shape}")
    array[...] = value


def shifted(fn, args, kwargs, array, indices, steps):
    """(fn(*args, **kwargs), [[fn(...) with array[index] moved by each of ``steps``], ...]).

    ``array`` is one of the arrays ``fn`` reads; each entry is put back after its
    calls, and the outputs are copies (a layer may reuse its output buffer). The
    judge combines the values into a derivative.
    """
    base = _copy(fn(*args, **kwargs))
    outputs = []
    for index in indices:
        index = tuple(index)
        old = array[index]
        row = []
        for step in steps:
            array[index] = old + step
            row.append(_copy(fn(*args, **kwargs)))
        array[index] = old
        outputs.append(row)
    return base, outputs


def _copy(value):
    return np.array(value, copy=True) if type(value) is np.ndarray else value


class Server:
    """Answers the judge's requests on the objects of this process."""

    def __init__(self, folder):
        self.folder = Path(folder).resolve()

    def serve(self, op, v):
        try:
            return getattr(self, "op_" + op)(**v)
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001 -- a replaced stream may raise anything
                    pass

    def op_module(self, name):
        if name == "grader.doubles":
            return importlib.import_module(name)
        if not isinstance(name, str) or not name.isidentifier():
            raise WireError(f"not a module name: {name!r}")
        load_package(self.folder)
        return importlib.import_module(f"{PACKAGE}.{name}")

    def op_getattr(self, target, name):
        return getattr(target, name)

    def op_setattr(self, target, name, value):
        setattr(target, name, value)

    def op_call(self, target, args, kwargs):
        return target(*args, **kwargs)

    def op_callmethod(self, target, name, args, kwargs):
        return getattr(target, name)(*args, **kwargs)

    def op_getitem(self, target, key):
        return target[key]

    def op_setitem(self, target, key, value):
        target[key] = value

    def op_len(self, target):
        return len(target)

    def op_list(self, target):
        return list(target)

    def op_isinstance(self, target, cls):
        return isinstance(target, cls)

    def op_fill(self, target, path, value):
        fill(target, path, value)

    def op_shifted(self, target, args, kwargs, perturb, indices, steps):
        array = args[perturb[1]] if perturb[0] == "arg" else resolve(perturb[1], perturb[2])
        return shifted(target, args, kwargs, array, indices, steps)

    def op_seterr(self, settings):
        """Set numpy's floating-point error handling (np.seterr); returns the old settings."""
        return np.seterr(**settings)

    def op_global_rng(self):
        """numpy's legacy global RNG state here (checks that the code leaves it alone)."""
        return np.random.get_state(legacy=False)


class ExecutorPeer(Peer):
    """Errors go back with the frames of the student's files (from the executor's copy)."""

    catch = BaseException        # sys.exit and KeyboardInterrupt in student code are errors too

    def __init__(self, read_fd, write_fd, folder):
        super().__init__(read_fd, write_fd, owner=False)
        self.folder = Path(folder).resolve()

    def describe_error(self, error):
        described = super().describe_error(error)
        frames = traceback.extract_tb(error.__traceback__)
        mine = [f for f in frames if _inside(f.filename, self.folder)]
        described["frames"] = [[f.filename, f.lineno, f.name, f.line or ""]
                               for f in mine[-MAX_FRAMES:]]
        return described


def _inside(filename, folder):
    try:
        return Path(filename).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def execute(folder, read_fd, write_fd, dump_fd):
    """Confine this process, then serve the judge's requests on ``folder``'s package until exit."""
    dump = os.fdopen(dump_fd, "w")
    faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)   # where an overrun was
    confined = confine(readable=[*python_paths(), str(Path(__file__).parent.parent), folder],
                       writable=[os.getcwd()])
    # bytecode in the home this judge's executors share: each of the student's modules compiles
    # once a run, not once an exercise (what one executor writes there, only executors read)
    sys.pycache_prefix, sys.dont_write_bytecode = os.path.join(os.getcwd(), "bytecode"), False
    peer = ExecutorPeer(read_fd, write_fd, folder)
    peer.serve = Server(folder).serve
    peer.send({"ready": os.getpid(), "confined": confined})
    while True:
        message, values = peer.receive()
        if message.get("op") == "exit":
            break
        peer.answer(message, values)


def zygote(sock):
    """Fork an executor for each request: ``{"op": "fork", "folder": ...}`` with four pipe ends
    (requests, replies, output, dump); ``{"op": "reap", "pid": ...}`` gives its exit code."""
    sock.send(b'{"ready": true}')
    codes = {}                                   # pid -> exit code, of executors that ended
    while True:
        data, fds, _, _ = socket.recv_fds(sock, 4096, 4)
        if not data:
            return                               # the judge is gone
        codes.update(reap_ended())
        command = json.loads(data)
        if command["op"] == "fork":
            zygote_pid = os.getpid()
            pid = os.fork()
            if pid == 0:
                try:
                    die_with_parent(zygote_pid)
                    sock.close()
                    os.setsid()                  # its own process group: killed as one
                    os.dup2(fds[2], 1)
                    os.dup2(fds[2], 2)
                    os.close(fds[2])
                    execute(command["folder"], fds[0], fds[1], fds[3])
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"pid": pid}).encode())
        elif command["op"] == "reap":
            pid = int(command["pid"])
            sock.send(json.dumps({"code": codes.pop(pid, None) if pid in codes else reap(pid)}).encode())


def reap_ended():
    """{pid: exit code} of the executors that have ended (negative: killed by that signal)."""
    codes = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return codes
        if not pid:
            return codes
        codes[pid] = os.waitstatus_to_exitcode(status)


def reap(pid, patience=1.0):
    """The exit code of the executor ``pid``, which has ended or is being killed; None if unknown."""
    deadline = time.monotonic() + patience
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.001)


if __name__ == "__main__":
    die_with_parent(int(sys.argv[2]))            # the judge
    zygote(socket.socket(fileno=int(sys.argv[1])))
