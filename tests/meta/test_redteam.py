"""Red team: hostile and broken submissions earn nothing, cost nothing else, and stay bounded.

Each case plants hostile code in Linear.forward (or backward) of a copy of the
solutions and grades it on three exercises, each check's code stopped at 2 s of
CPU: the ``linear`` checks must all get the honest outcome and 0 points, the
other two exercises must keep full credit, the run must be bounded in time and
output, and no process may outlive it (``harness.grade`` checks the last three).
Set SOPHIA_REDTEAM_STATS=FILE to write each run's wall time and report size.
"""
import json
import os
from pathlib import Path

import pytest

from grader import runner, sandbox, scoring
from grader.implementation import NAMED
from tests.meta.redteam import harness
from tests.meta.redteam.attacks import CHEATS, FAULTS
from tests.meta.redteam.harness import (
    GRADED,
    MARKER,
    TARGET,
    assert_honest,
    grade,
    hostile,
    reference_run,
    score,
)


@pytest.fixture(scope="module", autouse=True)
def stats():
    yield
    if os.environ.get("SOPHIA_REDTEAM_STATS"):
        Path(os.environ["SOPHIA_REDTEAM_STATS"]).write_text(json.dumps(harness.STATS, indent=1))


@pytest.mark.parametrize("attack", FAULTS + CHEATS, ids=lambda a: a.name)
def test_attack_earns_nothing_and_costs_nothing_else(tmp_path, attack):
    run = grade(hostile(tmp_path, attack.body, old=attack.old, keep=attack.keep), attack.name)
    checks = assert_honest(run, attack.outcomes)
    earned, _, status = score(run, TARGET)
    if "passed" in attack.outcomes:        # an honest bug: partial credit, never full
        assert earned < score(reference_run(), TARGET)[0]
    else:
        assert earned == 0, status
    if attack.message:
        assert any(attack.message in c.message for c in checks), [c.message[:300] for c in checks]


def test_memory_limit_is_reported_as_such(tmp_path):
    run = grade(hostile(tmp_path, "import numpy\nhog = [numpy.empty(2 ** 24) for _ in range(100)]"),
                "memory_status")
    assert score(run, TARGET)[2] == "memory limit"


def test_slow_but_correct_code_is_too_slow_not_wrong(tmp_path):
    body = "import time\nstarted = time.process_time()\nwhile time.process_time() - started < 0.01:\n    pass"
    run = grade(hostile(tmp_path, body), "slow_but_correct", cap=50)
    checks = assert_honest(run, ("passed", "too_slow"))
    slow = [c for c in checks if c.outcome == "too_slow"]
    assert slow and all(c.message.startswith("values right, too slow: ") and "× this check's budget"
                        in c.message for c in slow), [c.message for c in slow]
    assert score(run, TARGET)[2] == "too slow"


def test_the_total_budget_ends_the_run(tmp_path):
    budget = 5.0
    run = grade(hostile(tmp_path, "import time\nstarted = time.process_time()\n"
                                  "while time.process_time() - started < 0.5:\n    pass"),
                "total_budget", exercises=[TARGET], cap=50, total_timeout=budget)
    assert run.seconds < budget + harness.SLACK
    assert {c.outcome for c in run.checks} <= {"passed", "too_slow", "timed_out"}
    assert any("budget" in c.message for c in run.checks)


def test_files_in_the_submission_folder_are_ignored(tmp_path):
    folder = hostile(tmp_path, "raise NotImplementedError('Linear.forward')")
    canary = tmp_path / "executed"
    trap = f"open({str(canary)!r}, 'w').write(__name__)\n"
    (folder / "conftest.py").write_text(trap + "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\n"
                                        "def pytest_runtest_makereport(item, call):\n"
                                        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n")
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p sophia_cheat --co\n")
    (folder / "sophia_cheat.py").write_text(trap)
    (folder / "sitecustomize.py").write_text(trap)
    (folder / "usercustomize.py").write_text(trap)
    (folder / "test_cheat.py").write_text(trap + "def test_linear_free_points():\n    pass\n")
    run = grade(folder, "conftest_in_submission")
    assert_honest(run, ("not_started",))
    assert not canary.exists(), f"{canary.read_text()} was executed"


def test_the_issue_8_testreport_patch_scores_nothing(tmp_path):
    """Eight lines in the stubs' __init__.py that once made every report 'passed' (68 / 68)."""
    import shutil
    folder = tmp_path / "stubs"
    shutil.copytree(NAMED["exercises"], folder, ignore=shutil.ignore_patterns("__pycache__"))
    with open(folder / "__init__.py", "a") as init:
        init.write("import _pytest.reports\n_real = _pytest.reports.TestReport.__init__\n"
                   "def _passed(self, *a, **k):\n    _real(self, *a, **k)\n    self.outcome = 'passed'\n"
                   "_pytest.reports.TestReport.__init__ = _passed\n")
    run = runner.run(folder, cap=harness.CAP)
    assert run.checks and {c.outcome for c in run.checks} == {"not_started"}


def test_code_that_computes_nothing_earns_nothing(tmp_path):
    """Every stub body replaced by ``return None``: no check may pass without verifying output."""
    import re
    import shutil
    folder = tmp_path / "nothing"
    shutil.copytree(NAMED["exercises"], folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in folder.glob("*.py"):
        path.write_text(re.sub(r"(?m)^(\s*)raise NotImplementedError\(.*\)\s*$", r"\1return None",
                               path.read_text()))
    run = runner.run(folder, cap=harness.CAP)
    passed = [c.name for c in run.checks if c.outcome == "passed"]
    assert run.checks and not passed, passed


def test_a_hostile_module_costs_only_its_own_exercises(tmp_path):
    """activations.py patches numpy and builtins when imported: only what imports it suffers."""
    from tests.meta.planting import plant
    folder = plant(tmp_path, "activations", "import numpy as np\n",
                   "import builtins\nimport numpy as np\nnp.exp = lambda a, *r, **k: a\n"
                   "builtins.abs = lambda v: 0\n")
    run = runner.run(folder, exercises=["init_basic", "cross_entropy", "linear", "sigmoid"],
                     cap=harness.CAP)
    by = harness.by_exercise(run)
    assert any(c.outcome != "passed" for c in by["sigmoid"])
    for exercise in ("init_basic", "cross_entropy", "linear"):
        assert {c.outcome for c in by[exercise]} == {"passed"}, exercise


def test_what_the_code_prints_is_shown_under_its_check(tmp_path):
    from grader import report, scoring
    run = grade(hostile(tmp_path, "print('forward sees', x.shape)"), "prints", exercises=[TARGET])
    assert all("forward sees (" in c.output for c in run.checks if "forward_known" in c.name)
    data = report.results_json(run, scoring.summarize(run, [TARGET]))
    assert "forward sees (2, 2)" in data["tests"][0]["output"], data["tests"][0]["output"]


def test_executors_are_confined_by_the_kernel(tmp_path):
    """This machine's kernel has Landlock and seccomp (CI runs here): check they hold."""
    from grader import remote
    workspace = remote.Workspace(NAMED["solutions"])
    pool = remote.Executors(workspace)
    try:
        check = pool.begin("linear")
        confined = check.executor.confined
        assert confined["seccomp"] is True and confined["landlock"] >= 1, confined
    finally:
        pool.close()
        workspace.close()


def test_solutions_are_readable_when_grading_the_solutions():
    assert {c.outcome for c in reference_run().checks} == {"passed"}


def test_the_results_file_is_written_last_by_the_parent(tmp_path, capsys):
    from grader import cli
    results = tmp_path / "results.json"
    fake = json.dumps({"score": 1000, "tests": []})
    folder = hostile(tmp_path, f"open({str(results)!r}, 'w').write({fake!r})\nimport os\nos._exit(0)")
    cli.cmd_grade(["--submission", str(folder), "--json", str(results)])
    capsys.readouterr()
    written = json.loads(results.read_text())
    assert written["score"] < 1000
    linear = [t for t in written["tests"] if t["name"].startswith(f"{TARGET}:")]
    assert linear and all(t["score"] == 0 for t in linear), linear
    assert {t["name"].split(":")[0] for t in written["tests"]} == set(scoring.catalog.by_id())


def test_a_tampered_kit_copy_is_refused(tmp_path, monkeypatch):
    real = runner._run_child

    def tamper_then_run(judge, *args, **kwargs):
        events = real(judge, *args, **kwargs)
        checks = Path(judge.kit) / "tests" / "checks.py"
        checks.chmod(0o644)
        checks.write_text(checks.read_text() + "\nassert_close = lambda *a, **k: None\n")
        return events
    monkeypatch.setattr(runner, "_run_child", tamper_then_run)
    with pytest.raises(sandbox.KitTampered, match="REFUSED.*tests/checks.py"):
        runner.run(hostile(tmp_path, "import os\nos._exit(0)"), exercises=[TARGET], cap=harness.CAP)


def test_an_added_conftest_in_the_kit_copy_is_refused(tmp_path):
    hashes = sandbox.copy_kit(tmp_path / "kit")
    sandbox.verify_kit(tmp_path / "kit", hashes)
    (tmp_path / "kit" / "tests" / "suites" / "conftest.py").write_text("")
    with pytest.raises(sandbox.KitTampered, match="conftest.py"):
        sandbox.verify_kit(tmp_path / "kit", hashes)


def test_the_sweep_kills_setsid_daemons_and_process_chains(tmp_path):
    """For what escapes anyway (a platform without Landlock and seccomp, or C code)."""
    import subprocess
    import sys
    import time
    script = f"""
import os, time
if os.fork() == 0:              # a double-forked daemon in its own session
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
if os.fork() == 0:              # a chain: each generation forks the next and exits
    while True:
        if os.fork():
            os._exit(0)
        time.sleep(0.01)
time.sleep(60)  # {MARKER}
"""
    token = "redteam-sweep"
    sandbox.adopt_orphans()
    before = harness.strays()
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                               env=dict(os.environ, SOPHIA_RUN=token))
    try:
        deadline = time.monotonic() + 10
        while len(sandbox.strays(process.pid, token)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)        # the script and its daemon run (the chain hops too fast)
        started = sandbox.strays(process.pid, token)
    finally:
        sandbox.kill_everything(process, token=token)
    assert len(started) >= 2, "the script started nothing"
    time.sleep(0.1)
    assert not sandbox.strays(process.pid, token)
    assert not harness.strays() - before
    zombies = [pid for pid in sandbox._our_children() if sandbox._session_of(pid, True) == process.pid]
    assert not zombies, "the chain's zombies were not reaped"


def test_solved_submission_is_never_near_the_budgets():
    full = runner.run(NAMED["solutions"])
    assert {c.outcome for c in full.checks} == {"passed"}
    assert full.seconds < runner.TOTAL_TIMEOUT / 10
    budgets = {e.id: e.budget for e in scoring.catalog.exercises()}
    assert max(c.cpu / budgets[c.exercise] for c in full.checks) < 0.5
    assert set(GRADED) <= {c.exercise for c in full.checks}


def test_numerical_gradient_in_disguise_earns_nothing(tmp_path):
    from tests.meta.redteam.attacks import NUMERICAL_BACKWARD
    from tests.meta.redteam.harness import BACKWARD
    run = grade(hostile(tmp_path, NUMERICAL_BACKWARD, old=BACKWARD, keep=False), "numerical_backward")
    analytic = [c for c in run.checks if "backward_is_analytic" in c.name]
    assert analytic and all(c.outcome == "failed" for c in analytic)
    assert score(run, TARGET)[0] < score(reference_run(), TARGET)[0]


def test_harmless_student_code_is_not_refused(tmp_path):
    """What an honest student may do in a function: log, print, warn, namedtuple, own frames,
    a temporary file in the working folder."""
    body = """
        import collections, inspect, logging, sys, warnings
        logging.getLogger("student").warning("forward called")
        print("debug", file=sys.stderr)
        warnings.warn("just a warning")
        Pair = collections.namedtuple("Pair", "a b")
        here = inspect.currentframe()
        assert here.f_code.co_name == "forward" and Pair(1, 2).a == 1
        with open("notes.txt", "a") as notes:
            notes.write("forward\\n")
        """
    run = grade(hostile(tmp_path, body), "harmless")
    assert {c.outcome for c in run.checks} == {"passed"}, [
        (c.name, c.message[:300]) for c in run.checks if c.outcome != "passed"]


def test_files_planted_for_the_next_executor_are_not_imported(tmp_path):
    """An executor that crashes is replaced; what it wrote must not run in the next one."""
    canary = tmp_path / "executed"
    trap = f"open({str(canary)!r}, 'a').write(__name__ + chr(10))"
    body = f"""
        import os
        for name in ("pytest.py", "numpy.py", "sitecustomize.py", "usercustomize.py",
                     "conftest.py", "grader.py", "tests.py", "layers.py"):
            try:
                with open(name, "w") as f:
                    f.write({trap!r})
            except OSError:
                pass
        os._exit(0)
        """
    run = grade(hostile(tmp_path, body), "plant_for_next_executor")
    assert_honest(run, ("crashed",))
    assert not canary.exists(), canary.read_text()


def test_compiled_extensions_in_the_submission_are_not_imported(tmp_path):
    """The package loads from source only: a compiled module in its folder is never copied."""
    import _json
    import importlib.machinery
    import shutil
    real = Path(_json.__file__)                       # a genuine extension module
    folder = hostile(tmp_path, "from . import _json")
    shutil.copy(real, folder / ("_json" + importlib.machinery.EXTENSION_SUFFIXES[0]))
    run = grade(folder, "compiled_extension")
    checks = assert_honest(run, ("error",))
    assert all("ImportError" in c.message and "_json" in c.message for c in checks)


def test_traps_for_the_grader_neither_hang_nor_crash_it(tmp_path):
    """FIFOs beside the workspace and a module that is /dev/zero."""
    from tests.meta.planting import plant
    folder = plant(tmp_path, "layers", "        self.cache = x\n",
                   "        import os\n        os._exit(3)\n")
    with open(folder / "__init__.py", "a") as init:
        init.write("import os\nfor n in range(1, 9):\n    try:\n"
                   "        os.mkfifo(f'../only-{n}.txt')\n    except OSError:\n        pass\n")
    (folder / "zero.py").symlink_to("/dev/zero")
    run = runner.run(folder, total_timeout=60)
    linear = {c.outcome for c in run.checks if c.exercise == "linear"}
    assert linear == {"crashed"}, linear
    assert run.seconds < 30
    assert all(c.outcome == "passed" for c in run.checks if c.exercise == "init_basic")


def test_callbacks_of_the_checks_are_only_called(tmp_path):
    """The student's numerical_gradient gets the check's own function f: it may call it, and
    nothing more (no globals, no private attributes, no writes)."""
    from tests.meta.planting import plant
    attempts = """
    for attempt in (lambda: f.__globals__, lambda: f._private, lambda: f.__code__,
                    lambda: setattr(f, "x", 1), lambda: f.__self__,
                    lambda: f._peer.request("getattr", target=f, name="__globals__")):
        try:
            attempt()
        except Exception:
            continue
        raise RuntimeError("reached the checks' objects")
    """
    folder = plant(tmp_path, "numgrad", "    # BEGIN SOLUTION\n    grad = np.zeros_like(x)",
                   "    # BEGIN SOLUTION\n" + attempts.rstrip(" ") + "    grad = np.zeros_like(x)")
    run = runner.run(folder, exercises=["numgrad"], cap=harness.CAP)
    assert run.checks and {c.outcome for c in run.checks} == {"passed"}, [
        (c.name, c.message[:200]) for c in run.checks if c.outcome != "passed"]
