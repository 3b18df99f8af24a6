"""Validation: hold data out, measure what a model learned, and choose by what it has not seen.

    train_idx, val_idx = train_val_split(y, 0.2, rng, stratify=True)
    confusion_matrix(y_val, predict(model, X_val), n_classes)
    best_step, history = train_early_stopping(model, X, y, X_val, y_val, rng, optimizer)

Indices are int64 arrays into the data set; labels are ints in [0, n_classes).
"""
import warnings

import numpy as np

from .inputs import check_batch, check_labels, check_rng
from .training import accuracy, predict, train


def _check_fraction(fraction, n, where):
    if not (isinstance(fraction, (float, int)) and 0 < fraction < 1):
        raise ValueError(f"{where}: val_fraction must lie in (0, 1), got {fraction!r}")
    if n < 2:
        raise ValueError(f"{where}: need at least 2 samples to split, got {n}")


def train_val_split(y, val_fraction, rng, stratify=False):
    """Split the indices 0..N-1 of the labels y at random into a training and a validation set.

    Without stratify: round(val_fraction * N) indices go to validation, drawn from one
    permutation of rng. With stratify: for each class c, round(val_fraction * N_c) of the
    indices of class c go to validation (N_c = the count of class c), drawn from rng,
    so that both sets keep the class proportions.
    Every index lands in exactly one of the two sets.

    Inputs:  y: (N,) int labels; val_fraction: float in (0, 1); rng: np.random.Generator
    Returns: train_idx, val_idx: int64 arrays
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"train_val_split: labels y must have shape (N,), got shape {y.shape}")
    y = check_labels(y, len(y), "train_val_split")
    _check_fraction(val_fraction, len(y), "train_val_split")
    check_rng(rng, "train_val_split")
    # TODO: implement train_val_split (see the docstring)
    raise NotImplementedError("train_val_split")


def kfold_indices(n, k, rng):
    """k folds of a shuffled 0..n-1: fold i validates on its own val_idx and trains on the rest.

    The validation sets are disjoint, together hold every index once, and their sizes
    differ by at most one (the first n % k folds hold one more).

    Inputs:  n: int, the number of samples; k: int, 2 <= k <= n; rng: np.random.Generator
    Returns: list of k pairs (train_idx, val_idx), int64 arrays
    """
    if not isinstance(n, (int, np.integer)) or not isinstance(k, (int, np.integer)) or not 2 <= k <= n:
        raise ValueError(f"kfold_indices: need ints 2 <= k <= n, got k={k!r}, n={n!r}")
    check_rng(rng, "kfold_indices")
    # TODO: implement kfold_indices (see the docstring)
    raise NotImplementedError("kfold_indices")


def _check_predictions(y_true, y_pred, n_classes, where):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(f"{where}: y_true and y_pred must both have shape (N,), "
                         f"got {y_true.shape} and {y_pred.shape}")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        check_labels(labels, len(labels), where)
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{where}: {name} must lie in [0, {n_classes}), "
                             f"got values from {labels.min()} to {labels.max()}")
    return y_true, y_pred


def confusion_matrix(y_true, y_pred, n_classes):
    """M[i, j] = the number of samples of true class i predicted as class j (rows: true class).

    Inputs:  y_true, y_pred: (N,) int in [0, n_classes); n_classes: int
    Returns: M: (n_classes, n_classes) int64
    """
    y_true, y_pred = _check_predictions(y_true, y_pred, n_classes, "confusion_matrix")
    # TODO: implement confusion_matrix (see the docstring)
    raise NotImplementedError("confusion_matrix")


AVERAGES = (None, "macro", "weighted")


def precision_recall_f1(y_true, y_pred, n_classes, average=None):
    """Per class c: precision_c = TP_c / (TP_c + FP_c), recall_c = TP_c / (TP_c + FN_c),
    f1_c = 2 * precision_c * recall_c / (precision_c + recall_c).

    A ratio whose denominator is 0 is 0 (a class never predicted has precision 0, a class
    absent from y_true recall 0, and f1 is 0 when precision + recall is 0), never NaN; a
    warning says which classes. average "macro" is the plain mean over the classes,
    "weighted" the mean weighted by each class's count in y_true.

    Inputs:  y_true, y_pred: (N,) int in [0, n_classes); average: None, "macro" or "weighted"
    Returns: precision, recall, f1: three (n_classes,) float64 arrays, or three floats when averaged
    """
    y_true, y_pred = _check_predictions(y_true, y_pred, n_classes, "precision_recall_f1")
    if average not in AVERAGES:
        raise ValueError(f"precision_recall_f1: average must be one of {AVERAGES}, got {average!r}")
    for what, labels in (("never predicted: precision", y_pred), ("absent from y_true: recall", y_true)):
        missing = np.setdiff1d(np.arange(n_classes), labels)
        if missing.size:
            warnings.warn(f"precision_recall_f1: classes {missing.tolist()} {what} set to 0",
                          RuntimeWarning, stacklevel=2)
    # TODO: implement precision_recall_f1 (see the docstring)
    raise NotImplementedError("precision_recall_f1")


def batched_accuracy(model, X, y, batch_size):
    """accuracy(labels, y), the labels predicted batch by batch: predict(model, X[k:k+B]) for
    k = 0, B, 2B, ... (B = batch_size; the last batch holds what is left, possibly fewer).

    Inputs:  model: a Sequential; X: (N, D) float; y: (N,) int; batch_size: int >= 1
    Returns: float, equal to accuracy(predict(model, X), y)
    """
    X = check_batch(X, "batched_accuracy", name="X")
    y = check_labels(y, len(X), "batched_accuracy", f" to match X {X.shape}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batched_accuracy: batch_size must be an int >= 1, got {batch_size!r}")
    # TODO: implement batched_accuracy (see the docstring)
    raise NotImplementedError("batched_accuracy")


def train_early_stopping(model, X, y, X_val, y_val, rng, optimizer=None, lr=1.0, max_steps=2000,
                         eval_every=100, patience=3, batch_size=None):
    """Train in rounds of eval_every steps, keep the parameters of the best validation
    accuracy, stop when it has not improved for ``patience`` rounds, and restore the best.

    Round r (r = 1, 2, ...) calls train(model, X, y, rng, steps=eval_every, lr=lr,
    batch_size=batch_size, eval_every=eval_every, optimizer=optimizer), then measures
    acc_r = accuracy(predict(model, X_val), y_val) after step r * eval_every. A round
    improves when acc_r is strictly above every earlier one; then a copy of every parameter
    is kept. Training stops after ``patience`` rounds in a row without improvement, or when
    another round would go past max_steps. Finally the best round's copies are written back
    into the parameter arrays in place (an optimizer holding them keeps working) and the
    model is left in training mode.

    Returns: best_step: int, the step of the best round; history: list of (step, acc_r)
    """
    X_val = check_batch(X_val, "train_early_stopping", name="X_val")
    check_labels(y_val, len(X_val), "train_early_stopping", f" to match X_val {X_val.shape}")
    if patience < 1 or eval_every < 1 or max_steps < eval_every:
        raise ValueError(f"train_early_stopping: need patience >= 1 and max_steps >= eval_every "
                         f">= 1, got patience={patience}, eval_every={eval_every}, "
                         f"max_steps={max_steps}")
    # TODO: implement train_early_stopping (see the docstring)
    raise NotImplementedError("train_early_stopping")


def random_search(evaluate, rng, trials, lr_range=(1e-3, 1.0), reg_range=(1e-6, 1e-2)):
    """Try ``trials`` random (lr, reg) pairs and return the best, by evaluate(lr, reg).

    Each trial draws lr = 10 ** rng.uniform(log10(lr_range[0]), log10(lr_range[1])), then
    reg the same way from reg_range (log-uniform: each decade equally likely), and scores
    it with evaluate(lr, reg) (e.g. a validation accuracy: higher is better). The best is
    the first trial with the highest score.

    Inputs:  evaluate: function (lr, reg) -> float; rng: np.random.Generator; trials: int >= 1
    Returns: best: dict(lr=, reg=, score=); results: list of such dicts, one per trial in order
    """
    check_rng(rng, "random_search")
    for name, (low, high) in (("lr_range", lr_range), ("reg_range", reg_range)):
        if not 0 < low <= high:
            raise ValueError(f"random_search: {name} must be (low, high) with 0 < low <= high, "
                             f"got {(low, high)!r}")
    if not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"random_search: trials must be an int >= 1, got {trials!r}")
    # TODO: implement random_search (see the docstring)
    raise NotImplementedError("random_search")
