"""The trusted gradient check: a one-sided second-order stencil in float64, never the student's.

    d f / d x  ~  (4 (f(x + h/2) - f(x)) - (f(x + h) - f(x))) / h

(two forward differences, at h/2 and h, combined so that their first-order errors cancel).
f(x) is evaluated once for all the entries, then each entry costs two forward passes, as
central differences would. The error, h**2/12 times the third derivative, is second
order in h; with h = 2**-14 the worst error over the reference layers is below 4e-8 of
what the checks allow (benchmarks/gradient_errors.py). h is a power of two: x + h/2 and
x + h are exact for any float64 |x| < 2**37, so the steps divided by are the steps
taken, and the stencil only reads a[i] in [a[i], a[i] + h]. Written in differences from
f(x), it is exactly 0 where the output does not depend on a[i]. An entry passes when
|analytic - numeric| <= tol * (|analytic| + |numeric|), or when the difference is
within the noise floor of the evaluations.

Checks differentiate L = sum(f(x) * dout) for a random, non-uniform ``dout`` (an
all-ones dout hides bugs that cancel across a row). Big tensors are checked on a
random sample of coordinates.
"""
import numpy as np

from grader.remote import shifted

from .checks import assert_array, diagnose, fmt_shape

STEP = 2.0 ** -14


def sample_indices(shape, rng, max_coords):
    """All multi-indices of ``shape`` if few, else ``max_coords`` random distinct ones."""
    size = int(np.prod(shape))
    flat = np.arange(size) if size <= max_coords else rng.choice(size, max_coords, replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def numerical_gradient(f, call, perturb, indices, h=STEP):
    """{i: d f(fn(*args)) / d a[i]} at each index i of an array a, by the stencil above.

    ``call``: ``(fn, args)`` or ``(fn, args, kwargs)``; ``perturb``: the position in
    ``args`` of the array a, or ``(obj, "params", "W")`` for an array of an object.
    ``f`` reduces one output to a float, here in the checks: the code under test only
    evaluates ``fn`` (all the calls in one request), and every entry is restored.
    The stencil reads a[i] in [a[i], a[i] + h] only.
    """
    base, outputs = shifted(*call[:2], perturb, indices, (h / 2, h), *call[2:])
    at_x = f(base)
    return {i: (4.0 * (f(half) - at_x) - (f(whole) - at_x)) / h
            for i, (half, whole) in zip(indices, outputs)}


def assert_gradient(name, analytic, numeric, shape, tol=1e-6, floor=1e-8):
    """Analytic gradient ``analytic`` (full array) against ``numeric`` ({index: value}).

    An entry fails when its error exceeds both ``tol * (|analytic| + |numeric|)`` and
    ``floor * max(1, max |numeric|)``: the stencil carries ~1e-10 of noise, which is
    large next to a gradient entry of 1e-5. Returns the largest error as a fraction
    of what is allowed (at most 1 when the check passes).
    """
    assert_array(name, analytic, shape, np.float64)
    idx = list(numeric)
    a = np.array([analytic[i] for i in idx])
    n = np.array([numeric[i] for i in idx])
    err = np.abs(a - n)
    noise = floor * max(1.0, float(np.abs(n).max(initial=0.0)))
    allowed = np.maximum(tol * (np.abs(a) + np.abs(n)), noise)
    wrong = err > allowed
    if wrong.any():
        worst = int(np.argmax(np.where(wrong, err / allowed, -1.0)))
        size = abs(a[worst]) + abs(n[worst])        # > 0, since that entry is wrong
        raise AssertionError(
            f"{name} {fmt_shape(shape)} {analytic.dtype}: max rel error {err[worst] / size:.3g} "
            f"(tolerance {tol:g}) over {len(idx)} checked entries; worst at index "
            f"{idx[worst]}: numerical {n[worst]:.10g}, got {a[worst]:.10g}." + (
                diagnose(a, n) if np.any(n) else f" The numerical gradient is zero: the output "
                f"does not depend on {_input_of(name)} (is it used in forward?)"))
    return float((err / allowed).max(initial=0.0))


def _input_of(name):
    """'grads["W"]' -> 'params["W"]', 'dx' -> 'x': what a gradient differentiates by."""
    return "params" + name[5:] if name.startswith("grads") else name.removeprefix("d")


def check_layer_gradients(layer, x, rng, max_coords=40, tol=1e-6):
    """Gradient-check ``dx`` and every ``grads[k]`` of ``layer`` at input ``x`` (float64).

    Returns {name: its largest error as a fraction of what is allowed}.
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
