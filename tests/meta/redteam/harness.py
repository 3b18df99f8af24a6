"""Grade a hostile submission with small budgets; check the run was bounded and left nothing.

    folder = hostile(tmp_path, "raise ValueError('x')")      # in Linear.forward
    run = grade(folder)                                        # bounded, nothing left running
    assert_honest(run, {"error"})                              # linear earns 0, the rest 100 %
"""
import os
import textwrap
import time
from pathlib import Path

from grader import remote, runner, scoring
from grader.implementation import NAMED
from tests.meta.planting import plant

TARGET = "linear"                                   # the exercise the hostile code sits in
GRADED = ["init_basic", "cross_entropy", TARGET]    # the others must keep full credit
FORWARD = '        self.cache = x\n        return x @ self.params["W"] + self.params["b"]\n'
BACKWARD = ('        x = self.cache\n        self.grads["W"] = x.T @ dout\n'
            '        self.grads["b"] = dout.sum(axis=0)\n        return dout @ self.params["W"].T\n')
MARKER = "sophia-redteam-stray"                     # in the command line of anything spawned
CAP, TOTAL_TIMEOUT = 2.0, 40.0        # a check's code is stopped at 2 s of CPU (solved: < 0.05 s)
MEMORY_LIMIT = 1024 ** 3
SLACK = 5.0                                         # seconds of startup and sweeping allowed
MAX_WALL = 30.0                                     # seconds any red-team run may take (~5 s seen)
STATS = []                                          # (attack, wall seconds, report bytes)


def hostile(tmp_path, body, old=FORWARD, module="layers", keep=True):
    """solutions/ copied, with ``body`` run at the start of ``old`` (Linear.forward).

    ``keep``: the honest body still follows (it runs if the hostile code returns).
    """
    code = textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", " " * 8)
    return plant(tmp_path, module, old, code + (old if keep else ""))


def strays():
    """What a run may not leave behind: live processes that carry MARKER in their command
    line, and our children (orphans adopted by us) started by a grading child.

    Orphans of other tests' subprocesses also come to us (the runner makes this process
    a child subreaper); they carry no run token and are not counted.
    """
    me, found = os.getpid(), set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if stat[0] == "Z":
                continue
            if MARKER.encode() in (proc / "cmdline").read_bytes() or (
                    int(stat[1]) == me and b"SOPHIA_RUN=" in (proc / "environ").read_bytes()):
                found.add(int(proc.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def grade(folder, name="", exercises=GRADED, cap=CAP, total_timeout=TOTAL_TIMEOUT):
    """runner.run with small budgets; asserts the run was bounded and left nothing running."""
    before = strays()
    started = time.monotonic()
    run = runner.run(folder, exercises=exercises, cap=cap, total_timeout=total_timeout,
                     memory_limit=MEMORY_LIMIT)
    wall = time.monotonic() - started
    size = len(run.output) + sum(len(c.message) + len(c.name) for c in run.checks)
    STATS.append((name or Path(folder).name, round(wall, 2), size))
    assert wall < min(MAX_WALL, total_timeout + SLACK), f"the run took {wall:.1f} s"
    assert len(run.output) <= runner.OUTPUT_CAP + 100
    assert all(len(c.message) <= runner.MAX_MESSAGE for c in run.checks)
    assert all(len(c.output) <= remote.OUTPUT_CAP + 100 for c in run.checks)
    left = strays() - before
    assert not left, f"processes left running: {_describe(left)}"
    return run


def _describe(pids):
    described = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:4]
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()[:200]
        except OSError:
            stat, cmdline = "gone", b""
        described.append(f"{pid} {stat} {cmdline!r}")
    return "; ".join(described)


def by_exercise(run):
    results = {}
    for check in run.checks:
        results.setdefault(check.exercise, []).append(check)
    return results


def assert_honest(run, outcomes, target=TARGET, others=None):
    """``target`` earns 0, every check with an outcome in ``outcomes``; the others all pass."""
    checks = by_exercise(run)
    expected = {c.nodeid for c in reference_run().checks}
    assert {c.nodeid for c in run.checks} == expected, "the set of checks changed"
    got = {c.outcome for c in checks[target]}
    assert got <= set(outcomes), f"{target}: outcomes {got}, expected within {outcomes}: " + \
        "; ".join(f"{c.name}: {c.outcome} {c.message[:200]}" for c in checks[target])
    for exercise in others or [e for e in checks if e != target]:
        failing = [(c.name, c.outcome, c.message[:200]) for c in checks[exercise]
                   if c.outcome != "passed"]
        assert not failing, f"{exercise} lost credit: {failing}"
    return checks[target]


def score(run, exercise):
    results = {r.exercise.id: r for r in scoring.summarize(run)}
    return results[exercise].score, results[exercise].max_score, results[exercise].status


_reference = []


def reference_run():
    """The solutions graded on GRADED (once): every check passes."""
    if not _reference:
        run = runner.run(NAMED["solutions"], exercises=GRADED)
        assert {c.outcome for c in run.checks} == {"passed"}
        _reference.append(run)
    return _reference[0]
