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
    # BEGIN SOLUTION
    n = len(y)
    groups = {}
    if stratify:
        for i, label in enumerate(y.tolist()):
            groups.setdefault(label, []).append(i)
    else:
        groups[None] = list(range(n))
    in_val = np.zeros(n, dtype=bool)
    for members in groups.values():
        take = round(val_fraction * len(members))
        if take:
            chosen = rng.choice(np.array(members), size=take, replace=False)
            in_val[chosen] = True
    return np.flatnonzero(~in_val).astype(np.int64), np.flatnonzero(in_val).astype(np.int64)
    # END SOLUTION


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
    # BEGIN SOLUTION
    order = rng.choice(n, size=n, replace=False)
    small, extra = divmod(n, k)
    pairs, start = [], 0
    for i in range(k):
        stop = start + small + (1 if i < extra else 0)
        mask = np.ones(n, dtype=bool)
        mask[order[start:stop]] = False
        val_idx = np.array(order[start:stop], dtype=np.int64)
        train_idx = np.array([j for j in order if mask[j]], dtype=np.int64)
        pairs.append((train_idx, val_idx))
        start = stop
    return pairs
    # END SOLUTION


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
    # BEGIN SOLUTION
    cells = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    counts = np.bincount(cells, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)
    # END SOLUTION


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
    # BEGIN SOLUTION
    from collections import Counter
    pairs = Counter(zip(y_true.tolist(), y_pred.tolist()))
    true_counts, pred_counts = Counter(y_true.tolist()), Counter(y_pred.tolist())
    precision, recall, f1 = (np.zeros(n_classes, dtype=np.float64) for _ in range(3))
    for c in range(n_classes):
        hits = pairs[(c, c)]
        p = hits / pred_counts[c] if pred_counts[c] else 0.0
        r = hits / true_counts[c] if true_counts[c] else 0.0
        precision[c], recall[c] = p, r
        f1[c] = 2 * p * r / (p + r) if p + r > 0 else 0.0
    if average is None:
        return precision, recall, f1
    if average == "macro":
        weights = [1.0 / n_classes] * n_classes
    else:
        weights = [true_counts[c] / len(y_true) for c in range(n_classes)]
    return tuple(float(sum(w * v for w, v in zip(weights, values))) for values in (precision, recall, f1))
    # END SOLUTION


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
    # BEGIN SOLUTION
    right, start = 0, 0
    while start < len(X):
        stop = min(start + batch_size, len(X))
        right += int(np.count_nonzero(predict(model, X[start:stop]) == y[start:stop]))
        start = stop
    return right / len(X)
    # END SOLUTION


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
    # BEGIN SOLUTION
    history, saved, rounds_since_best = [], {}, 0
    best_step, step = None, 0
    while step + eval_every <= max_steps and (not history or rounds_since_best < patience):
        train(model, X, y, rng, steps=eval_every, lr=lr, batch_size=batch_size,
              eval_every=eval_every, optimizer=optimizer)
        step += eval_every
        history.append((step, accuracy(predict(model, X_val), y_val)))
        if best_step is None or history[-1][1] > max(acc for _, acc in history[:-1]):
            best_step, rounds_since_best = step, 0
            saved = {i: np.array(layer.params[name], copy=True)
                     for i, (layer, name) in enumerate(model.parameters())}
        else:
            rounds_since_best += 1
    for i, (layer, name) in enumerate(model.parameters()):
        np.copyto(layer.params[name], saved[i])
    model.train()
    return best_step, history
    # END SOLUTION


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
    # BEGIN SOLUTION
    import math
    low_lr, high_lr = math.log(lr_range[0]), math.log(lr_range[1])
    low_reg, high_reg = math.log(reg_range[0]), math.log(reg_range[1])
    results, best = [], None
    for _ in range(trials):
        lr = math.exp(rng.uniform(low_lr, high_lr))
        reg = math.exp(rng.uniform(low_reg, high_reg))
        trial = dict(lr=lr, reg=reg, score=float(evaluate(lr, reg)))
        results.append(trial)
        if best is None or trial["score"] > best["score"]:
            best = trial
    return best, results
    # END SOLUTION
