"""Checks for the initializers (exercises ``init_basic``, ``xavier`` and ``he``).

Random initializers are checked on one large seeded draw (n >= 73,728 entries):

- mean: |mean| <= 8 standard errors (8 * s / sqrt(n)); a false alarm has
  probability ~1e-15, while any one-sided draw (U(0, a), rng.random()) is off by
  about s, i.e. > 100 standard errors.
- variance: within 5 % of the formula.  One standard error of a sample variance is
  sqrt((kurtosis - 1) / n) of it: 0.52 % (normal) and 0.33 % (uniform) at
  n = 73,728, less at n = 240,000, so 5 % is >= 9.6 standard errors wide.  The
  nearest wrong formula we know of is 17 % away (fan_out instead of
  fan_in + fan_out on (400, 600): 2/600 vs 2/1000, or 1/600); sqrt(1/fan) instead
  of sqrt(2/fan), fan_in only, or sqrt(3/fan) for a uniform are 25 % to 200 % away.
- kurtosis E[W^4] / Var^2: 3 for a normal, 1.8 for a uniform, tolerance 0.15
  (>= 8 standard errors of sqrt(24 / n) for a normal), so a uniform drawn where
  a normal is due (or back) fails even when its variance is right.
- uniform: every |W| <= a, and the extremes reach past a * (1 - 1e-3) on both
  sides (missing that by chance has probability (1 - 5e-4)^n < 1e-16).
"""
import math
from typing import NamedTuple

import numpy as np
import pytest

from grader.remote import type_name
from tests.checks import assert_array, assert_close

LINEAR, CONV = (400, 600), (128, 64, 3, 3)
# (fan_in, fan_out) of each, worked out by hand: a conv's receptive field 3 * 3 = 9 multiplies
# both the 64 input and the 128 output channels.
FANS = {LINEAR: (400, 600), CONV: (576, 1152)}
MEAN_SE, VAR_RTOL, KURT_TOL, EDGE = 8.0, 0.05, 0.15, 1e-3
KURTOSIS = {"normal": 3.0, "uniform": 1.8}


class Init(NamedTuple):
    exercise: str
    name: str
    kind: str                  # "normal" or "uniform"
    formula: str               # the variance, as the docstring states it
    kwargs: dict


RANDOM_INITS = [
    Init("init_basic", "small_normal", "normal", "std^2", {}),
    Init("xavier", "xavier_uniform", "uniform", "gain^2 * 2 / (fan_in + fan_out)", {}),
    Init("xavier", "xavier_normal", "normal", "gain^2 * 2 / (fan_in + fan_out)", {}),
    Init("he", "he_uniform", "uniform", "2 / fan_in", {}),
    Init("he", "he_normal", "normal", "2 / fan_in", {}),
]
# A second case per initializer: a convolution shape, and a non-default argument.
SECOND_KWARGS = {"small_normal": {"std": 0.5}, "xavier_uniform": {"gain": math.sqrt(2.0)},
                 "xavier_normal": {"gain": math.sqrt(2.0)}}
# The variance each case must have, worked out by hand from the docstrings' formulas and FANS:
# std 0.01 and 0.5; Xavier 2 / (400 + 600) and, with gain^2 = 2, 4 / (576 + 1152);
# He 2 / 400 and 2 / 576.
VARIANCE = {
    ("small_normal", LINEAR): 1e-4, ("small_normal", CONV): 0.25,
    ("xavier_uniform", LINEAR): 0.002, ("xavier_uniform", CONV): 1 / 432,
    ("xavier_normal", LINEAR): 0.002, ("xavier_normal", CONV): 1 / 432,
    ("he_uniform", LINEAR): 0.005, ("he_uniform", CONV): 1 / 288,
    ("he_normal", LINEAR): 0.005, ("he_normal", CONV): 1 / 288,
}


def label(shape):
    return "x".join(str(s) for s in shape)


def call_id(init, shape, kwargs):
    args = "".join(f", {k}={v:.4g}" for k, v in kwargs.items())
    return f"{init.name}({shape}, rng{args})"


def cases():
    for init in RANDOM_INITS:
        for shape, kwargs in [(LINEAR, init.kwargs), (CONV, SECOND_KWARGS.get(init.name, {}))]:
            extra = "".join(f"-{k}={v:.3g}" for k, v in kwargs.items())
            yield pytest.param(init, shape, kwargs, marks=pytest.mark.exercise(init.exercise),
                               id=f"{init.name}-{label(shape)}{extra}")


def per_init():
    for init in RANDOM_INITS:
        yield pytest.param(init, marks=pytest.mark.exercise(init.exercise), id=init.name)


def assert_distribution(name, W, init, shape):
    """W has the mean, variance, kurtosis (and, if uniform, range) that ``init`` promises
    for ``shape`` (LINEAR with the default arguments, or CONV with SECOND_KWARGS)."""
    fan_in, fan_out = FANS[shape]
    var = VARIANCE[init.name, shape]
    std = math.sqrt(var)
    w = W.astype(np.float64).ravel()
    n = w.size
    mean = float(w.mean())
    if abs(mean) > MEAN_SE * std / math.sqrt(n):
        raise AssertionError(f"{name}: mean {mean:.4g}, expected 0 (within "
                             f"±{MEAN_SE * std / math.sqrt(n):.2g} over {n} entries): "
                             f"the draw must be symmetric around 0")
    squares = np.square(w - mean)
    got_var = float(squares.mean())
    if abs(got_var / var - 1.0) > VAR_RTOL:
        fans_text = f" with fan_in={fan_in}, fan_out={fan_out}" if "fan" in init.formula else ""
        raise AssertionError(
            f"{name}: variance {got_var:.5g}, expected {var:.5g} = {init.formula}{fans_text} "
            f"(within {VAR_RTOL:.0%}); got "
            f"{got_var / var:.3g} times the expected variance: " + (
                "check the scale formula and which fans it uses" if fans_text else
                f"the standard deviation is sqrt of the variance (got std {math.sqrt(got_var):.4g}, "
                f"expected {std:.4g}): std, not std**2"))
    kurt = float(np.mean(squares * squares)) / got_var ** 2
    if abs(kurt - KURTOSIS[init.kind]) > KURT_TOL:
        other = "uniform" if init.kind == "normal" else "normal"
        raise AssertionError(
            f"{name}: kurtosis {kurt:.3f}, expected {KURTOSIS[init.kind]} for a {init.kind} "
            f"distribution ({other}: {KURTOSIS[other]}): drew from a {other} distribution?")
    if init.kind == "uniform":
        limit = math.sqrt(3.0 * var)                  # U(-a, a) has variance a^2 / 3
        slack = 4 * np.finfo(W.dtype).eps * limit
        if w.max() > limit + slack or w.min() < -limit - slack:
            raise AssertionError(f"{name}: entries reach [{w.min():.6g}, {w.max():.6g}], "
                                 f"outside [-a, a] with a = sqrt(3 * Var) = {limit:.6g}")
        if w.max() < limit * (1 - EDGE) or w.min() > -limit * (1 - EDGE):
            raise AssertionError(f"{name}: entries only span [{w.min():.6g}, {w.max():.6g}] "
                                 f"over {n} draws; expected to come within {EDGE:g}·a of ±a, "
                                 f"a = {limit:.6g}")


# ----------------------------------------------------------------- init_basic

SHAPES = [pytest.param((4, 3), None, id="4x3-default-dtype"),
          pytest.param((8, 3, 5, 5), np.float32, id="8x3x5x5-float32")]


@pytest.mark.exercise("init_basic")
@pytest.mark.parametrize("shape,dtype", SHAPES)
def test_zeros_known_answer(impl, shape, dtype):
    kwargs = {} if dtype is None else {"dtype": dtype}
    got = impl.initializers.zeros(shape, **kwargs)
    assert_close(f"zeros({shape})", got, np.zeros(shape, dtype or np.float64), rtol=0, atol=0)


@pytest.mark.exercise("init_basic")
@pytest.mark.parametrize("shape,dtype", SHAPES)
@pytest.mark.parametrize("value", [0.25, -1.5])
def test_constant_known_answer(impl, shape, dtype, value):
    kwargs = {} if dtype is None else {"dtype": dtype}
    got = impl.initializers.constant(shape, value, **kwargs)
    assert_close(f"constant({shape}, {value})", got, np.full(shape, value, dtype or np.float64),
                 rtol=0, atol=0)


# ---------------------------------------------------------------------- xavier

@pytest.mark.exercise("xavier")
@pytest.mark.parametrize("shape,expected", [
    pytest.param((4, 3), (4, 3), id="linear-4x3"),
    pytest.param((3, 4), (3, 4), id="linear-3x4"),
    pytest.param((8, 3, 5, 5), (75, 200), id="conv2d-8x3x5x5"),
    pytest.param((16, 4, 3), (12, 48), id="conv1d-16x4x3"),
])
def test_fans_known_answer(impl, shape, expected):
    got = impl.initializers.fans(shape)
    if (not isinstance(got, tuple) or len(got) != 2
            or not all(isinstance(f, (int, np.integer)) for f in got)):
        raise AssertionError(f"fans({shape}): expected a tuple of two ints (fan_in, fan_out), "
                             f"got {type_name(got)} {got!r:.80}")
    if tuple(int(f) for f in got) != expected:
        hint = " (swapped?)" if tuple(got) == expected[::-1] else ""
        if len(shape) > 2 and tuple(got) in ((shape[1], shape[0]), (shape[0], shape[1])):
            hint = " (the receptive field kh*kw, or k, multiplies both fans)"
        raise AssertionError(f"fans({shape}): expected (fan_in, fan_out) = {expected}, "
                             f"got {tuple(int(f) for f in got)}{hint}")


# ------------------------------------------- every random initializer (all three)

@pytest.mark.parametrize("init,shape,kwargs", list(cases()))
def test_init_distribution(impl, rng, init, shape, kwargs):
    W = getattr(impl.initializers, init.name)(shape, rng, **kwargs)
    name = call_id(init, shape, kwargs)
    assert_array(name, W, shape, np.float64)
    assert_distribution(name, W, init, shape)


@pytest.mark.parametrize("init", list(per_init()))
def test_init_float32_keeps_dtype(impl, rng, init):
    W = getattr(impl.initializers, init.name)(LINEAR, rng, dtype=np.float32)
    name = f"{init.name}({LINEAR}, rng, dtype=float32)"
    assert_array(name, W, LINEAR, np.float32)
    assert_distribution(name, W, init, LINEAR)


def global_state():
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return kind, keys.tobytes(), pos, has_gauss, cached


@pytest.mark.parametrize("init", list(per_init()))
def test_init_uses_only_given_rng(impl, init):
    fn, shape = getattr(impl.initializers, init.name), (20, 30)
    name = f"{init.name}({shape}, rng)"
    before = global_state()
    rng_a, rng_b = np.random.default_rng(1234), np.random.default_rng(1234)
    fresh = np.random.default_rng(1234).bit_generator.state
    a, b = fn(shape, rng_a), fn(shape, rng_b)
    assert_array(name, a, shape, np.float64)
    assert_array(name, b, shape, np.float64)
    if not np.array_equal(a, b):
        raise AssertionError(f"{name}: two Generators with the same seed gave different arrays: "
                             f"draw every number from the rng argument")
    if rng_a.bit_generator.state == fresh:
        raise AssertionError(f"{name}: the rng argument was never used (its state did not "
                             f"advance): draw from rng, not from np.random or a new Generator")
    if global_state() != before:
        raise AssertionError(f"{name}: numpy's global RNG (np.random) was used or reseeded: "
                             f"draw only from the rng argument")
    c = fn(shape, np.random.default_rng(4321))
    if np.array_equal(a, c):
        raise AssertionError(f"{name}: different seeds gave the same array: is a seed fixed "
                             f"inside the function?")
