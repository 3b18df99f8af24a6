"""Alternative solution blocks of solutions/metrics.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/metrics.py when the blocks are spliced into it."""
# ruff: noqa: F821


def train_val_split(y, val_fraction, rng, stratify=False):
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


def confusion_matrix(y_true, y_pred, n_classes):
    # BEGIN SOLUTION
    cells = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    counts = np.bincount(cells, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)
    # END SOLUTION


def precision_recall_f1(y_true, y_pred, n_classes, average=None):
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
