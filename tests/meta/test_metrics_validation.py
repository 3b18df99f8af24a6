"""Kit self-tests: bad input to the validation functions (metrics.py) raises a ValueError
that names the function, the argument and the value given.

These check the given code outside the student's blocks, so they hold for the stubs
too; they carry no exercise marker and score nothing.
"""
import re

import numpy as np
import pytest


def mentions(*fragments):
    """A ``match=`` pattern that finds every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("n, k", [(3, 5), (4, 1), (6, 0)], ids=["k>n", "k=1", "k=0"])
def test_kfold_rejects_k_outside_2_to_n(impl, n, k):
    with pytest.raises(ValueError, match=mentions("kfold_indices", f"k={k}", f"n={n}")):
        impl.metrics.kfold_indices(n, k, rng())


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.2], ids=str)
def test_train_val_split_rejects_fraction_outside_0_1(impl, fraction):
    with pytest.raises(ValueError, match=mentions("train_val_split", "val_fraction", repr(fraction))):
        impl.metrics.train_val_split(np.array([0, 1, 0, 1, 2]), fraction, rng())


@pytest.mark.parametrize("fn", ["confusion_matrix", "precision_recall_f1"])
def test_rejects_labels_and_predictions_of_different_lengths(impl, fn):
    with pytest.raises(ValueError, match=mentions(fn, "y_true", "y_pred", "(5,)", "(4,)")):
        getattr(impl.metrics, fn)(np.array([0, 1, 2, 1, 0]), np.array([0, 1, 2, 1]), 3)


@pytest.mark.parametrize("fn", ["confusion_matrix", "precision_recall_f1"])
def test_rejects_labels_outside_the_classes(impl, fn):
    with pytest.raises(ValueError, match=mentions(fn, "y_pred", "[0, 3)", "to 3")):
        getattr(impl.metrics, fn)(np.array([0, 1, 2]), np.array([0, 3, 2]), 3)


def test_precision_recall_f1_rejects_unknown_average(impl):
    with pytest.raises(ValueError, match=mentions("precision_recall_f1", "average", "'micro'")):
        impl.metrics.precision_recall_f1(np.array([0, 1]), np.array([0, 1]), 2, average="micro")


def test_precision_recall_f1_warns_for_a_class_never_predicted(impl):
    with pytest.warns(RuntimeWarning, match=mentions("[2]", "never predicted")):
        try:
            impl.metrics.precision_recall_f1(np.array([0, 1, 2]), np.array([0, 1, 1]), 3)
        except NotImplementedError:        # the stubs warn before their TODO
            pass


@pytest.mark.parametrize("batch_size", [0, -3], ids=str)
def test_batched_accuracy_rejects_batch_size_below_1(impl, batch_size):
    linear = impl.layers.Linear(2, 3, rng(), weight_init=lambda shape, r: r.standard_normal(shape))
    model = impl.models.Sequential([linear], impl.models.SoftmaxHead())
    with pytest.raises(ValueError, match=mentions("batched_accuracy", "batch_size", f"got {batch_size}")):
        impl.metrics.batched_accuracy(model, np.zeros((4, 2)), np.array([0, 1, 2, 0]), batch_size)


@pytest.mark.parametrize("trials", [0, -1], ids=str)
def test_random_search_rejects_trials_below_1(impl, trials):
    with pytest.raises(ValueError, match=mentions("random_search", "trials", f"got {trials}")):
        impl.metrics.random_search(lambda lr, reg: 0.0, rng(), trials)
