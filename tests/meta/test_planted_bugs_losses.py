"""Kit self-test: each realistic bug planted in a copy of the solutions is caught by
the grader, with feedback that names the problem.

Covers the exercises init_basic, xavier, he, cross_entropy, hinge, regularization.
Each row: (exercise, module, old, new, a substring the feedback must contain).
``old`` must occur exactly once in the module; solution blocks are indented by 4.
"""
import pytest

from tests.meta.planting import assert_caught

BUGS = [
    # ------------------------------------------------------------ init_basic
    ("init_basic", "initializers", "np.zeros(shape, dtype=dtype)", "np.zeros(shape)",
     "expected dtype float32", "zeros ignores dtype"),
    ("init_basic", "initializers", "np.full(shape, value, dtype=dtype)",
     "np.full(shape, 1.0, dtype=dtype)", "expected -1.5", "constant ignores value"),
    ("init_basic", "initializers", '"small_normal")\n    # BEGIN SOLUTION\n    return (std *',
     '"small_normal")\n    # BEGIN SOLUTION\n    return (std ** 2 *', "variance",
     "small_normal scales by the variance"),
    ("init_basic", "initializers",
     '"small_normal")\n    # BEGIN SOLUTION\n    return (std * rng.standard_normal(shape))',
     '"small_normal")\n    # BEGIN SOLUTION\n    return (std * np.random.standard_normal(shape))',
     "rng argument", "small_normal draws from the global RNG"),
    ("init_basic", "initializers",
     '"small_normal")\n    # BEGIN SOLUTION\n    return (std * rng.standard_normal(shape))',
     '"small_normal")\n    # BEGIN SOLUTION\n'
     '    return (std * np.random.default_rng(0).standard_normal(shape))',
     "rng", "small_normal seeds its own Generator"),
    # ---------------------------------------------------------------- xavier
    ("xavier", "initializers", "return shape[1] * receptive, shape[0] * receptive",
     "return shape[1], shape[0]", "receptive field", "fans forgets the receptive field"),
    ("xavier", "initializers", "return shape[0], shape[1]\n", "return shape[1], shape[0]\n",
     "swapped", "fans swaps fan_in and fan_out"),
    ("xavier", "initializers", "limit = gain * np.sqrt(6.0 / (fan_in + fan_out))",
     "limit = gain * np.sqrt(6.0 / fan_in)", "variance", "xavier_uniform uses fan_in only"),
    ("xavier", "initializers", "limit = gain * np.sqrt(6.0 / (fan_in + fan_out))",
     "limit = np.sqrt(6.0 / (fan_in + fan_out))", "variance", "xavier_uniform ignores gain"),
    ("xavier", "initializers", "std = gain * np.sqrt(2.0 / (fan_in + fan_out))",
     "std = gain * np.sqrt(6.0 / (fan_in + fan_out))", "variance",
     "xavier_normal uses the uniform limit as std"),
    ("xavier", "initializers",
     "std = gain * np.sqrt(2.0 / (fan_in + fan_out))\n"
     "    return (std * rng.standard_normal(shape))",
     "std = gain * np.sqrt(2.0 / (fan_in + fan_out))\n"
     "    return rng.uniform(-np.sqrt(3) * std, np.sqrt(3) * std, size=shape)",
     "kurtosis", "xavier_normal draws a uniform"),
    # -------------------------------------------------------------------- he
    ("he", "initializers", "limit = np.sqrt(6.0 / fan_in)", "limit = np.sqrt(3.0 / fan_in)",
     "variance", "he_uniform uses sqrt(3 over fan_in)"),
    ("he", "initializers", "std = np.sqrt(2.0 / fan_in)", "std = np.sqrt(1.0 / fan_in)",
     "variance", "he_normal uses sqrt(1 over fan_in)"),
    ("he", "initializers", "fan_in, _ = fans(shape)\n    std", "_, fan_in = fans(shape)\n    std",
     "variance", "he_normal uses fan_out"),
    ("he", "initializers", "fan_in, _ = fans(shape)\n    limit", "fan_in = shape[0]\n    limit",
     "fan_in=576", "he_uniform takes shape[0] as fan_in of a conv weight"),
    # ---------------------------------------------------------- cross_entropy
    ("cross_entropy", "losses", "dscores[rows, y] -= 1.0\n    dscores /= n",
     "dscores[rows, y] -= 1.0", "1/N", "cross-entropy dscores misses 1/N"),
    ("cross_entropy", "losses", "loss = -log_probs[rows, y].mean()",
     "loss = -log_probs[rows, y].sum()", "1/N", "cross-entropy loss is a sum"),
    ("cross_entropy", "losses", "shifted = scores - scores.max(axis=1, keepdims=True)",
     "shifted = scores", "shift by the max", "softmax without the max shift"),
    ("cross_entropy", "losses",
     "log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
     "log_probs = np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))",
     "got inf", "log of softmax underflows to log(0)"),
    ("cross_entropy", "losses",
     "dscores = np.exp(log_probs)\n    dscores[rows, y] -= 1.0",
     "dscores = -np.exp(log_probs)\n    dscores[rows, y] += 1.0",
     "opposite sign", "cross-entropy gradient with the wrong sign"),
    ("cross_entropy", "losses", "shifted = scores - scores.max(axis=1, keepdims=True)",
     "scores -= scores.max(axis=1, keepdims=True)\n    shifted = scores",
     "modified in place", "cross-entropy shifts the caller's scores in place"),
    ("cross_entropy", "losses", "shifted = scores - scores.max(axis=1, keepdims=True)",
     "shifted = scores - scores.max()", "with logits ~1000",
     "shift by the global max instead of each row's"),
    ("cross_entropy", "losses", "dscores = np.exp(log_probs)\n",
     "dscores = np.exp(log_probs).astype(np.float64)\n", "expected dtype float32",
     "cross-entropy dscores always float64"),
    # ------------------------------------------------------------------ hinge
    ("hinge", "losses", "    margins[rows, y] = 0.0\n", "",
     "the correct class j = y_i is counted", "hinge counts the correct class"),
    ("hinge", "losses", "margins = scores - scores[rows, y][:, None] + delta",
     "margins = scores - scores[rows, y][:, None] + 1.0", "delta=0.25",
     "hinge ignores delta"),
    ("hinge", "losses", "dscores[rows, y] = -active.sum(axis=1)", "dscores[rows, y] = -1.0",
     "dscores", "hinge correct-class gradient -1 instead of -count"),
    ("hinge", "losses", "dscores[rows, y] = -active.sum(axis=1)\n    dscores /= n",
     "dscores[rows, y] = -active.sum(axis=1)", "1/N", "hinge dscores misses 1/N"),
    ("hinge", "losses", "margins = scores - scores[rows, y][:, None] + delta",
     "scores -= scores[rows, y][:, None] - delta\n    margins = scores",
     "modified in place", "hinge computes margins in the caller's scores"),
    ("hinge", "losses", "dscores = active.astype(scores.dtype)",
     "dscores = active.astype(float)", "expected dtype float32", "hinge dscores always float64"),
    # --------------------------------------------------------- regularization
    ("regularization", "losses", "np.sum(W * W)), reg * W", "np.sum(W * W)), 2 * reg * W",
     "twice", "L2 gradient 2 * reg * W"),
    ("regularization", "losses", "float(0.5 * reg * np.sum(W * W))",
     "float(reg * np.sum(W * W))", "twice", "L2 penalty without the 0.5"),
    # the loss and its gradient both without the 0.5: consistent, so the gradient check alone
    # passes; the loss is wrong, and the gradient check must say to fix the loss first
    ("regularization", "losses", "return float(0.5 * reg * np.sum(W * W)), reg * W",
     "return float(reg * np.sum(W * W)), 2 * reg * W", "Fix the loss value first",
     "L2 loss and gradient both without the 0.5"),
    ("regularization", "losses", "float(reg * np.sum(np.abs(W)))", "float(reg * np.sum(W))",
     "l1_regularization(W, reg=0.1) loss", "L1 penalty without abs"),
    ("regularization", "losses", "(reg * np.sign(W))", "(reg * W / np.abs(W))",
     "NaN/inf", "L1 gradient W / |W| is NaN at 0"),
    ("regularization", "losses", "return float(0.5 * reg * np.sum(W * W)), reg * W",
     "loss = float(0.5 * reg * np.sum(W * W))\n    W *= reg\n    return loss, W",
     "modified in place", "L2 scales W in place"),
]


@pytest.mark.parametrize("exercise,module,old,new,expected",
                         [pytest.param(*row[:5], id=f"{row[0]}: {row[5]}") for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, expected):
    assert_caught(tmp_path, exercise, module, old, new, expected)
