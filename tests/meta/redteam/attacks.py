"""The hostile and broken submissions: code run at the start of Linear.forward (by default).

Each ``Attack`` names the outcomes the ``linear`` checks may honestly get; none
may pass, and the other graded exercises must keep full credit. ``message`` is
a phrase that some linear check's feedback must contain (the honest reason).
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
        for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        signal.alarm(0)
        while True:
            pass
        """, ("timed_out",), "timed out"),
    Attack("infinite_loop_in_c", "sum(range(10 ** 18))", ("timed_out",), "timed out"),
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
        """, ("error",), "may not start processes"),
    Attack("runaway_threads", """
        import threading
        for _ in range(64):
            threading.Thread(target=lambda: [None for _ in iter(int, 1)]).start()
        """, ("error",), "may not start threads"),
    Attack("double_forked_daemon", f"""
        import ctypes, os, subprocess, sys
        attempts = [
            lambda: subprocess.Popen([sys.executable, "-c", "{DAEMON}"]),
            lambda: os.posix_spawn(sys.executable, [sys.executable, "-c", "{DAEMON}"], os.environ),
            lambda: os.system(sys.executable + " -c 'import time; time.sleep(600)' # {MARKER} &"),
            lambda: __import__("_posixsubprocess").fork_exec(),
            lambda: ctypes.CDLL(None).fork(),
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
    Attack("huge_exception_message", "raise ValueError('z' * 10 ** 7)", ("error", "crashed"),
           "[cut]"),
    Attack("read_stdin", "import sys\nsys.stdin.read()\ninput()", ("error",), "EOFError"),
]

CHEATS = [
    Attack("sys_exit", "import sys\nsys.exit(0)", ("error",), "SystemExit"),
    Attack("os_exit", "import os\nos._exit(0)", ("crashed",), "exited"),
    Attack("pytest_exit", "import pytest\npytest.exit('all good', returncode=0)", ("crashed",)),
    Attack("keyboard_interrupt", "raise KeyboardInterrupt", ("crashed",)),
    Attack("pytest_skip", "import pytest\npytest.skip('nothing to grade')", ("error",), "skipped"),
    Attack("pytest_xfail", "import pytest\npytest.xfail('expected')", ("error",), "xfail"),
    Attack("signal_the_grader", "import os, signal\nos.kill(os.getppid(), signal.SIGCONT)",
           ("error",), "may not signal"),
    Attack("import_solutions", "from solutions.layers import Linear as Reference\n"
           "return Reference.forward(self, x)", ("error",), "cannot be imported"),
    Attack("importlib_solutions", "import importlib\n"
           "return importlib.import_module('solutions.layers').Linear.forward(self, x)",
           ("error",), "cannot be imported"),
    Attack("sys_path_solutions", f"""
        import sys
        sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "ReferenceBlocker"]
        sys.path.insert(0, {REPO})
        import solutions.layers
        return solutions.layers.Linear.forward(self, x)
        """, ("error",), "cannot be imported"),
    Attack("spec_from_file_location_solutions", f"""
        import importlib, importlib.util, sys
        spec = importlib.util.spec_from_file_location(
            "reference", {SOLUTIONS} + "/__init__.py", submodule_search_locations=[{SOLUTIONS}])
        module = importlib.util.module_from_spec(spec)
        sys.modules["reference"] = module
        spec.loader.exec_module(module)
        return importlib.import_module("reference.layers").Linear.forward(self, x)
        """, ("error",), "cannot be read"),
    Attack("read_solution_source", f"""
        source = open({SOLUTIONS} + "/layers.py").read()
        raise RuntimeError("read " + str(len(source)))
        """, ("error",), "cannot be read"),
    Attack("write_test_file", """
        import tests.checks
        with open(tests.checks.__file__, "a") as f:
            f.write("\\nassert_close = lambda *a, **k: None\\n")
        """, ("error",), "may not write"),
    Attack("replace_test_file", """
        import os, tests.checks
        path = tests.checks.__file__
        os.chmod(path, 0o644)
        os.rename(path, path + ".orig")
        """, ("error",), "may not modify"),
    Attack("plant_pth_in_site_packages", """
        import sysconfig
        with open(sysconfig.get_paths()["purelib"] + "/sophia-redteam-canary.pth", "w") as f:
            f.write("# harmless: a .pth here would run in every later Python\\n")
        """, ("error",), "may not write"),
    Attack("patch_check_in_memory", """
        import sys
        for name, module in list(sys.modules.items()):
            if name.startswith("tests"):
                for key in ("assert_close", "assert_array", "assert_gradient"):
                    if hasattr(module, key):
                        setattr(module, key, lambda *a, **k: None)
        return x[:, :1] * 0
        """, ("error", "failed"), "replaced"),
    Attack("patch_check_code", """
        import tests.checks, tests.gradcheck
        noop = (lambda *a, **k: 0.0).__code__
        for f in (tests.checks.assert_close, tests.checks.assert_array, tests.gradcheck.assert_gradient):
            f.__code__ = noop
        return x[:, :1] * 0
        """, ("error",), "replaced"),
    Attack("patch_numpy", """
        import numpy
        numpy.allclose = lambda *a, **k: True
        numpy.array_equal = lambda *a, **k: True
        numpy.isfinite = lambda a, *r, **k: numpy.ones(numpy.shape(a), bool)
        numpy.abs = lambda a, *r, **k: numpy.zeros(numpy.shape(a))
        numpy.all = lambda *a, **k: True
        numpy.any = lambda *a, **k: False
        numpy.sum = lambda *a, **k: 0.0
        numpy.testing.assert_allclose = lambda *a, **k: None
        return numpy.zeros((x.shape[0], self.out_features), x.dtype)
        """, ("error",), "replaced"),
    Attack("patch_builtins", """
        import builtins
        builtins.abs = lambda v: 0.0
        builtins.max = lambda *a, **k: 0.0
        builtins.any = lambda *a, **k: False
        return x[:, :1] * 0
        """, ("error",), "replaced"),
    Attack("scalar_that_broadcasts", "return x.dtype.type(0.0)", ("failed", "error")),
    Attack("ndarray_subclass_always_equal", """
        import numpy
        class Agreeable(numpy.ndarray):
            __eq__ = lambda self, other: numpy.ones(self.shape, bool).view(Agreeable)
            __ne__ = lambda self, other: numpy.zeros(self.shape, bool).view(Agreeable)
            __sub__ = __rsub__ = lambda self, other: numpy.zeros(self.shape).view(Agreeable)
            __gt__ = __lt__ = lambda self, other: numpy.zeros(self.shape, bool).view(Agreeable)
        return numpy.zeros((x.shape[0], self.out_features), x.dtype).view(Agreeable)
        """, ("failed", "error"), "expected a numpy array"),
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
        return Yes()
        """, ("failed", "error"), "expected a numpy array"),
    Attack("gc_to_the_reporter", """
        import gc
        reporter = [o for o in gc.get_objects() if type(o).__name__ == "Reporter"][0]
        reporter.send(type="result", nodeid="?", outcome="passed", message="")
        """, ("error",), "gc.get_objects"),
    Attack("frames_to_the_reporter", """
        import sys
        frame = sys._getframe(1)
        while frame is not None:
            item = frame.f_locals.get("item")
            if item is not None:
                item.config.pluginmanager.get_plugin("sophia-reporter").send(
                    type="result", nodeid=item.nodeid, outcome="passed", message="")
                import os
                os._exit(0)
            frame = frame.f_back
        """, ("error",), "may not inspect the frames"),
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

# Residual risk, bounded: Python 3.11 audits sys._getframe but not frame.f_back, so a
# submission can climb from its own frame to the checks' frames and call the reporter.
# It must then end the process, or the honest result contradicts the forged one.
FRAME_FORGERY = """
import os, traceback
for frame, _ in traceback.walk_stack(None):
    item = frame.f_locals.get("item")
    if item is not None:
        reporter = item.config.pluginmanager.get_plugin("sophia-reporter")
        reporter.send(type="result", nodeid=item.nodeid, outcome="passed", message="")
        nodeids = [i.nodeid for i in item.session.items]
        following = nodeids[nodeids.index(item.nodeid) + 1:]
        if FORGE_NEXT_START and following:
            reporter.send(type="start", nodeid=following[0])
        os._exit(0)
"""
