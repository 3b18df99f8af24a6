"""CPU budgets: a correct but slower solution passes on a loaded machine; slow code is told so.

The issue's test of a fair judge: a Linear written with a Python loop over the rows
is correct, and must score 100 % with four busy processes competing for the cores.
"""
import subprocess
import sys
import time

from grader import catalog, runner
from tests.meta.planting import plant

LOOP = ('        self.cache = x\n        out = np.empty((x.shape[0], self.out_features), dtype=x.dtype)\n'
        '        for i in range(x.shape[0]):\n'
        '            out[i] = x[i] @ self.params["W"] + self.params["b"]\n        return out\n')
FORWARD = '        self.cache = x\n        return x @ self.params["W"] + self.params["b"]\n'


def test_a_row_by_row_linear_scores_full_marks_under_load(tmp_path):
    folder = plant(tmp_path, "layers", FORWARD, LOOP)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        time.sleep(0.5)
        run = runner.run(folder, exercises=["linear", "mlp", "milestone_mlp"])
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert run.checks and {c.outcome for c in run.checks} == {"passed"}, [
        (c.name, c.outcome, c.message[:200]) for c in run.checks if c.outcome != "passed"]
    budget = catalog.get("milestone_mlp").budget
    milestone = next(c for c in run.checks if c.exercise == "milestone_mlp")
    assert milestone.cpu < budget, "the loop Linear should be well inside the milestone's budget"


def test_cpu_time_not_wall_time_is_charged(tmp_path):
    """A check's CPU time stays near its idle value when the machine is loaded."""
    idle = runner.run("solutions", exercises=["milestone_mlp"]).checks[0]
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        loaded = runner.run("solutions", exercises=["milestone_mlp"]).checks[0]
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert loaded.outcome == idle.outcome == "passed"
    assert loaded.cpu < 2 * idle.cpu + 0.2, (idle.cpu, loaded.cpu, loaded.seconds)
