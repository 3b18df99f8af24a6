"""Losses: ``loss(scores, y, ...) -> (loss, dscores)``, the mean over the batch.

And the weight penalties ``penalty(W, reg) -> (loss, dW)`` added to them. None
modifies its inputs; every gradient has the dtype of what it differentiates.
"""
import numpy as np

from .inputs import as_float_array, check_scores_labels


def softmax_cross_entropy(scores, y):
    """L = -1/N * sum_i log(softmax(scores_i)[y_i]), computed stably (shift by the row max).

    Inputs:  scores: (N, C) float, unnormalized log-probabilities
             y: (N,) int, labels in [0, C)
    Returns: loss: float (Python or numpy scalar)
             dscores: (N, C), same dtype as scores: dL/dscores
    The loss is finite for any scores (logits of 1000 included).
    """
    scores, y = check_scores_labels(scores, y, "softmax_cross_entropy")
    # BEGIN SOLUTION
    n = len(y)
    top = scores.max(axis=1)                                       # (N,)
    # log sum_j exp(s_ij) = top_i + log sum_j exp(s_ij - top_i): no exp of a positive number
    logsumexp = top + np.log(np.sum(np.exp(scores - top[:, None]), axis=1))
    correct = scores[np.arange(n), y]                              # (N,)
    loss = np.sum(logsumexp - correct) / n
    probs = np.exp(scores - logsumexp[:, None])                    # softmax, (N, C)
    for i, label in enumerate(y):
        probs[i, label] -= 1.0                                     # p - onehot(y)
    return float(loss), probs / n
    # END SOLUTION


def hinge_loss(scores, y, delta=1.0):
    """L = 1/N * sum_i sum_{j != y_i} max(0, scores_ij - scores_i,y_i + delta)  (multiclass SVM).

    Inputs:  scores: (N, C) float; y: (N,) int in [0, C); delta: float margin
    Returns: loss: float
             dscores: (N, C), same dtype as scores: dL/dscores
    """
    scores, y = check_scores_labels(scores, y, "hinge_loss")
    # BEGIN SOLUTION
    n, c = scores.shape
    total = 0.0
    dscores = np.zeros_like(scores)
    for i in range(n):
        correct = scores[i, y[i]]
        for j in range(c):
            if j == y[i]:
                continue
            margin = scores[i, j] - correct + delta
            if margin > 0:
                total += margin
                dscores[i, j] += 1              # the wrong class pushes up ...
                dscores[i, y[i]] -= 1           # ... and the correct class down
    return float(total) / n, dscores / n
    # END SOLUTION


def l2_regularization(W, reg):
    """R = 0.5 * reg * sum(W**2)  (the 1/2 is part of the definition).

    Inputs:  W: any-shape float array; reg: float >= 0
    Returns: loss: float; dW: dR/dW, same shape and dtype as W
    """
    W = as_float_array(W, "W", "l2_regularization")
    # BEGIN SOLUTION
    flat = W.ravel()
    loss = 0.5 * reg * float(np.dot(flat, flat))
    dW = W.copy()
    dW *= reg
    return loss, dW
    # END SOLUTION


def l1_regularization(W, reg):
    """R = reg * sum(|W|).

    Inputs:  W: any-shape float array; reg: float >= 0
    Returns: loss: float; dW: dR/dW, same shape and dtype as W, taken as 0 where W = 0
             (|w| has no derivative there; 0 is the convention)
    """
    W = as_float_array(W, "W", "l1_regularization")
    # BEGIN SOLUTION
    loss = reg * float(np.abs(W).sum())
    dW = np.zeros_like(W)
    dW[W > 0] = reg
    dW[W < 0] = -reg
    return loss, dW
    # END SOLUTION
