"""In-process guards of the grading child, installed by the plugin before student code loads.

- ``Guard`` is an audit hook (``sys.addaudithook``: it cannot be removed from
  Python code). It refuses to import the reference package or read its files,
  to write the grader's files, to start processes or (once the checks run)
  threads, to signal other processes, to load C functions through ctypes, to
  use the network, and to walk the garbage collector's object lists.
- ``Integrity`` remembers the trusted modules (builtins, numpy, math, the
  grader and the tests) and reports, after each check, what student code
  replaced in them; the caller restores them and charges the check.

- ``suspicious`` (run by the parent, not the child) lists the lines of a
  submission that name what only an attack needs, for an instructor to read.

Both guards raise the bar for a hostile submission; neither is a security boundary
against code that deliberately corrupts the interpreter (see the threat model in the README).
"""
import _thread
import os
import sys
import threading
from pathlib import Path

_realpath, _fspath, _getpid, _getpgrp = os.path.realpath, os.fspath, os.getpid, os.getpgrp
_getframe, FrameType = sys._getframe, type(sys._getframe())
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
BLOCKED_PACKAGES = ("solutions", "exercises")
PROCESS_EVENTS = frozenset({"os.fork", "os.forkpty", "os.posix_spawn", "os.exec", "os.spawn",
                            "os.system", "subprocess.Popen", "os.startfile", "pty.spawn"})
NETWORK_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto",
                            "socket.getaddrinfo", "socket.gethostbyname"})
STRICT_EVENTS = frozenset({"ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle",
                           "gc.get_objects", "gc.get_referrers", "gc.get_referents"})
FRAME_READS = frozenset({"f_back", "f_globals", "f_locals", "f_builtins", "f_code"})
PATH_EVENTS = {"os.remove": 1, "os.rename": 2, "os.rmdir": 1, "os.link": 2, "os.symlink": 2,
               "os.chmod": 1, "os.chown": 1, "os.truncate": 1, "os.mkdir": 1, "os.utime": 1,
               "shutil.rmtree": 1, "shutil.copyfile": 2, "shutil.move": 2}


def _path(value):
    """The absolute, symlink-free path of ``value``, or None for a file descriptor."""
    if isinstance(value, int) or value is None:
        return None
    try:
        value = _fspath(value)
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        return _realpath(value)
    except (TypeError, ValueError, OSError):
        return None


def _inside(path, folders):
    return path is not None and any(path == f or path.startswith(f + os.sep) for f in folders)


class Refused(PermissionError):
    """An operation the code under test may not perform while it is graded."""


class Guard:
    """The audit hook. ``forbidden``: folders no code may read (the reference solutions);
    ``protected``: folders no code may modify (the grader, the tests, the repository);
    ``student``: the folder of the code under test, whose frames may not walk the stack."""

    def __init__(self, forbidden=(), protected=(), student=None):
        self.forbidden = tuple(p for p in map(_path, forbidden) if p)
        self.protected = tuple(p for p in map(_path, protected) if p) + self.forbidden
        self.student = _path(student) if student else None
        self.strict = False
        self.busy = False

    def install(self):
        sys.addaudithook(self.hook)

    def start_checks(self):
        """From now on student code may run: no threads, no ctypes, no object-graph walks."""
        self.strict = True
        threading._start_new_thread = _refuse_thread
        _thread.start_new_thread = _thread.start_new = _refuse_thread
        try:
            import _posixsubprocess
            _posixsubprocess.fork_exec = _refuse_process
        except ImportError:
            pass

    def hook(self, event, args):
        if event == "object.__getattr__":          # the most frequent event by far
            if self.strict and type(args[0]) is FrameType:
                self.check_frame(event, args)
        elif event == "open":
            self.check_open(*args[:3])
        elif event == "import":
            if args[0].partition(".")[0] in BLOCKED_PACKAGES:
                raise ImportError(f"'{args[0]}' cannot be imported while grading: the package "
                                  f"under test is loaded from its own folder")
        elif event in PROCESS_EVENTS:
            _refuse_process()
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            target = args[0]
            if not (event == "signal.pthread_kill" or target in (0, _getpid())
                    or (event == "os.killpg" and target == _getpgrp())):
                raise Refused("the code under test may not signal other processes")
        elif event in NETWORK_EVENTS:
            raise Refused("the code under test may not use the network")
        elif event in PATH_EVENTS:
            for value in args[:PATH_EVENTS[event]]:
                if _inside(_path(value), self.protected):
                    raise Refused(f"the code under test may not modify {value}")
        elif self.strict and event in STRICT_EVENTS:
            raise Refused(f"the code under test may not use {event}")
        elif self.strict and event == "sys._getframe":
            self.check_frame(event, args)

    def check_open(self, path, mode=None, flags=0):
        path = _path(path)
        if path is None:
            return
        if _inside(path, self.forbidden):
            raise Refused("the reference solutions cannot be read while a submission is graded")
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writing and _inside(path, self.protected):
            raise Refused(f"the code under test may not write {path}: it belongs to the grader "
                          f"or to Python")

    def check_frame(self, event, args):
        """Refuse a frame above the code under test: the grader's frames hold the reporter.

        A submission may look at its own frames and those it calls (logging and
        namedtuple do), not climb into the checks' frames.
        """
        if self.busy or not self.student:
            return
        self.busy = True       # frame access below raises audit events of its own
        try:
            if event == "sys._getframe":
                target = args[0]
            elif args[1] in FRAME_READS:
                target = args[0].f_back if args[1] == "f_back" else args[0]
            else:
                return
            frame, outermost, prefix = _getframe(1), None, self.student + os.sep
            while frame is not None:
                if frame.f_code.co_filename.startswith(prefix):
                    outermost = frame
                frame = frame.f_back
            frame = outermost.f_back if outermost is not None else None
            while frame is not None:
                if frame is target:
                    raise Refused("the code under test may not inspect the frames of the "
                                  "grader that calls it")
                frame = frame.f_back
        finally:
            self.busy = False


def _refuse_thread(*args, **kwargs):
    raise Refused("the code under test may not start threads")


def _refuse_process(*args, **kwargs):
    raise Refused("the code under test may not start processes")


MISSING = object()


class Integrity:
    """The trusted modules' contents, to find and undo what student code replaced."""

    PREFIXES = ("tests", "grader")
    MODULES = ("builtins", "math", "numpy", "numpy.linalg", "numpy.random", "numpy._core._methods",
               "numpy.core._methods", "numpy._core.fromnumeric", "numpy._core.numeric",
               "numpy.lib._function_base_impl", "numpy.testing", "pytest", "_pytest.outcomes")

    def __init__(self):
        self.saved = []       # (module name, its dict, a copy)
        self.codes = []       # (qualified name, function, its code)
        for name, module in list(sys.modules.items()):
            if module is None:
                continue
            if name in self.MODULES or name.partition(".")[0] in self.PREFIXES:
                namespace = vars(module)
                self.saved.append((name, namespace, dict(namespace)))
                if name.partition(".")[0] in self.PREFIXES:
                    self._remember_code(name, namespace)

    def _remember_code(self, name, namespace):
        for key, value in list(namespace.items()):
            if getattr(value, "__module__", None) != name:
                continue                    # imported: its own module's entry covers it
            functions = list(vars(value).values()) if isinstance(value, type) else [value]
            for function in functions:
                code = getattr(function, "__code__", None)
                if code is not None:
                    self.codes.append((f"{name}.{key}", function, code))

    def restore(self, codes=True):
        """Put back every replaced entry; returns the names that had been replaced.

        ``codes``: also compare the functions' code (each read is an audit event).
        """
        changed = []
        for name, namespace, copy in self.saved:
            for key, value in copy.items():
                if namespace.get(key, MISSING) is not value:
                    changed.append(f"{name}.{key}")
                    namespace[key] = value
        for name, function, code in self.codes if codes else ():
            if function.__code__ is not code:
                changed.append(f"{name} (its code)")
                function.__code__ = code
        return changed


SUSPICIOUS = ("_getframe", "f_back", "f_locals", "tb_frame", "walk_stack", "inspect.stack",
              "currentframe", "gc.get_", "pluginmanager", "sophia", "meta_path", "addaudithook",
              "__code__", "ctypes", "_posixsubprocess", "os.fork", "setsid", "/proc/",
              "solutions", "sys.modules", "builtins", "os._exit", "pytest.exit", "pytest.skip",
              "pytest.xfail", "signal.signal", "KeyboardInterrupt", "sys.exit")


def suspicious(folder, limit=20):
    """Lines of the submission that name what only an attack needs, for a human to review.

    A tripwire, not a verdict: the grader scores what the checks observe; these
    lines are listed so that an instructor reads them (see the threat model in the README).
    """
    found = []
    for path in sorted(Path(folder).rglob("*.py")):
        if path.is_symlink() or not path.is_file():   # /dev/zero or a FIFO named x.py
            continue
        try:
            with open(path, errors="replace") as f:
                lines = f.read(1 << 20).splitlines()      # the parent has no memory limit
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            words = [w for w in SUSPICIOUS if w in line]
            if words:
                found.append(f"{path.relative_to(folder)}:{number}: {', '.join(words)}: "
                             f"{line.strip()[:120]}")
                if len(found) >= limit:
                    return found
    return found
