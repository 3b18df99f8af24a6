"""The trusted gradient check: central differences in float64, never the student's.

    rel_error(a, n) = |a - n| / max(1e-8, |a| + |n|)

Checks differentiate L = sum(f(x) * dout) for a random, non-uniform ``dout`` (an
all-ones dout hides bugs that cancel across a row). Big tensors are checked on a
random sample of coordinates: each costs two forward passes.
"""
import numpy as np

from grader.remote import central

from .checks import assert_array, diagnose, fmt_shape


def rel_error(a, n):
    return np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))


def sample_indices(shape, rng, max_coords):
    """All multi-indices of ``shape`` if few, else ``max_coords`` random distinct ones."""
    size = int(np.prod(shape))
    flat = np.arange(size) if size <= max_coords else rng.choice(size, max_coords, replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def numerical_gradient(f, call, perturb, indices, h=1e-5):
    """{i: d f(fn(*args)) / d a[i]} by central differences at each index i of an array a.

    ``call``: ``(fn, args)`` or ``(fn, args, kwargs)``; ``perturb``: the position in
    ``args`` of the array a, or ``(obj, "params", "W")`` for an array of an object.
    ``f`` reduces one output to a float, here in the checks: the code under test only
    evaluates ``fn`` (all the perturbed calls in one request), and every entry is
    restored.
    """
    outputs = central(*call[:2], perturb, indices, h, *call[2:])
    return {i: (f(plus) - f(minus)) / (2 * h) for i, (plus, minus) in zip(indices, outputs)}


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
    noise = floor * max(1.0, float(np.abs(n).max(initial=0.0)))
    wrong = (rel > tol) & (np.abs(a - n) > noise)
    if wrong.any():
        worst = int(np.argmax(np.where(wrong, rel, -1.0)))
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

    def loss(out):
        return float(np.sum(out * dout))

    layer.forward(x.copy())
    dx = layer.backward(dout.copy())
    grads = layer.grads
    forward = (layer.forward, (x,))
    errors = {"dx": assert_gradient("dx", dx, numerical_gradient(
        loss, forward, 0, sample_indices(x.shape, rng, max_coords)), x.shape, tol)}
    for key, param in layer.params.items():
        if key not in grads:
            raise AssertionError(f'grads["{key}"] is missing after backward '
                                 f"(grads has keys {sorted(grads)})")
        numeric = numerical_gradient(loss, forward, (layer, "params", key),
                                     sample_indices(param.shape, rng, max_coords))
        errors[key] = assert_gradient(f'grads["{key}"]', grads[key], numeric, param.shape, tol)
    return errors
