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
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)          # (N, C), max 0
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= n
    return float(loss), dscores
    # END SOLUTION


def hinge_loss(scores, y, delta=1.0):
    """L = 1/N * sum_i sum_{j != y_i} max(0, scores_ij - scores_i,y_i + delta)  (multiclass SVM).

    Inputs:  scores: (N, C) float; y: (N,) int in [0, C); delta: float margin
    Returns: loss: float
             dscores: (N, C), same dtype as scores: dL/dscores
    """
    scores, y = check_scores_labels(scores, y, "hinge_loss")
    # BEGIN SOLUTION
    n = scores.shape[0]
    rows = np.arange(n)
    margins = scores - scores[rows, y][:, None] + delta          # (N, C)
    margins[rows, y] = 0.0
    active = margins > 0                                          # (N, C)
    loss = np.where(active, margins, 0.0).sum() / n
    dscores = active.astype(scores.dtype)
    dscores[rows, y] = -active.sum(axis=1)
    dscores /= n
    return float(loss), dscores
    # END SOLUTION


def l2_regularization(W, reg):
    """R = 0.5 * reg * sum(W**2)  (the 1/2 is part of the definition).

    Inputs:  W: any-shape float array; reg: float >= 0
    Returns: loss: float; dW: dR/dW, same shape and dtype as W
    """
    W = as_float_array(W, "W", "l2_regularization")
    # BEGIN SOLUTION
    return float(0.5 * reg * np.sum(W * W)), reg * W
    # END SOLUTION


def l1_regularization(W, reg):
    """R = reg * sum(|W|).

    Inputs:  W: any-shape float array; reg: float >= 0
    Returns: loss: float; dW: dR/dW, same shape and dtype as W, taken as 0 where W = 0
             (|w| has no derivative there; 0 is the convention)
    """
    W = as_float_array(W, "W", "l1_regularization")
    # BEGIN SOLUTION
    return float(reg * np.sum(np.abs(W))), (reg * np.sign(W)).astype(W.dtype, copy=False)
    # END SOLUTION
