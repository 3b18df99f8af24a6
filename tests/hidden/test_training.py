"""Hidden checks of mini-batch SGD (exercise ``training``) on random data.

A trusted loop of gradient descent on a Linear > softmax model, and the batch schedule spelt
out permutation by permutation: both are the answer to ``train``, so they stay out of the
handout. The visible suite (tests/suites/test_training.py) holds a frozen known answer and
the properties of the schedule; its helpers build the models and the data.
"""
import numpy as np
import pytest

from tests.checks import assert_close
from tests.suites.test_training import linear_model, minibatches_seen
from tests.trusted_models import softmax_loss

pytestmark = pytest.mark.exercise("training")


def test_train_full_batch_is_gradient_descent(impl, rng):
    X, y = rng.standard_normal((12, 2)), rng.integers(0, 3, 12)
    model = linear_model(impl, rng, reg=0.1)
    W, b = model.layers[0].params["W"].copy(), model.layers[0].params["b"].copy()
    history = impl.training.train(model, X, y, rng, steps=3, lr=0.5, batch_size=None)
    losses = []
    for _ in range(3):                               # trusted gradient descent, same start
        loss, ds = softmax_loss(X @ W + b, y)
        losses.append(loss + 0.05 * np.sum(W * W))
        W, b = W - 0.5 * (X.T @ ds + 0.1 * W), b - 0.5 * ds.sum(axis=0)
    assert_close("history.loss (one loss per step, before its update)",
                 np.array(history.loss), np.array(losses))
    assert_close('params["W"] after 3 full-batch steps: W <- W - lr * dL/dW', model.layers[0].params["W"], W)
    assert_close('params["b"] after 3 full-batch steps', model.layers[0].params["b"], b)


@pytest.mark.parametrize("batch_size", [3, 4, 5], ids=["batch=3", "batch=4", "batch=5-divides-N"])
def test_train_minibatches_follow_the_permutations(impl, rng, batch_size):
    n, steps = 10, 8
    seed, seen = minibatches_seen(impl, rng, n, steps, batch_size)
    expected, mine = [], np.random.default_rng(seed)
    while len(expected) < steps:
        perm = mine.permutation(n)
        expected += [perm[k * batch_size:(k + 1) * batch_size] for k in range(n // batch_size)]
    for step, (xb, idx) in enumerate(zip(seen, expected[:steps]), start=1):
        rows = np.floor(xb[:, 0]).astype(int)
        assert_close(f"rows of X in batch {step} (one permutation per epoch, from rng, "
                     f"batches of {batch_size}, a new permutation when no whole batch is left)",
                     rows, idx.astype(int))
