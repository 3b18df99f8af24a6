"""Trusted pieces for the model and training checks: numpy only, never the student's code.

Test models use the doubles of grader.doubles (in the executor) so that one
exercise's checks do not wait on another's; ``softmax_loss`` / ``hinge`` compute
expected values here, in the judge.
"""
import numpy as np

from grader.remote import fill, type_name

from .gradcheck import assert_gradient, numerical_gradient, sample_indices


def onehot(y, c):
    """(N, C) float64 with a 1 at each row's label."""
    return np.eye(c)[y]


def softmax_loss(scores, y):
    """Trusted (loss, dscores) of the mean softmax cross-entropy: log-sum-exp minus the
    correct score, computed in float64; dscores in the dtype of ``scores``."""
    s = scores.astype(np.float64)
    n = len(y)
    m = s.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))
    p = np.exp(s - lse[:, None])
    dscores = (p - onehot(y, s.shape[1])) / n
    return float(np.mean(lse - s[np.arange(n), y])), dscores.astype(scores.dtype)


def hinge(scores, y, delta=1.0):
    """Trusted (loss, dscores) of the mean multiclass hinge loss, computed in float64."""
    s = scores.astype(np.float64)
    n = len(y)
    margins = s - s[np.arange(n), y][:, None] + delta
    margins[np.arange(n), y] = 0.0
    active = (margins > 0).astype(np.float64)
    dscores = (active - onehot(y, s.shape[1]) * active.sum(axis=1, keepdims=True)) / n
    return float(np.sum(margins * active)) / n, dscores.astype(scores.dtype)


PENALTY = {"l2": (lambda W, reg: 0.5 * reg * np.sum(W * W), lambda W, reg: reg * W),
           "l1": (lambda W, reg: reg * np.sum(np.abs(W)), lambda W, reg: reg * np.sign(W))}


def kink_distance(layers, x, y, delta=1.0, penalty="l2"):
    """How far the model's inputs sit from a kink: ReLU at 0, hinge margins at 0, |W| at 0 (L1).

    Recomputed with trusted numpy from the parameters, layer types read by class name.
    """
    a, gaps = x, [np.inf]
    for layer in layers:
        name = type_name(layer)
        if "W" in getattr(layer, "params", {}):
            a = a @ layer.params["W"] + layer.params["b"]
            if penalty == "l1":
                gaps.append(np.abs(layer.params["W"]).min())
        elif name == "ReLU":
            gaps.append(np.abs(a).min())
            a = np.maximum(a, 0)
        elif name in ("Tanh", "TanhLayer"):
            a = np.tanh(a)
        elif name == "Sigmoid":
            a = 1 / (1 + np.exp(-a))
        elif name == "Swish":
            a = a / (1 + np.exp(-layer.beta * a))
    margins = a - a[np.arange(len(y)), y][:, None] + delta
    margins[np.arange(len(y)), y] = np.inf
    gaps.append(np.abs(margins).min())
    return float(min(gaps))


def randomize_biases(layers, rng):
    """Give every bias nonzero values (a zero bias hides a bias that is wrongly penalized)."""
    for layer in layers:
        if "b" in getattr(layer, "params", {}):
            fill(layer, ("params", "b"), rng.standard_normal(layer.params["b"].shape))


def check_model_gradients(model, x, y, rng, max_coords=30, tol=1e-6):
    """Gradient-check model.loss(x, y) against every parameter of every layer (float64)."""
    model.loss(x, y)
    layers = model.layers
    every_grads = [layer.grads for layer in layers]     # copies, safe from the next loss()
    for i, (layer, grads) in enumerate(zip(layers, every_grads)):
        for key, param in layer.params.items():
            name = f'layers[{i}].grads["{key}"]'
            if key not in grads or grads[key] is None:
                raise AssertionError(f"{name} is missing after model.loss(x, y)")
            numeric = numerical_gradient(float, (model.loss, (x, y)), (layer, "params", key),
                                         sample_indices(param.shape, rng, max_coords))
            assert_gradient(name, grads[key], numeric, param.shape, tol)


def require(condition, message):
    """Fail the check with ``message`` unless ``condition`` (no assertion rewriting involved)."""
    if not condition:
        raise AssertionError(message)
