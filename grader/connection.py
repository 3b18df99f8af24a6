"""The judge's end of the connection to an executor: requests, callbacks, and how they end.

A request from the judge is answered by the executor, which may first call back
the judge's own objects (a callback a check passed, such as a loss for the
student's numerical gradient): ``serve_callback`` says what it may do with them.
The student's exceptions come back as exceptions of the same builtin type, with
the student's frames; an executor that vanishes or garbles an answer becomes an
``Overrun`` (crashed) for the check.
"""
import builtins
import os
import time
import traceback

from .wire import Peer, PeerGone, WireError


class Overrun(Exception):
    """The executor was stopped: too much CPU, idle too long, or crashed."""

    def __init__(self, outcome, message):
        super().__init__(message)
        self.outcome = outcome     # timed_out or crashed


class JudgePeer(Peer):
    """The judge's end: reads with a watch on the executor's CPU, idleness and output."""

    def __init__(self, executor, read_fd, write_fd):
        super().__init__(read_fd, write_fd, owner=True)
        self.executor = executor
        self.serve = serve_callback

    def request(self, op, **values):
        self.executor.call_started = time.monotonic()
        self.executor.progress = (self.executor.call_started, None)
        try:
            return super().request(op, **values)
        except (PeerGone, WireError) as error:     # the student's own exceptions pass through
            raise crash_of(self.executor, error) from None

    def send(self, message, values=()):
        try:
            super().send(message, values)
        except BrokenPipeError:
            raise PeerGone("the executor closed the connection") from None

    def read_chunk(self):
        while True:
            try:
                return os.read(self.read_fd, 1 << 20)
            except BlockingIOError:
                self.executor.watch()
            except OSError as error:
                raise PeerGone(f"the connection to the executor failed: {error}") from None

    def remote_error(self, error):
        return student_exception(error, self.executor.workspace)

    def describe_error(self, error):
        return {"type": type(error).__name__, "message": str(error)[:4000], "frames": []}


def student_exception(error, workspace):
    """The exception the student's code raised, as an exception of the same builtin type when
    there is one (NotImplementedError, ValueError, ...), with the student's frames attached."""
    name, message = str(error.get("type", "Exception")), str(error.get("message", ""))
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)) or cls is StopIteration:
        cls = type(name if name.isidentifier() else "StudentError", (StudentError,), {})
    try:
        exception = cls(message)
    except Exception:  # noqa: BLE001 -- e.g. UnicodeDecodeError wants 5 arguments
        exception = StudentError(f"{name}: {message}")
    exception.student_frames = [[workspace.original(str(f[0])), f[1], f[2], f[3]]
                                for f in error.get("frames", []) if isinstance(f, list) and len(f) == 4]
    exception.student_type = name
    if exception.student_frames:        # shown by pytest run directly (the grader formats its own)
        exception.add_note("raised in your code:\n" + "".join(traceback.StackSummary.from_list(
            [tuple(f) for f in exception.student_frames]).format()).rstrip())
    return exception


class StudentError(Exception):
    """An exception of a type the student's code defined; its name is kept."""


def serve_callback(op, values):
    """What the executor may do with the judge's objects (callbacks such as a loss passed to the
    student's numerical gradient, or a check's own test head): call them and their public
    methods, and read their public attributes. Nothing else."""
    target, name = values.get("target"), values.get("name")
    if op == "call" and callable(target):
        return target(*values["args"], **values["kwargs"])
    public = isinstance(name, str) and not name.startswith("_")
    if op == "callmethod" and public:
        return getattr(target, name)(*values["args"], **values["kwargs"])
    if op == "getattr" and public:
        return getattr(target, name)
    raise TypeError(f"the code under test may not {op} {name or ''} of a {type(target).__name__} "
                    f"of the checks")


def crash_of(executor, error):
    """An Overrun for an executor that vanished under a request (``error``: PeerGone, WireError)."""
    executor.ended = "crashed"
    if isinstance(error, PeerGone) or not executor.alive():
        return Overrun("crashed", executor.crashed())
    executor.close()
    return Overrun("crashed", f"crashed: the executor sent a malformed answer ({error})")
