"""``validate``, the mutation self-test, and the Gradescope autograder zip."""
import json
import subprocess
import sys
import zipfile

import pytest

from grader import gradescope, mutate, validate
from grader.implementation import NAMED

SOURCE = '''import numpy as np


def f(x, w):
    """Outside the block: never mutated."""
    y = x + 1
    # BEGIN SOLUTION
    z = np.sum(x.T @ w, axis=0) * 2.0
    z -= 1
    return z if z.max() > 0 else -z
    # END SOLUTION
'''


def test_mutants_stay_inside_the_solution_blocks_and_cover_each_kind():
    found = [(m.line, m.original, m.mutated) for m in mutate.mutants("demo", SOURCE)]
    assert {line for line, _, _ in found} == {8, 9, 10}
    for expected in [(8, "z = np.sum(x.T @ w, axis=0) * 2.0", "pass"),     # deleted statement
                     (8, "np.sum(x.T @ w, axis=0) * 2.0", "(np.sum(x.T @ w, axis=0) / 2.0)"),
                     (8, "np.sum(x.T @ w, axis=0)", "np.sum(x.T @ w)"),  # axis dropped
                     (8, "np.sum", "np.mean"),
                     (8, "x.T @ w", "(w @ x.T)"),                          # operands swapped
                     (8, "x.T", "x"),                                      # dropped transpose
                     (8, "0", "1"), (8, "2.0", "4.0"),                     # constants
                     (9, "z -= 1", "z += 1"), (10, "z.max() > 0", "(z.max() >= 0)"),
                     (10, "-z", "z")]:
        assert expected in found, expected
    for m in mutate.mutants("demo", SOURCE):
        compile(m.source, "demo", "exec")
        assert m.source.splitlines()[:6] == SOURCE.splitlines()[:6]


def test_every_accepted_survivor_is_still_planted():
    planted = {(m.module, m.function, m.original, m.mutated)
               for module in {key[0] for key in mutate.allowed()}
               for m in mutate.mutants(module)}
    stale = [key for key in mutate.allowed() if key not in planted]
    assert not stale, f"grader/mutants_allowed.toml lists mutants no longer planted: {stale}"


def test_linear_mutants_are_caught_and_equivalent_or_hanging_ones_are_told_apart():
    planted = list(mutate.mutants("layers"))
    assert len(planted) >= 10
    source = (NAMED["solutions"] / "layers.py").read_text()
    line = 'return x @ self.params["W"] + self.params["b"]'
    same = mutate.Mutant("layers", "Linear.forward", 0, "", "",
                         source.replace(line, f"return 1.0 * ({line[7:]})"))
    hang = mutate.Mutant("layers", "Linear.forward", 0, "", "",
                         source.replace(line, "while True:\n            pass"))
    outcomes = validate.run_mutants(planted + [same, hang], jobs=2, timeout=8)
    survivors = [str(m) for m in planted if outcomes[id(m)] != "caught"]
    assert not survivors
    assert outcomes[id(same)] == "survived" and outcomes[id(hang)] == "caught"


def test_validate_without_mutants_passes_on_the_kit():
    lines = []
    assert validate.validate(seeds=(0, 1), mutants=False, write=lines.append), "\n".join(lines)
    text = "\n".join(lines)
    assert "solutions, seed 1:" in text and "exercises/ up to date with solutions/: yes" in text


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    root = tmp_path_factory.mktemp("gradescope")
    names = gradescope.build_zip(root / "autograder.zip", seed=4)
    with zipfile.ZipFile(root / "autograder.zip") as archive:
        archive.extractall(root / "source")
    return root, names


def test_the_autograder_zip_has_no_solutions(autograder):
    root, names = autograder
    assert "setup.sh" in names and "run_autograder" in names and "grader/cli.py" in names
    assert not [n for n in names if n.startswith("solutions/") or "/meta/" in n]
    assert "--seed 4" in (root / "source" / "run_autograder").read_text()
    assert not (root / "source" / "solutions").exists()


@pytest.mark.parametrize("layout", ["flat", "nested"])
def test_the_autograder_grades_without_solutions_present(autograder, tmp_path, layout):
    root, _ = autograder
    upload = tmp_path / "upload" / ("exercises" if layout == "nested" else "")
    upload.mkdir(parents=True)
    for module in ("layers", "losses"):
        (upload / f"{module}.py").write_text((NAMED["solutions"] / f"{module}.py").read_text())
    results = tmp_path / "results" / "results.json"
    script = (root / "source" / "run_autograder").read_text()   # Gradescope's paths, moved
    for old, new in [("/autograder/venv/bin/python", sys.executable),
                     ("/autograder/source", str(root / "source")),
                     ("/autograder/submission", str(tmp_path / "upload")),
                     ("/autograder/results/results.json", str(results))]:
        script = script.replace(old, new)
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text())
    by_name = {t["name"].split(":")[0]: t for t in data["tests"]}
    assert by_name["linear"]["score"] == by_name["linear"]["max_score"] > 0
    assert by_name["cross_entropy"]["status"] == "passed"
    assert by_name["sigmoid"]["score"] == 0
    assert "seed 4" in data["output"] and "layers.py" in data["output"]


def test_check_mutants_reports_caught_over_planted_per_exercise():
    lines = []
    ok, score = validate.check_mutants(["regularization"], 2, lines.append, limit=4)
    assert ok and score == {"regularization": [4, 4]}, "\n".join(lines)
    assert "mutation score: 4/4 caught" in "\n".join(lines)
