"""Lanes: a run's judges on CPUs of their own, each claiming check files as it reaches them.

Every check runs once, in one lane, and gets the outcome a single judge gives it;
a lane whose judge dies starts another for what it claimed, and loses nothing.
"""
import collections
import os
import signal
import subprocess
import threading

import pytest

from grader import runner
from tests.meta.planting import plant

TWO_CPUS = len(os.sched_getaffinity(0)) >= 2
pytestmark = pytest.mark.skipif(not TWO_CPUS, reason="lanes need two CPUs")
GRADED = ["init_basic", "cross_entropy", "linear", "relu", "sgd", "dropout"]   # six check files


def outcomes(run):
    return {c.nodeid: c.outcome for c in run.checks}


def test_two_lanes_grade_as_one_judge_does(tmp_path, monkeypatch):
    folder = plant(tmp_path, "layers", 'self.grads["b"] = dout.sum(axis=0)',
                   'self.grads["b"] = dout.mean(axis=0)')
    claims = collections.defaultdict(list)         # lane -> files it was granted
    real_claim = runner.Board.claim

    def claim(board, file, lane):
        granted = real_claim(board, file, lane)
        if granted:
            claims[lane].append(file)
        return granted
    monkeypatch.setattr(runner.Board, "claim", claim)
    single = runner.run(folder, exercises=GRADED, lanes=1)
    assert not claims, "a single judge claims nothing: it runs every file"
    lanes = runner.run(folder, exercises=GRADED, lanes=2)
    assert (single.children, lanes.children) == (1, 2)
    assert outcomes(lanes) == outcomes(single)
    assert set(outcomes(single).values()) == {"passed", "failed"}
    assert set(claims) == {0, 1}, "both lanes ran files"
    files = [f for granted in claims.values() for f in granted]
    assert sorted(files) == sorted(set(files)) == sorted({n.split("::")[0] for n in outcomes(single)})


def test_each_lane_has_a_cpu_of_its_own(monkeypatch):
    cpus = []
    real = runner._run_child

    def recording(judge, only, files, output, cpu, claim, record):
        cpus.append(cpu)
        return real(judge, only, files, output, cpu, claim, record)
    monkeypatch.setattr(runner, "_run_child", recording)
    runner.run("solutions", exercises=["init_basic", "linear"])
    assert sorted(cpus) == sorted(os.sched_getaffinity(0))[:2]
    cpus.clear()
    runner.run("solutions", exercises=["linear"])
    assert cpus == [None], "one check file: one judge, left where it is"


def test_a_lane_whose_judge_dies_starts_another_and_loses_nothing(monkeypatch):
    judges = {}                                   # lane thread -> its judge's process
    real_popen = subprocess.Popen

    class Recorded(real_popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            judges[threading.get_ident()] = self
    monkeypatch.setattr(runner.subprocess, "Popen", Recorded)
    held, killed = collections.Counter(), []
    real_claim = runner.Board.claim

    def claim(board, file, lane):
        # a judge claims the next file as the last check of its file comes up: once it holds
        # a file (each has several checks), some outcomes are in and some checks are to run
        if lane == 0 and held[lane] == 1 and not killed:
            killed.append(file)
            judge = judges[threading.get_ident()]
            os.killpg(judge.pid, signal.SIGKILL)
            judge.wait()                          # gone before its claim is answered
        granted = real_claim(board, file, lane)
        held[lane] += granted
        return granted
    monkeypatch.setattr(runner.Board, "claim", claim)
    run = runner.run("solutions", exercises=GRADED)
    assert killed and run.children == 3
    assert set(outcomes(run).values()) == {"passed"}, [c.message for c in run.checks if c.outcome != "passed"]
    assert outcomes(run).keys() == outcomes(runner.run("solutions", exercises=GRADED, lanes=1)).keys()
