"""Trusted comparisons: type, shape, dtype and finiteness first, then values with a diagnosis.

What the code under test returns arrives from the executor as plain data (see
grader.wire): an exact ``ndarray``, a Python or numpy scalar, or a proxy for
anything else, which these checks name by its type and refuse.
"""
import numpy as np

from grader.remote import type_name

LIKELY_RATIOS = {2.0: "twice the expected value: a missing 0.5 or 1/2, or a term counted twice?",
                 0.5: "half the expected value: an extra 0.5 or a missing factor 2?",
                 -1.0: "the expected value with the opposite sign: a sign flip?"}


def fmt_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


NOT_FINITE = "an exp() that overflows? shift by the max, or a division by 0"


def assert_array(name, got, shape, dtype, not_finite=NOT_FINITE):
    """``got`` is exactly an ndarray (no subclass) of ``shape`` and ``dtype``, all finite;
    ``not_finite`` is the likely cause given for NaN or inf entries."""
    if type(got) is not np.ndarray:
        raise AssertionError(f"{name}: expected a numpy array of shape {fmt_shape(shape)}, "
                             f"got {type_name(got)}")
    if got.shape != tuple(shape):
        hint = ""
        if got.ndim == 2 and got.shape == tuple(shape)[::-1]:
            hint = " (transposed?)"
        elif got.size == int(np.prod(shape)):
            hint = " (right size, wrong shape: a reshape or a missing keepdims?)"
        raise AssertionError(f"{name}: expected shape {fmt_shape(shape)}, "
                             f"got shape {fmt_shape(got.shape)}{hint}")
    if got.dtype != np.dtype(dtype):
        raise AssertionError(f"{name}: expected dtype {np.dtype(dtype)}, got dtype {got.dtype}"
                             f" (keep the input's dtype; avoid creating arrays without dtype=)")
    finite = np.isfinite(got)
    if not np.all(finite):
        where = np.unravel_index(int(np.argmax(~finite)), got.shape)
        raise AssertionError(f"{name}: contains {np.count_nonzero(~finite)} NaN/inf entries, "
                             f"first at index {tuple(int(i) for i in where)} "
                             f"({not_finite})")


def assert_float(name, got, expected, rtol=1e-7, atol=1e-12, not_finite=NOT_FINITE):
    """``got`` is a finite real scalar (Python float or numpy floating) close to ``expected``."""
    if type(got) not in (float, np.float64, np.float32):
        raise AssertionError(f"{name}: expected a float, got {type_name(got)} {got!r:.60}")
    if not np.isfinite(got):
        raise AssertionError(f"{name}: got {got} ({not_finite})")
    got, expected = float(got), float(expected)
    if abs(got - expected) > atol + rtol * abs(expected):
        raise AssertionError(f"{name}: expected {expected!r}, got {got!r}."
                             + _ratio_hint(np.array([got]), np.array([expected])))


def diagnose(got, expected, n=None):
    """A sentence naming the likely cause of ``got`` != ``expected`` (same shape), or ''."""
    if not np.any(got) and np.any(expected):
        return " Got all zeros: is the value ever computed or the gradient ever set?"
    hint = _ratio_hint(got, expected, n)
    if hint:
        return hint
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got.T, expected):
        return " Got the transpose of the expected array."
    return _offset_hint(got - expected)


def _offset_hint(diff):
    """The error is one constant, or the same in every row: a missing or extra added term."""
    if diff.size < 2:
        return ""
    flat = diff.reshape(-1)
    if _close(flat, np.array([flat[0]] * flat.size)):
        return (f" Every entry is off by the same {float(flat[0]):.6g}: "
                f"a constant term missing or added?")
    if diff.ndim == 2 and diff.shape[0] > 1 and _close(diff, np.array([diff[0]] * diff.shape[0])):
        return (" The error is the same in every row (it depends only on the column): "
                "a per-column term such as a bias missing, added twice or with the wrong sign?")
    return ""


def _close(a, b, rtol=1e-6):
    return bool(np.all(np.abs(a - b) <= rtol * (np.abs(a) + np.abs(b)) + 1e-12))


def _ratio_hint(got, expected, n=None):
    mask = np.abs(expected) > 1e-12 * max(1.0, float(np.abs(expected).max(initial=0.0)))
    if not np.any(mask):
        return ""
    ratios = got[mask] / expected[mask]
    ratio = float(np.median(ratios))
    if float(np.ptp(ratios)) > 1e-6 * max(1.0, abs(ratio)):
        return ""
    if abs(ratio - 1.0) < 1e-5:                  # a tiny error, not a constant factor
        return ""
    candidates = dict(LIKELY_RATIOS)
    if n and n > 2:
        candidates[float(n)] = (f"{n} times the expected value (N = {n}): "
                                f"a missing 1/N, or a sum where a mean is due?")
        candidates[1.0 / n] = f"1/{n} of the expected value (N = {n}): divided by N twice?"
    for value, text in candidates.items():
        if abs(ratio - value) <= 1e-6 * abs(value):
            return f" Got {text}"
    return f" Got the expected array times {ratio:.6g}: a wrong constant factor?"


def assert_close(name, got, expected, rtol=1e-7, atol=1e-12, n=None, extras=None):
    """``got`` has ``expected``'s type, shape and dtype, and every entry is close to it.

    An entry fails when |got - expected| > atol + rtol * |expected|.
    The message gives the max abs and rel errors, the worst index and a likely cause.
    ``n`` (the batch size) lets the diagnosis recognise a missing 1/N; ``extras``
    ({name: array}) the terms a mistake may add (got = expected + c * extras[name]).
    """
    expected = np.asarray(expected)
    assert_array(name, got, expected.shape, expected.dtype)
    err = np.abs(got - expected)
    bad = err > atol + rtol * np.abs(expected)
    if np.any(bad) and got.ndim == 0:          # a scalar, said as one
        raise AssertionError(f"{name} ({got.dtype}): expected {float(expected):.10g}, got "
                             f"{float(got):.10g}." + diagnose(got.reshape(1), expected.reshape(1), n))
    if np.any(bad):
        rel = err / np.maximum(1e-8, np.abs(got) + np.abs(expected))
        worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
        raise AssertionError(
            f"{name} {fmt_shape(got.shape)} {got.dtype}: {np.count_nonzero(bad)} of {err.size} "
            f"entries differ; "
            f"max abs error {float(err.max()):.3g}, max rel error {float(rel.max()):.3g}; "
            f"worst at index {worst}: expected {float(expected[worst]):.10g}, "
            f"got {float(got[worst]):.10g}." + (_extra_term_hint(got - expected, extras or {})
                                                or diagnose(got, expected, n)))


def _extra_term_hint(diff, extras):
    """' Got the expected array plus 0.1 × params["W"]: ...' when the error is a multiple of one."""
    for label, term in extras.items():
        term = np.asarray(term, dtype=np.float64)
        if term.shape != diff.shape or not np.any(term):
            continue
        factor = float(np.sum(diff * term) / np.sum(term * term))
        if factor and _close(diff, factor * term):
            return (f" Got the expected array plus {factor:.4g} × {label}: an extra term "
                    f"(one that belongs elsewhere, such as a penalty the model adds)?")
    return ""


def is_slip(got, wrong, right, rtol=1e-7, atol=1e-10):
    """``got`` is what a known slip computes (``wrong``), and the slip does change the result."""
    wrong = np.asarray(wrong, dtype=np.float64)
    return (type(got) is np.ndarray and got.shape == wrong.shape
            and np.allclose(got, wrong, rtol=rtol, atol=atol)
            and not np.allclose(wrong, right, rtol=rtol, atol=atol))


def assert_no_slip(name, got, right, slips, rtol=1e-7, atol=1e-10):
    """Fail naming the cause when ``got`` is what a known slip gives ({cause: wrong result})."""
    for cause, wrong in slips.items():
        if is_slip(got, wrong, right, rtol, atol):
            raise AssertionError(f"{name}: {cause}.")


def snapshot(*arrays):
    """Copies of the inputs, to check later with ``assert_unchanged``."""
    return [np.array(a, copy=True) for a in arrays]


IN_PLACE = ("compute into a new array instead of writing into the input "
            "(x = x - m, not x -= m; np.maximum(x, 0), not x[x < 0] = 0)")


def assert_unchanged(name, before, after, advice=IN_PLACE):
    """The caller's input was not modified in place; ``advice`` says how to avoid it."""
    if not np.array_equal(before, after):
        raise AssertionError(f"{name} was modified in place: {advice}")
