"""The hostile and broken submissions: code run at the start of Linear.forward (by default).

Each ``Attack`` names the outcomes the ``linear`` checks may honestly get; none
may pass, and the other graded exercises must keep full credit. ``message`` is
a phrase that some linear check's feedback must contain (the honest reason).

The CHEATS were written against the old design, where the checks ran in the same
interpreter as the student's code. Most no longer reach anything: with
``keep=False`` the honest body does not follow, so a cheat that changes nothing
returns None and earns nothing, which is what each asserts.
"""
from dataclasses import dataclass

from grader.implementation import NAMED, ROOT

from .harness import BACKWARD, FORWARD, MARKER

SOLUTIONS = repr(str(NAMED["solutions"]))
REPO = repr(str(ROOT))
DAEMON = ("import os, time\\nif os.fork(): os._exit(0)\\nos.setsid()\\n"
          "if os.fork(): os._exit(0)\\ntime.sleep(600)  # " + MARKER)


@dataclass
class Attack:
    name: str
    body: str
    outcomes: tuple
    message: str = ""
    old: str = FORWARD
    keep: bool = True


FAULTS = [
    Attack("syntax_error", "return x @@ self.params['W']", ("error",), "SyntaxError", keep=False),
    Attack("exception_in_function", "raise ValueError('broken')", ("error",), "ValueError"),
    Attack("infinite_loop_ignoring_signals", """
        import signal
        for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(s, signal.SIG_IGN)
        signal.alarm(0)
        while True:
            pass
        """, ("timed_out",), "timed out: stopped after"),
    Attack("infinite_loop_in_c", "sum(range(10 ** 18))", ("timed_out",), "layers.py:"),
    Attack("sleep_forever", "import time\ntime.sleep(10 ** 6)", ("timed_out",), "without computing"),
    Attack("memory_exhaustion", """
        import numpy
        hog = []
        while True:
            hog.append(numpy.empty(2 ** 24))
        """, ("memory",), "memory limit"),
    Attack("fork_bomb", """
        import os
        while True:
            os.fork()
        """, ("error",), "Operation not permitted"),
    Attack("runaway_threads", """
        import threading
        for _ in range(64):
            threading.Thread(target=lambda: [None for _ in iter(int, 1)]).start()
        """, ("error",), "can't start new thread"),
    Attack("double_forked_daemon", f"""
        import ctypes, os, subprocess, sys
        attempts = [
            lambda: subprocess.Popen([sys.executable, "-c", "{DAEMON}"]),
            lambda: os.posix_spawn(sys.executable, [sys.executable, "-c", "{DAEMON}"], os.environ),
            lambda: os.system(sys.executable + " -c 'import time; time.sleep(600)' # {MARKER} &"),
            lambda: ctypes.CDLL(None).fork() > 0 or ctypes.CDLL(None).fork() == 0 or None,
            lambda: os.fork(),
        ]
        for attempt in attempts:
            try:
                attempt()
            except Exception:
                pass
        raise RuntimeError("no way to start a process was found")
        """, ("error",), "no way to start a process"),
    Attack("output_flood", """
        import sys
        while True:
            sys.stdout.write("x" * 65536)
            sys.stderr.write("y" * 65536)
        """, ("timed_out",), "timed out"),
    Attack("huge_file", """
        with open("huge.bin", "wb") as f:
            while True:
                f.write(bytes(2 ** 20))
        """, ("error",), "File too large"),
    Attack("huge_exception_message", "raise ValueError('z' * 10 ** 7)", ("error",), "[cut]"),
    Attack("read_stdin", "import sys\nsys.stdin.read()\ninput()", ("error",), "EOFError"),
    Attack("garbage_on_the_reply_pipe", """
        import os
        for fd in range(3, 64):
            try:
                os.write(fd, b"\\xff" * 64 + b'{"done": true}')
            except OSError:
                pass
        """, ("crashed", "error", "passed"), keep=False),
]

CHEATS = [
    Attack("sys_exit", "import sys\nsys.exit(0)", ("error",), "SystemExit"),
    Attack("os_exit", "import os\nos._exit(0)", ("crashed",), "exited"),
    Attack("pytest_exit", "import pytest\npytest.exit('all good', returncode=0)", ("error",), "Exit"),
    Attack("keyboard_interrupt", "raise KeyboardInterrupt", ("error",), "KeyboardInterrupt"),
    Attack("pytest_skip", "import pytest\npytest.skip('nothing to grade')", ("error",), "Skipped"),
    Attack("pytest_xfail", "import pytest\npytest.xfail('expected')", ("error",), "XFailed"),
    Attack("signal_the_grader", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
           ("error",), "Operation not permitted"),
    Attack("import_solutions", "from solutions.layers import Linear as Reference\n"
           "return Reference.forward(self, x)", ("error",), "No module named 'solutions'"),
    Attack("sys_path_solutions", f"""
        import sys
        sys.path.insert(0, {REPO})
        import solutions.layers
        return solutions.layers.Linear.forward(self, x)
        """, ("error",), "solutions"),
    Attack("spec_from_file_location_solutions", f"""
        import importlib, importlib.util, sys
        spec = importlib.util.spec_from_file_location(
            "reference", {SOLUTIONS} + "/__init__.py", submodule_search_locations=[{SOLUTIONS}])
        module = importlib.util.module_from_spec(spec)
        sys.modules["reference"] = module
        spec.loader.exec_module(module)
        return importlib.import_module("reference.layers").Linear.forward(self, x)
        """, ("error",), "Permission denied"),
    Attack("read_solution_source", f"""
        source = open({SOLUTIONS} + "/layers.py").read()
        raise RuntimeError("read " + str(len(source)))
        """, ("error",), "Permission denied"),
    Attack("write_test_file", f"""
        with open({REPO} + "/tests/checks.py", "a") as f:
            f.write("\\nassert_close = lambda *a, **k: None\\n")
        """, ("error",), "Permission denied"),
    Attack("plant_pth_in_site_packages", """
        import sysconfig
        with open(sysconfig.get_paths()["purelib"] + "/sophia-redteam-canary.pth", "w") as f:
            f.write("# harmless: a .pth here would run in every later Python\\n")
        """, ("error",), "Permission denied"),
    Attack("network", """
        import socket
        socket.create_connection(("127.0.0.1", 22), timeout=1)
        """, ("error",), "Operation not permitted"),
    Attack("patch_pytest_internals", """
        import _pytest.reports
        real = _pytest.reports.TestReport.__init__
        def passed(self, *a, **k):
            real(self, *a, **k)
            self.outcome = "passed"
        _pytest.reports.TestReport.__init__ = passed
        """, ("failed", "error"), keep=False),
    Attack("patch_checks_in_memory", """
        import sys
        for name, module in list(sys.modules.items()):
            if name.startswith(("tests", "grader")):
                for key in dir(module):
                    if key.startswith("assert"):
                        setattr(module, key, lambda *a, **k: None)
        return x[:, :1] * 0
        """, ("failed", "error")),
    Attack("patch_numpy", """
        import numpy
        numpy.allclose = lambda *a, **k: True
        numpy.array_equal = lambda *a, **k: True
        numpy.isfinite = lambda a, *r, **k: numpy.ones(numpy.shape(a), bool)
        numpy.abs = lambda a, *r, **k: numpy.zeros(numpy.shape(a))
        numpy.all = lambda *a, **k: True
        numpy.any = lambda *a, **k: False
        numpy.testing.assert_allclose = lambda *a, **k: None
        return numpy.zeros((x.shape[0], self.out_features), x.dtype)
        """, ("failed", "error")),
    Attack("patch_builtins", """
        import builtins
        builtins.abs = lambda v: 0.0
        builtins.max = lambda *a, **k: 0.0
        builtins.any = lambda *a, **k: False
        builtins.isinstance = lambda *a: True
        return x[:, :1] * 0
        """, ("failed", "error", "crashed")),
    Attack("replace_sys_modules", """
        import sys, types
        fake = types.ModuleType("numpy")
        fake.__getattr__ = lambda name: (lambda *a, **k: True)
        for name in [n for n in sys.modules if n == "numpy" or n.startswith(("pytest", "_pytest"))]:
            sys.modules[name] = fake
        """, ("failed", "error"), keep=False),
    Attack("scalar_that_broadcasts", "return x.dtype.type(0.0)", ("failed", "error")),
    Attack("ndarray_subclass_always_equal", """
        import numpy
        class Agreeable(numpy.ndarray):
            __eq__ = lambda self, other: numpy.ones(self.shape, bool).view(Agreeable)
            __ne__ = lambda self, other: numpy.zeros(self.shape, bool).view(Agreeable)
            __sub__ = __rsub__ = lambda self, other: numpy.zeros(self.shape).view(Agreeable)
            __gt__ = __lt__ = lambda self, other: numpy.zeros(self.shape, bool).view(Agreeable)
        return numpy.zeros((x.shape[0], self.out_features), x.dtype).view(Agreeable)
        """, ("failed", "error"), "got Agreeable"),
    Attack("object_always_equal", """
        class Yes:
            shape, ndim, size = (x.shape[0], self.out_features), 2, x.shape[0] * self.out_features
            dtype = x.dtype
            def __eq__(self, other): return True
            def __sub__(self, other): return 0.0
            __rsub__ = __sub__
            def __abs__(self): return 0.0
            def __lt__(self, other): return True
            __le__ = __gt__ = __ge__ = __lt__
            def __array__(self, *a, **k): raise RuntimeError("not an array")
        return Yes()
        """, ("failed", "error"), "expected a numpy array"),
    Attack("object_array", """
        import numpy
        return numpy.array([[object()] * self.out_features] * x.shape[0], dtype=object)
        """, ("failed", "error"), "got ndarray"),
    Attack("gc_to_the_reporter", """
        import gc
        for o in gc.get_objects():
            if type(o).__name__ in ("Reporter", "Run", "Check"):
                setattr(o, "outcome", "passed")
        """, ("failed", "error"), keep=False),
    Attack("frames_to_the_reporter", """
        import sys
        frame = sys._getframe(1)
        while frame is not None:
            item = frame.f_locals.get("item")
            if item is not None:
                item.config.pluginmanager.get_plugin("sophia-reporter").send(
                    type="result", nodeid=item.nodeid, outcome="passed", message="")
            frame = frame.f_back
        """, ("failed", "error"), keep=False),
    Attack("input_modified_in_place", "dout[...] = 0.0", ("passed", "failed"),
           "modified in place", old=BACKWARD),
]

# Linear.backward as central differences of forward, in float64 (then cast), so that it
# passes every value check; only a check that backward is analytic can refuse it.
NUMERICAL_BACKWARD = '''
import numpy
x, h, dtype = self.cache, 1e-5, self.cache.dtype
saved, self.params = self.params, {k: v.astype(numpy.float64) for k, v in self.params.items()}
up = numpy.asarray(dout, numpy.float64)

def loss(inputs):
    return float((self.forward(inputs) * up).sum())

def central(array, inputs):
    grad = numpy.zeros_like(array)
    for i in numpy.ndindex(array.shape):
        old = array[i]
        array[i] = old + h
        plus = loss(inputs)
        array[i] = old - h
        minus = loss(inputs)
        array[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad

inputs = x.astype(numpy.float64)
grads = {k: central(v, inputs).astype(dtype) for k, v in self.params.items()}
dx = central(inputs, inputs).astype(dtype)
self.params, self.cache = saved, x
self.grads = grads
return dx
'''
