"""The trusted gradient check: central differences in float64, never the student's.

    rel_error(a, n) = |a - n| / max(1e-8, |a| + |n|)

Checks differentiate L = sum(f(x) * dout) for a random, non-uniform ``dout`` (an
all-ones dout hides bugs that cancel across a row). Big tensors are checked on a
random sample of coordinates: each costs two forward passes.
"""
import numpy as np

from .checks import assert_array, diagnose, fmt_shape

_abs, _maximum, _argmax = np.abs, np.maximum, np.argmax


def rel_error(a, n):
    return _abs(a - n) / _maximum(1e-8, _abs(a) + _abs(n))


def sample_indices(shape, rng, max_coords):
    """All multi-indices of ``shape`` if few, else ``max_coords`` random distinct ones."""
    size = int(np.prod(shape))
    flat = np.arange(size) if size <= max_coords else rng.choice(size, max_coords, replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def numerical_gradient(f, x, indices, h=1e-5):
    """d f(x) / d x[i] by central differences at each index i; ``f`` returns a float.

    ``x`` is perturbed in place and restored; pass an array the check owns.
    """
    grad = {}
    for i in indices:
        old = x[i]
        x[i] = old + h
        plus = f()
        x[i] = old - h
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def assert_gradient(name, analytic, numeric, shape, tol=1e-6, floor=1e-8):
    """Analytic gradient ``analytic`` (full array) against ``numeric`` ({index: value}).

    An entry fails when its relative error exceeds ``tol`` and its absolute error
    exceeds ``floor * max(1, max |numeric|)``: central differences carry ~1e-10 of
    noise, which is a large relative error on a gradient entry of 1e-5.
    """
    assert_array(name, analytic, shape, np.float64)
    idx = list(numeric)
    a = np.array([analytic[i] for i in idx])
    n = np.array([numeric[i] for i in idx])
    rel = rel_error(a, n)
    noise = floor * max(1.0, float(_abs(n).max(initial=0.0)))
    wrong = (rel > tol) & (_abs(a - n) > noise)
    if wrong.any():
        worst = int(_argmax(np.where(wrong, rel, -1.0)))
        raise AssertionError(
            f"{name} {fmt_shape(shape)} {analytic.dtype}: max rel error {float(rel[worst]):.3g} "
            f"(tolerance {tol:g}) over {len(idx)} checked entries; worst at index "
            f"{idx[worst]}: numerical {n[worst]:.10g}, got {a[worst]:.10g}." + (
                diagnose(a, n) if np.any(n) else f" The numerical gradient is zero: the output "
                f"does not depend on {_input_of(name)} (is it used in forward?)"))
    return float(rel.max())


def _input_of(name):
    """'grads["W"]' -> 'params["W"]', 'dx' -> 'x': what a gradient differentiates by."""
    return "params" + name[5:] if name.startswith("grads") else name.removeprefix("d")


def check_layer_gradients(layer, x, rng, max_coords=40, tol=1e-6):
    """Gradient-check ``dx`` and every ``grads[k]`` of ``layer`` at input ``x`` (float64).

    Returns {name: max relative error}.
    """
    x = np.array(x, dtype=np.float64)
    out = layer.forward(x.copy())
    assert_array("forward output", out, out.shape if type(out) is np.ndarray else (), np.float64)
    dout = rng.standard_normal(out.shape)

    def loss():
        return float(np.sum(layer.forward(x) * dout))

    layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    grads = {k: np.array(v, copy=True) if type(v) is np.ndarray else v
             for k, v in layer.grads.items()}
    errors = {"dx": assert_gradient("dx", dx, numerical_gradient(
        loss, x, sample_indices(x.shape, rng, max_coords)), x.shape, tol)}
    for key, param in layer.params.items():
        if key not in grads:
            raise AssertionError(f'grads["{key}"] is missing after backward '
                                 f"(grads has keys {sorted(grads)})")
        numeric = numerical_gradient(loss, param, sample_indices(param.shape, rng, max_coords))
        errors[key] = assert_gradient(f'grads["{key}"]', grads[key], numeric, param.shape, tol)
    return errors
