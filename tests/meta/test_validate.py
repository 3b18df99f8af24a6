"""``validate``, the mutation self-test, and the Gradescope autograder zip."""


from grader import mutate, validate
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


def test_check_mutants_reports_caught_over_planted_per_exercise():
    lines = []
    ok, score = validate.check_mutants(["regularization"], 2, lines.append, limit=4)
    assert ok and score == {"regularization": [4, 4]}, "\n".join(lines)
    assert "mutation score: 4/4 caught" in "\n".join(lines)
