"""Gradient checking by hand: compare a backward pass with finite differences.

    num = numerical_gradient(lambda: model.loss(X, y), W)   # perturbs W in place
    relative_error(analytic, num)                           # < 1e-7: the backward is right

The grader checks these two functions against its own trusted helper; it never
uses the student's version to grade anything else.
"""
import numpy as np

from .inputs import as_float_array


def numerical_gradient(f, x, h=1e-5):
    """grad_i = (f() at x_i + h  -  f() at x_i - h) / (2h), for every entry i of x.

    ``f`` takes no argument and reads ``x`` (the very array passed here), e.g.
    ``lambda: model.loss(X, y)`` with x a weight of the model. Each entry of x is
    changed in place, f evaluated, and the entry restored: x ends exactly as it began.

    Inputs:  f: callable () -> float; x: any-shape float array; h: float step
    Returns: grad: array of x's shape and dtype
    """
    x = as_float_array(x, "x", "numerical_gradient")
    if not h > 0:
        raise ValueError(f"numerical_gradient: h must be > 0, got {h}")
    # BEGIN SOLUTION
    grad = np.empty_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        saved = x[i].copy()
        x[i] = saved + h
        up = f()
        x[i] = saved - h
        down = f()
        x[i] = saved                            # put it back before the next entry
        grad[i] = (up - down) / (2 * h)
        it.iternext()
    return grad
    # END SOLUTION


def relative_error(a, b):
    """err = max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|).

    Inputs:  a, b: float arrays of the same shape
    Returns: err: float (0 for identical arrays; about 1e-8 or less for a correct gradient)
    """
    a, b = as_float_array(a, "a", "relative_error"), as_float_array(b, "b", "relative_error")
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"relative_error: a and b must have the same, non-empty shape, "
                         f"got {a.shape} and {b.shape}")
    # BEGIN SOLUTION
    worst = 0.0
    for ai, bi in zip(a.ravel().tolist(), b.ravel().tolist()):
        worst = max(worst, abs(ai - bi) / max(1e-8, abs(ai) + abs(bi)))
    return worst
    # END SOLUTION
