"""Kit self-tests: each realistic bug planted in the validation solutions (metrics.py) fails
a check of its exercise, and some failing check's message names the problem."""
import pytest

from tests.meta.planting import assert_caught

FOLDS = "folds = np.array_split(rng.permutation(n), k)"
BATCHES = ("    labels = [predict(model, X[k:k + batch_size]) for k in range(0, len(X), batch_size)]\n"
           "    return accuracy(np.concatenate(labels), y)\n")
LR_DRAW = "lr = 10 ** rng.uniform(np.log10(lr_range[0]), np.log10(lr_range[1]))"
REG_DRAW = "reg = 10 ** rng.uniform(np.log10(reg_range[0]), np.log10(reg_range[1]))"

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    ("split-not_shuffled", "split", "metrics",
     "perm = rng.permutation(len(y))", "perm = np.arange(len(y))", "shuffle 0..N-1"),
    ("split-stratify_ignored", "split", "metrics", "if not stratify:", "if True:",
     "as without stratify"),
    ("kfold-remainder_dropped", "split", "metrics", FOLDS,
     "folds = np.split(rng.permutation(n)[:n - n % k], k)", "indices are left out"),
    ("kfold-remainder_in_last_fold", "split", "metrics", FOLDS,
     "perm = rng.permutation(n)\n    folds = [perm[i * (n // k):(i + 1) * (n // k)] for i in "
     "range(k - 1)] + [perm[(k - 1) * (n // k):]]", "the first n % k"),
    ("kfold-train_overlaps_val", "split", "metrics",
     "np.concatenate(folds[:i] + folds[i + 1:])", "np.concatenate(folds[:i] + folds[i:])",
     "every index not in val_idx"),
    ("confusion-transposed", "confusion", "metrics",
     "np.add.at(M, (y_true, y_pred), 1)", "np.add.at(M, (y_pred, y_true), 1)",
     "rows must be the true class"),
    ("confusion-size_from_labels", "confusion", "metrics",
     "M = np.zeros((n_classes, n_classes), dtype=np.int64)",
     "M = np.zeros((max(y_true.max(), y_pred.max()) + 1,) * 2, dtype=np.int64)",
     "not from the largest label"),
    ("prf-precision_recall_swapped", "confusion", "metrics",
     "tp, predicted, actual = np.diag(M), M.sum(axis=0), M.sum(axis=1)",
     "tp, predicted, actual = np.diag(M), M.sum(axis=1), M.sum(axis=0)",
     "precision and recall are swapped"),
    ("prf-nan_for_never_predicted", "confusion", "metrics",
     "precision = np.divide(tp, predicted, out=np.zeros(n_classes), where=predicted > 0)",
     "precision = tp / predicted", "never NaN"),
    ("prf-macro_weighted_swapped", "confusion", "metrics",
     'if average == "weighted" else', 'if average == "macro" else', "macro is the plain mean"),
    ("batched-mean_of_batch_accuracies", "evaluation", "metrics", BATCHES,
     "    starts = range(0, len(X), batch_size)\n"
     "    return float(np.mean([accuracy(predict(model, X[k:k + batch_size]), y[k:k + batch_size])\n"
     "                          for k in starts]))\n", "the mean of the batches' accuracies"),
    ("batched-last_batch_dropped", "evaluation", "metrics", BATCHES,
     "    labels = np.concatenate([predict(model, X[k:k + batch_size])\n"
     "                             for k in range(0, len(X) - batch_size + 1, batch_size)])\n"
     "    return accuracy(labels, y[:len(labels)])\n", "the last batch is dropped"),
    ("early_stopping-reference_not_copy", "early_stopping", "metrics",
     "best = [layer.params[name].copy() for", "best = [layer.params[name] for",
     "keep a .copy()"),
    ("early_stopping-restored_as_new_arrays", "early_stopping", "metrics",
     "layer.params[name][...] = saved", "layer.params[name] = saved", "into the same arrays"),
    ("early_stopping-ties_improve", "early_stopping", "metrics",
     "if acc > best_acc:", "if acc >= best_acc:", "strictly greater"),
    ("early_stopping-patience_off_by_one", "early_stopping", "metrics",
     "if waited >= patience:", "if waited > patience:", "one round late"),
    ("random_search-uniform_not_log_uniform", "random_search", "metrics",
     LR_DRAW, "lr = rng.uniform(lr_range[0], lr_range[1])", "not log-uniform"),
    ("random_search-reg_drawn_first", "random_search", "metrics",
     f"{LR_DRAW}\n        {REG_DRAW}", f"{REG_DRAW}\n        {LR_DRAW}", "reg drawn before lr"),
    ("random_search-best_is_last_max", "random_search", "metrics",
     'best = max(results, key=lambda r: r["score"])',
     'best = max(reversed(results), key=lambda r: r["score"])', "Ties keep the earliest"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
