"""The stand-in for the package under test, and what the checks use to reach it.

    executors = Executors(Workspace(folder))
    check = executors.begin("linear")                 # one executor per exercise
    layer = check.package.layers.Linear(4, 3, rng)    # a Proxy: the layer stays in the executor
    out = layer.forward(x)                            # x crosses as npy, out comes back as data
    fill(layer, ("params", "W"), W)                   # arrays read back are read-only copies
    executors.end(check)                              # CPU seconds, output, overrun

The judge never imports the student's package: ``check.package.layers`` is a proxy
for the module in an executor (grader.executors). Each check has a budget of CPU
seconds (the machine's load does not change it); past ``CAP`` times the budget,
when the executor sits idle in a call, or past a generous wall clock, the
executor is killed, the check is charged, and the next one gets a fresh executor.
"""
import contextlib
from dataclasses import dataclass

from . import executor
from .connection import Overrun  # noqa: F401 -- for the plugin
from .executors import MEMORY_LIMIT, OUTPUT_CAP, Executor, Meter, Zygote, share_a_cpu  # noqa: F401
from .sandbox import BUDGET, CAP, WALL  # noqa: F401 -- the checks' and the plugin's names for them
from .wire import Method, PeerGone, Proxy, type_name  # noqa: F401
from .workspace import Workspace  # noqa: F401

LOST_LIMIT = 2          # overruns or crashes after which an exercise's other checks do not run


class NotRun(Overrun):
    """The check was not run: its exercise already lost LOST_LIMIT executors."""


class TooSlow(Overrun):
    """A check's own verdict on code it timed (``cpu_used``): the values are right, the time is
    not; the message says by how much."""

    def __init__(self, message):
        super().__init__("too_slow", f"values right, too slow: {message}")


DOUBLES = "grader.doubles"


class Package:
    """The stand-in for the package under test: ``package.layers`` is the module in the executor."""

    def __init__(self, executor):
        self._executor = executor

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._executor.module(name)

    @property
    def doubles(self):
        """The test doubles (grader.doubles), in the executor."""
        return self._executor.module(DOUBLES)

    def __repr__(self):
        return f"<package {self._executor.workspace.folder} in the executor>"


@dataclass
class Check:
    exercise: str
    package: Package
    executor: Executor
    meter: Meter


class Executors:
    """One executor per exercise, and a fresh one after an overrun.

    Executors are forked by one zygote, started with the first check (and again if
    it dies).
    """

    def __init__(self, workspace, memory=MEMORY_LIMIT, cap=CAP):
        self.workspace, self.memory, self.cap = workspace, memory, cap
        self.current, self.exercise, self.zygote = None, None, None
        self.cpu = None
        self.lost = {}            # exercise -> [outcome, ...]

    def begin(self, exercise, budget=BUDGET):
        """A check of ``exercise`` starts: its executor (the same for the whole exercise), metered.

        An exercise stops after LOST_LIMIT timed-out or crashed checks, and after one
        once a check of another exercise has timed out (``hung``): code that hangs
        usually hangs every check that calls it, and the other exercises' time counts.
        """
        timed_out = [e for e, outcomes in self.lost.items() if "timed_out" in outcomes]
        hung = bool(timed_out)
        lost = self.lost.get(exercise, [])
        limit = LOST_LIMIT if not timed_out or exercise == timed_out[0] else 1
        if len(lost) >= limit:
            verb = "timed out" if lost[-1] == "timed_out" else "crashed"
            raise NotRun(lost[-1], f"not run: {len(lost)} check{'s' * (len(lost) > 1)} of this "
                                   f"exercise already {verb}; fix that first")
        if self.current is None or self.current.dead or exercise != self.exercise:
            if self.current is not None:
                self.current.close()
            self.current, self.exercise = self.start(), exercise
        self.current.wait_ready()
        meter = Meter(budget, self.cap, hung, started_cpu=self.current.cpu())
        self.current.meter = meter
        return Check(exercise, Package(self.current), self.current, meter)

    def end(self, check):
        """The check's meter, completed; an executor it lost counts against its exercise."""
        executor = check.executor
        if not executor.dead:
            executor.drain()
            check.meter.cpu = executor.cpu() - check.meter.started_cpu
        check.meter.output = check.meter.output.replace(      # warnings name the student's files
            str(self.workspace.package).encode(), str(self.workspace.folder).encode())
        if executor.ended:
            self.lost.setdefault(check.exercise, []).append(executor.ended)
        return check.meter

    def warm(self):
        """Start the zygote now (again if it died), so that it is ready by the first check."""
        if self.zygote is not None and not self.zygote.alive():
            self.zygote.close()
            self.zygote = None
        if self.zygote is None:
            self.zygote = Zygote(self.workspace, self.memory)

    def start(self):
        self.warm()
        if self.cpu is None:
            self.cpu = share_a_cpu()
        try:
            return Executor(self.zygote, self.memory, self.cpu)
        except (PeerGone, OSError, ValueError, KeyError) as error:   # the grader's failure, not the code's
            raise Overrun("error", f"the grader could not start a process to run your code ({error}); "
                                   f"tell your instructor") from None

    def close(self):
        for process in (self.current, self.zygote):
            if process is not None:
                process.close()
        self.current = self.zygote = None


def shifted(fn, args, perturb, indices, steps, kwargs=None):
    """(fn(*args), [[fn(*args) with the entry moved by each of ``steps``] for each index]),
    wherever ``fn`` lives.

    ``perturb``: the position of the argument to move, or ``(obj, "params", "W")``
    for an array reached from an object. For the executor's functions this is one
    request, whatever the number of indices; the array is restored after each.
    """
    indices = [tuple(int(k) for k in index) for index in indices]
    steps = [float(step) for step in steps]
    if type(fn) in (Proxy, Method):
        spec = ["arg", perturb] if isinstance(perturb, int) else ["path", perturb[0], list(perturb[1:])]
        peer = fn._peer if type(fn) is Proxy else fn.proxy._peer
        return peer.request("shifted", target=fn, args=tuple(args), kwargs=kwargs or {}, perturb=spec,
                            indices=indices, steps=steps)
    array = args[perturb] if isinstance(perturb, int) else executor.resolve(perturb[0], perturb[1:])
    return executor.shifted(fn, args, kwargs or {}, array, indices, steps)


def fill(obj, path, value):
    """Write ``value`` into the array ``obj.path[0][path[1]]...`` in place, wherever ``obj`` lives
    (``fill(layer, ("params", "W"), W)``): arrays the judge reads are copies, and read-only."""
    if type(obj) is Proxy:
        obj._peer.request("fill", target=obj, path=list(path), value=value)
    else:
        executor.fill(obj, path, value)


@contextlib.contextmanager
def errstate(package, **settings):
    """``np.errstate(**settings)`` in the executor of ``package``: e.g. over="raise" makes an
    overflow in the student's code raise FloatingPointError in the check."""
    executor = package._executor
    old = executor.peer.request("seterr", settings=settings)
    try:
        yield
    finally:
        if not executor.dead:
            executor.peer.request("seterr", settings=old)


def global_rng_state(package):
    """numpy's global RNG state in the executor of ``package`` (the stand-in ``impl``)."""
    return package._executor.peer.request("global_rng")


def cpu_used(package):
    """(CPU seconds the executor of ``package`` has used in this check so far, the check's budget):
    what the grader charges, read from the kernel, to time the code under test in a check."""
    executor = package._executor
    return executor.cpu() - executor.meter.started_cpu, executor.meter.budget
