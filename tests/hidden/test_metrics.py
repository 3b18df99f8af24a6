"""Hidden checks for validation (metrics.py): the confusion matrix and its ratios against their
definitions on random labels, and random search's draws from random seeds against trusted
draws. The visible suite (tests/suites/test_metrics.py) checks the same on known answers.
"""
import math

import numpy as np
import pytest

from tests.checks import assert_close, assert_float
from tests.suites.test_metrics import (
    LR_RANGE,
    PRF_NAMES,
    REG_RANGE,
    SCORES,
    assert_confusion,
    call_prf,
    search,
)


@pytest.mark.exercise("confusion")
def test_confusion_matrix_random_labels_entry_by_entry(impl, rng):
    n, c = int(rng.integers(20, 60)), int(rng.integers(3, 7))
    y_true, y_pred = rng.integers(0, c, n), rng.integers(0, c, n)
    expected = np.zeros((c, c), dtype=np.int64)
    for i in range(c):
        for j in range(c):
            expected[i, j] = np.sum((y_true == i) & (y_pred == j))
    got = impl.metrics.confusion_matrix(y_true, y_pred, c)
    assert_confusion(f"confusion_matrix of {n} random labels, {c} classes", got, expected)


@pytest.mark.exercise("confusion")
def test_precision_recall_f1_random_labels(impl, rng):
    n, c = int(rng.integers(30, 80)), int(rng.integers(3, 6))
    y_true, y_pred = rng.integers(0, c, n), rng.integers(0, c, n)
    y_true[:c], y_pred[:c] = np.arange(c), np.arange(c)[::-1]     # every class true and predicted
    expected = {name: np.zeros(c) for name in PRF_NAMES}
    for k in range(c):                                           # the definitions, sample by sample
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == k and p == k)
        predicted, true = sum(1 for p in y_pred if p == k), sum(1 for t in y_true if t == k)
        p, r = tp / predicted, tp / true
        expected["precision"][k], expected["recall"][k] = p, r
        expected["f1"][k] = 2 * p * r / (p + r) if p + r else 0.0
    per_class = call_prf(impl, y_true, y_pred, c)
    for name, got in zip(PRF_NAMES, per_class):
        assert_close(f"{name} of {n} random labels, {c} classes (per class)", got, expected[name])
    support = np.bincount(y_true, minlength=c) / n
    for average, weights in (("macro", np.full(c, 1 / c)), ("weighted", support)):
        got = call_prf(impl, y_true, y_pred, c, average)
        for name, value in zip(PRF_NAMES, got):
            assert_float(f"{name} of {n} random labels, average={average!r}", value,
                         sum(w * v for w, v in zip(weights, expected[name])))


# ---------------------------------------------------------------- random_search

def log_uniform(gen, low, high):
    return 10.0 ** gen.uniform(math.log10(low), math.log10(high))


def drawn(seed, trials, draw=log_uniform, reg_first=False, all_lr_first=False):
    """[(lr, reg)] for each trial from a generator of ``seed``, or as a usual slip draws them."""
    gen = np.random.default_rng(seed)
    if all_lr_first:
        lrs = [draw(gen, *LR_RANGE) for _ in range(trials)]
        return list(zip(lrs, [draw(gen, *REG_RANGE) for _ in range(trials)]))
    pairs = []
    for _ in range(trials):
        if reg_first:
            reg = draw(gen, *REG_RANGE)
            pairs.append((draw(gen, *LR_RANGE), reg))
        else:
            lr = draw(gen, *LR_RANGE)
            pairs.append((lr, draw(gen, *REG_RANGE)))
    return pairs


DRAW_SLIPS = [(dict(draw=lambda gen, low, high: gen.uniform(low, high)),
               "uniform draws, not log-uniform: draw the exponent, 10 ** rng.uniform(log10(low), "
               "log10(high)), so that each decade is equally likely"),
              (dict(reg_first=True), "reg drawn before lr: each trial draws lr first, then reg"),
              (dict(all_lr_first=True), "every lr drawn before every reg: each trial draws its "
                                        "lr, then its reg")]


@pytest.mark.exercise("random_search")
def test_random_search_draws_log_uniform_lr_then_reg_from_random_seeds(impl, rng):
    seed, _, results, _, name = search(impl, rng)
    got = np.array([[float(r["lr"]), float(r["reg"])] for r in results])
    for slip, why in DRAW_SLIPS:
        wrong, right = np.array(drawn(seed, len(SCORES), **slip)), np.array(drawn(seed, len(SCORES)))
        if any(np.allclose(got[:, j], wrong[:, j], rtol=1e-9, atol=0)
               and not np.allclose(got[:, j], right[:, j], rtol=1e-9, atol=0) for j in (0, 1)):
            raise AssertionError(f"{name}: the (lr, reg) of the trials come from {why}.")
    assert_close(f"{name}: the (lr, reg) of each trial, from the rng given", got,
                 np.array(drawn(seed, len(SCORES))), rtol=1e-12)
