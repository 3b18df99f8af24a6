"""Input checks shared by every layer and loss (given to students, not an exercise).

Each check raises a ValueError that names the caller and the expected and actual
shapes, so a student sees what went wrong at the call, not deep inside numpy.
"""
import numpy as np


def as_float_array(x, name, where):
    """Return ``x`` as a floating ndarray (its own dtype kept), or raise ValueError."""
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if x.dtype.kind != "f":
        raise ValueError(
            f"{where}: {name} must be a float array (float32 or float64), "
            f"got dtype {x.dtype}")
    return x


def check_features(x, where, ndim, features="D", name="x"):
    """Check a float input of ``ndim`` dimensions whose last axis has ``features`` entries.

    ``features``: an int to check, or a letter ("D", "C") that only names the axis.
    """
    x = as_float_array(x, name, where)
    if x.ndim != ndim:
        expected = f"shape (N, {features})" if ndim == 2 else f"{ndim} dimensions"
        raise ValueError(f"{where}: {name} must have {expected}, got shape {x.shape}")
    if isinstance(features, int) and x.shape[-1] != features:
        raise ValueError(
            f"{where}: {name} must have {features} features in its last axis "
            f"(shape (N, {features})), got shape {x.shape}")
    return x


def check_batch(x, where, name="x"):
    """Check a batch of examples: a float array of shape (N, ...), at least two dimensions
    ((N, D) for an MLP, (N, C, H, W) for a CNN)."""
    x = as_float_array(x, name, where)
    if x.ndim < 2:
        raise ValueError(f"{where}: {name} must have shape (N, D) or (N, C, H, W), "
                         f"got shape {x.shape}")
    return x


def check_same_shape(dout, shape, where, name="dout"):
    """Check an upstream gradient: a float array of exactly ``shape``."""
    if shape is None:
        raise RuntimeError(f"{where}: call forward before backward")
    dout = as_float_array(dout, name, where)
    if dout.shape != tuple(shape):
        raise ValueError(f"{where}: {name} must have shape {tuple(shape)}, got shape {dout.shape}")
    return dout


def check_labels(y, n, where, context=""):
    """Check integer labels of shape (n,); ``context`` says what n comes from."""
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise ValueError(f"{where}: labels y must be integers, got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"{where}: labels y must have shape ({n},){context}, got shape {y.shape}")
    return y


def check_scores_labels(scores, y, where):
    """Check class scores of shape (N, C) and integer labels of shape (N,) in [0, C)."""
    scores = as_float_array(scores, "scores", where)
    if scores.ndim != 2:
        raise ValueError(f"{where}: scores must have shape (N, C), got shape {scores.shape}")
    if 0 in scores.shape:
        raise ValueError(f"{where}: scores must hold at least one example and one class "
                         f"(N, C >= 1), got shape {scores.shape}")
    y = check_labels(y, scores.shape[0], where, f" to match scores {scores.shape}")
    if y.size and (y.min() < 0 or y.max() >= scores.shape[1]):
        raise ValueError(
            f"{where}: labels must lie in [0, {scores.shape[1]}), "
            f"got values from {y.min()} to {y.max()}")
    return scores, y


def check_shape(shape, where):
    """Check a weight shape: a tuple of at least two positive ints."""
    try:
        sizes = tuple(shape)
    except TypeError:
        raise ValueError(f"{where}: shape must be a tuple of ints, got {shape!r}") from None
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in sizes):
        raise ValueError(f"{where}: shape must be a tuple of ints, got {shape!r}")
    shape = tuple(int(s) for s in sizes)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"{where}: shape must hold at least two positive sizes, got {shape}")
    return shape


def check_rng(rng, where):
    """Check that ``rng`` is a numpy Generator (never the global RNG)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}")
    return rng
