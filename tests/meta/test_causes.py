"""Feedback that points at the right fix: mistakes whose old canned cause misled a student.

Each mistake is planted in a copy of the solutions and graded by the real runner;
some failing check must name the right cause, and none the misleading one.
"""
import pytest

from tests.meta.planting import failing_checks, plant

MISTAKES = [  # (exercise, module, solution text, the student's text, right cause, misleading cause)
    pytest.param("numgrad", "numgrad", "        x[i] = old\n", "",
                 "put each entry back", "work on a copy", id="numgrad does not restore x"),
    pytest.param("numgrad", "numgrad", "np.maximum(1e-8, np.abs(a) + np.abs(b))",
                 "(np.abs(a) + np.abs(b))", "a division by 0", "exp()",
                 id="relative_error divides by zero"),
    pytest.param("heads", "models", "hinge_loss(scores, y, self.delta)", "hinge_loss(scores, y)",
                 "pass the head's own delta", "a wrong constant factor", id="SVMHead ignores delta"),
    pytest.param("init_basic", "initializers", 'check_rng(rng, "small_normal")\n    # BEGIN SOLUTION\n'
                 "    return (std * rng", 'check_rng(rng, "small_normal")\n    # BEGIN SOLUTION\n'
                 "    return (std ** 2 * rng", "std, not std**2", "fans",
                 id="small_normal scales by std**2"),
    pytest.param("relu", "activations", "        self.cache = x > 0\n",
                 "        self.cache = x > 0\n        x[~self.cache] = 0.0\n",
                 "np.maximum(x, 0), not x[x < 0] = 0", "", id="ReLU writes into its input"),
]


@pytest.mark.parametrize("exercise,module,old,new,right,wrong", MISTAKES)
def test_the_feedback_names_the_right_cause(tmp_path, exercise, module, old, new, right, wrong):
    failures = failing_checks(plant(tmp_path, module, old, new), exercise)
    text = "\n".join(f"{name}: {message}" for name, message in failures.items())
    assert failures and right in text, text
    assert not wrong or wrong not in text, text


SLIPS = [  # causes the kit once missed
    pytest.param("sigmoid", "activations", "        return dout * out * (1.0 - out)",
                 "        s = 1.0 / (1.0 + np.exp(-out))\n        return dout * s * (1.0 - s)",
                 "taken at the layer's output instead of at its input",
                 id="sigmoid derivative at the output"),
    pytest.param("swish", "activations", "bx = self.beta * x", "bx = x",
                 "beta is ignored", id="swish ignores beta"),
    pytest.param("linear", "layers", 'self.grads["W"] = x.T @ dout',
                 'self.grads["W"] = x.T @ dout + 0.1 * self.params["W"]',
                 'plus 0.1 × params["W"]: an extra term', id="Linear adds a penalty to dW"),
    # a hard-coded batch size; the random batches now vary N (3 to 9) besides the known answers
    pytest.param("hinge", "losses", "dscores[rows, y] = -active.sum(axis=1)\n    dscores /= n",
                 "dscores[rows, y] = -active.sum(axis=1)\n    dscores /= 6",
                 "hinge_loss(scores, y, delta=1) dscores",
                 id="hinge divides by 6, not N"),
]


@pytest.mark.parametrize("exercise,module,old,new,right", SLIPS)
def test_slips_the_kit_once_missed_are_named(tmp_path, exercise, module, old, new, right):
    failures = failing_checks(plant(tmp_path, module, old, new), exercise)
    text = "\n".join(f"{name}: {message}" for name, message in failures.items())
    assert failures and right in text, text
