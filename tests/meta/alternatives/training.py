"""Training: mini-batch stochastic gradient descent, predictions and accuracy.

    history = train(model, X, y, rng, steps=2000, lr=1.0, batch_size=None)
    accuracy(predict(model, X), y)

One step draws a batch, runs ``model.loss`` (forward, loss, backward) and moves every
parameter against its gradient: p <- p - lr * dL/dp. Each pass over the data (an
epoch) uses a fresh permutation from ``rng``, applied to X and y together.
"""
import numpy as np

from .inputs import as_float_array, check_batch, check_labels, check_rng


class History:
    """What training records.

    loss: list of floats, one per step (the batch loss, penalty included)
    steps, accuracy: lists of equal length: after step ``steps[k]`` the training
    accuracy on the whole of X was ``accuracy[k]``
    """

    def __init__(self):
        self.loss, self.steps, self.accuracy = [], [], []

    def __repr__(self):
        last = f", accuracy {self.accuracy[-1]:.3f}" if self.accuracy else ""
        return f"History({len(self.loss)} steps{last})"


def predict(model, X):
    """labels = head.predict(model.forward(X)), in evaluation mode (model.eval()).

    Inputs:  model: a Sequential; X: (N, D) float
    Returns: labels: (N,) int64
    """
    X = as_float_array(X, "X", "predict")
    # BEGIN SOLUTION
    model.eval()
    scores = model.forward(X)
    return np.asarray(model.head.predict(scores), dtype=np.int64)
    # END SOLUTION


def accuracy(labels, y):
    """acc = mean_i [labels_i == y_i].

    Inputs:  labels: (N,) int, predictions; y: (N,) int, true labels
    Returns: acc: float in [0, 1]
    """
    labels, y = np.asarray(labels), np.asarray(y)
    if labels.shape != y.shape or labels.ndim != 1:
        raise ValueError(f"accuracy: labels and y must both have shape (N,), "
                         f"got {labels.shape} and {y.shape}")
    # BEGIN SOLUTION
    return np.count_nonzero(labels == y) / labels.size
    # END SOLUTION


def train(model, X, y, rng, steps=1000, lr=1.0, batch_size=None, eval_every=100, on_step=None,
          optimizer=None):
    """For each step: p <- p - lr * dL_batch/dp for every parameter p of ``model``;
    or, when an ``optimizer`` is given, optimizer.step() instead (it holds its own lr).

    Batches: B = min(batch_size, N) (all of X when batch_size is None or >= N).
    When B < N, each epoch draws one permutation perm = rng.permutation(N) and
    takes X[perm[k*B:(k+1)*B]] with y[perm[k*B:(k+1)*B]], for k = 0, 1, ... while
    a whole batch remains; then the next epoch draws a new permutation.
    The model is in training mode (model.train()) for every step, and is left in it.
    Randomness comes from ``rng`` only (never np.random); X and y are not modified.
    After step s (counted from 1), when s % eval_every == 0 or s == steps, record
    s and accuracy(predict(model, X), y) in the history. Then call on_step(s, loss)
    if on_step is given.

    Inputs:  model: a Sequential; X: (N, D) float; y: (N,) int
             rng: np.random.Generator; steps: int >= 1; lr: float > 0
             optimizer: None, or an optimizer over model.parameters() (see optim.py)
    Returns: History with loss: ``steps`` floats, and the recorded steps and accuracies
    """
    X = check_batch(X, "train", name="X")
    y = check_labels(y, len(X), "train", f" to match X {X.shape}")
    check_rng(rng, "train")
    if steps < 1 or lr <= 0 or eval_every < 1:
        raise ValueError(f"train: need steps >= 1, lr > 0, eval_every >= 1; "
                         f"got steps={steps}, lr={lr}, eval_every={eval_every}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"train: batch_size must be >= 1 (or None: full batch), "
                         f"got {batch_size}")
    n = len(X)
    batch = n if batch_size is None else min(int(batch_size), n)
    history = History()
    # BEGIN SOLUTION
    step = 0
    while step < steps:                         # one epoch per pass of this loop
        if batch < n:
            perm = rng.permutation(n)
            epoch = [perm[k:k + batch] for k in range(0, n - batch + 1, batch)]
        else:
            epoch = [None]                      # the full batch: X itself, no shuffle
        for idx in epoch:
            if step == steps:
                break
            step += 1
            xb, yb = (X, y) if idx is None else (X[idx], y[idx])
            model.train()
            loss = float(model.loss(xb, yb))
            if optimizer is None:
                for layer, name in model.parameters():
                    layer.params[name] = layer.params[name] - lr * layer.grads[name]
            else:
                optimizer.step()
            history.loss.append(loss)
            if step == steps or not step % eval_every:
                history.steps.append(step)
                history.accuracy.append(accuracy(predict(model, X), y))
            if on_step is not None:
                on_step(step, loss)
    model.train()
    return history
    # END SOLUTION
