"""Trusted pieces for the model and training checks: numpy only, never the student's code.

Test models use the doubles of grader.doubles (in the executor) so that one
exercise's checks do not wait on another's; ``softmax_loss`` / ``hinge`` / ``PENALTY`` compute
expected values here, in the judge: each value by its definition, each gradient by a complex
step of that value (not the backward formulas the exercises ask for).
"""
import numpy as np

from grader.remote import fill, type_name

from .gradcheck import assert_gradient, numerical_gradient, sample_indices


def onehot(y, c):
    """(N, C) float64 with a 1 at each row's label."""
    return np.eye(c)[y]


COMPLEX_STEP = 1e-30


def complex_step(terms, x):
    """d sum(terms(x)) / dx for ``terms`` (complex array -> complex array) that reads each entry of
    ``x`` in one term only (one row of a loss, one entry of a penalty), computed as Im f(x + ih) / h:
    exact to machine precision, with no difference of values. Each column (each entry, if 1-D) is
    moved at once, since the terms do not mix them."""
    z = np.asarray(x, dtype=np.float64).astype(np.complex128)
    grad = np.zeros(z.shape)
    for column in np.ndindex(z.shape[1:]):
        moved = z.copy()
        moved[(slice(None), *column)] += 1j * COMPLEX_STEP
        grad[(slice(None), *column)] = np.imag(terms(moved)).reshape(len(z), -1).sum(axis=1) / COMPLEX_STEP
    return grad


def _softmax_terms(y):
    """-log of the softmax probability of each row's label: log-sum-exp minus the label's score."""
    rows = np.arange(len(y))

    def terms(s):
        top = s.real.max(axis=1)              # a real shift keeps exp finite
        return top + np.log(np.exp(s - top[:, None]).sum(axis=1)) - s[rows, y]
    return terms


def softmax_loss(scores, y):
    """Trusted (loss, dscores) of the mean softmax cross-entropy over the batch, in float64:
    the loss by its definition (np.logaddexp.reduce is log-sum-exp), dscores by a complex step
    of it; dscores in the dtype of ``scores``."""
    s = scores.astype(np.float64)
    loss = np.mean(np.logaddexp.reduce(s, axis=1) - s[np.arange(len(y)), y])
    dscores = complex_step(_softmax_terms(y), s) / len(y)
    return float(loss), dscores.astype(scores.dtype)


def _hinge_terms(y, delta):
    """Each row's sum over j != y_i of max(0, s_ij - s_iy + delta), by the real part."""
    rows = np.arange(len(y))

    def terms(s):
        margins = s - s[rows, y][:, None] + delta
        active = (margins.real > 0) & (np.arange(s.shape[1]) != y[:, None])
        return np.where(active, margins, 0.0).sum(axis=1)
    return terms


def hinge(scores, y, delta=1.0):
    """Trusted (loss, dscores) of the mean multiclass hinge loss in float64: the loss by its
    definition, dscores by a complex step of it (away from the kinks)."""
    s = scores.astype(np.float64)
    terms = _hinge_terms(y, delta)
    dscores = complex_step(terms, s) / len(y)
    return float(np.mean(terms(s))), dscores.astype(scores.dtype)


def _l2_terms(reg):
    return lambda W: 0.5 * reg * W * W


def _l1_terms(reg):
    return lambda W: reg * np.where(W.real < 0, -W, W)


def _penalty(terms):
    """(value, gradient) of a penalty that sums ``terms(reg)`` over the entries of W: the value
    by the definition, the gradient by a complex step (each entry at once)."""
    def value(W, reg):
        return float(np.sum(np.real(terms(reg)(np.asarray(W, dtype=np.float64)))))

    def gradient(W, reg):
        W = np.asarray(W, dtype=np.float64)
        return np.imag(terms(reg)(W + 1j * COMPLEX_STEP)) / COMPLEX_STEP
    return value, gradient


PENALTY = {"l2": _penalty(_l2_terms), "l1": _penalty(_l1_terms)}


def kink_distance(layers, x, y, delta=1.0, penalty="l2"):
    """How far the model's inputs sit from a kink: ReLU at 0, hinge margins at 0, |W| at 0 (L1).

    The activations come from the layers' own forward passes (a wrong forward fails the
    gradient check that follows anyway); layer types are read by class name.
    """
    a, gaps = np.asarray(x, dtype=np.float64), [np.inf]
    for layer in layers:
        if type_name(layer) == "ReLU":
            gaps.append(np.abs(a).min())
        if penalty == "l1" and "W" in getattr(layer, "params", {}):
            gaps.append(np.abs(layer.params["W"]).min())
        a = layer.forward(a)
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
