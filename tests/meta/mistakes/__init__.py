"""Realistic student mistakes, planted in a copy of solutions/, with the feedback they get.

Each entry: (exercise, module, solution text, the student's text, phrases the
feedback must contain). ``<name>.txt`` beside this file holds the exact feedback
(``report.feedback``), compared by tests/meta/test_feedback.py; regenerate with

    SOPHIA_REGENERATE=1 python -m pytest tests/meta/test_feedback.py
"""
import re
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

MISTAKES = {
    "linear_dW_transposed": (
        "linear", "layers", 'self.grads["W"] = x.T @ dout', 'self.grads["W"] = dout.T @ x',
        ['grads["W"]', "expected shape (5, 4), got shape (4, 5) (transposed?)"]),
    "linear_bias_forgotten": (
        "linear", "layers", 'return x @ self.params["W"] + self.params["b"]',
        'return x @ self.params["W"]',
        ["Linear.forward(x) (2, 3) float64", "same in every row", "bias"]),
    "linear_cache_attribute_typo": (
        "linear", "layers", "x = self.cache", "x = self.x",
        ["[error]", "layers.py", "in backward", "x = self.x", "AttributeError"]),
    "cross_entropy_sum_not_mean": (
        "cross_entropy", "losses", "dscores[rows, y] -= 1.0\n    dscores /= n\n",
        "dscores[rows, y] -= 1.0\n",
        ["dscores", "times the expected value (N = ", "a missing 1/N"]),
    "cross_entropy_no_max_shift": (
        "cross_entropy", "losses", "shifted = scores - scores.max(axis=1, keepdims=True)",
        "shifted = scores", ["got nan", "overflows", "shift by the max"]),
}


def normalize(text, folder):
    """Feedback with the submission's path replaced, warnings from inside numpy (which vary with
    its version) dropped, and numbers rounded to 4 digits."""
    text = text.replace(str(folder), "<submission>")
    text = re.sub(r"\n *\| " + re.escape(str(Path(np.__file__).parent)) + r"[^\n]*\n *\|[^\n]*", "", text)
    return re.sub(r"-?\d+\.\d+(?:e[+-]?\d+)?",
                  lambda m: f"{float(m.group()):.4g}", text)
