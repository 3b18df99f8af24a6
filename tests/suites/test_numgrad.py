"""Checks for gradient checking by hand (exercise ``numgrad``).

The student's numerical gradient is compared with known derivatives; the grader never
uses the student's version for anything else.
"""
import numpy as np
import pytest

from tests.checks import assert_close, assert_float, assert_unchanged, snapshot
from tests.trusted_models import require

pytestmark = pytest.mark.exercise("numgrad")


def test_numerical_gradient_known_answer(impl):
    x = np.array([1.0, 2.0, -0.5])
    grad = impl.numgrad.numerical_gradient(lambda: float(x[0] ** 2 + 3 * x[1] - x[0] * x[2]), x)
    assert_close("numerical_gradient of x0^2 + 3 x1 - x0 x2 at (1, 2, -0.5)", grad,
                 np.array([2.5, 3.0, -1.0]), rtol=1e-7, atol=1e-9)


def test_numerical_gradient_is_central(impl):
    x = np.array([1.0])
    grad = impl.numgrad.numerical_gradient(lambda: float(x[0] ** 3), x, h=1e-2)
    # central: ((1+h)^3 - (1-h)^3) / 2h = 3 + h^2; forward would give 3 + 3h + h^2
    assert_close("numerical_gradient of x^3 at 1 with h=0.01 (central differences)", grad,
                 np.array([3.0001]), rtol=1e-9)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)], ids=["1d", "2d", "3d"])
def test_numerical_gradient_matches_trusted(impl, rng, shape):
    x = rng.standard_normal(shape)
    w = rng.standard_normal(shape)
    g = lambda x: float(np.sum(np.sin(x) * w) + 0.5 * np.sum(x ** 2) ** 1.5)
    # the derivative of g by calculus: d/dx sin = cos, d/dx (S ** 1.5 / 2) = 1.5 S ** 0.5 x
    expected = np.cos(x) * w + 1.5 * np.sqrt(np.sum(x ** 2)) * x
    grad = impl.numgrad.numerical_gradient(lambda: g(x), x, h=1e-5)
    assert_close(f"numerical_gradient on shape {shape}", grad, expected, rtol=1e-6, atol=1e-9)


def test_numerical_gradient_restores_x(impl, rng):
    x = rng.standard_normal((3, 4))
    before = snapshot(x)
    values = []
    impl.numgrad.numerical_gradient(lambda: values.append(x.copy()) or float(np.sum(x ** 2)), x)
    assert_unchanged("x after numerical_gradient", before[0], x,
                     advice="perturb x in place as the docstring says, but put each entry back "
                            "to its old value before moving to the next (x must end as it began)")
    changed = [int(np.count_nonzero(v != before[0])) for v in values]
    require(changed and max(changed) == 1,
            f"f() must see exactly one entry of x changed at a time, saw {max(changed, default=0)}")


def test_numerical_gradient_keeps_dtype(impl, rng):
    x = rng.standard_normal(4).astype(np.float32)
    grad = impl.numgrad.numerical_gradient(lambda: float(np.sum(x.astype(np.float64) ** 2)), x, h=1e-2)
    assert_close("numerical_gradient of a float32 x", grad, (2 * x).astype(np.float32), rtol=1e-4)


@pytest.mark.parametrize("case", ["different", "equal", "zeros", "signs"])
def test_relative_error_matches_trusted(impl, rng, case):
    a = rng.standard_normal((4, 3))
    # b = k * a entry by entry, so each entry's |a - b| / (|a| + |b|) is |1 - k| / (1 + |k|)
    k = {"different": rng.uniform(-2.0, 2.0, (4, 3)), "equal": np.ones((4, 3)),
         "zeros": np.zeros((4, 3)), "signs": -np.ones((4, 3))}[case]
    b = k * a
    expected = float(np.max(np.abs(1.0 - k) / (1.0 + np.abs(k))))
    if case == "zeros":
        a = np.zeros((4, 3))
        a[1, 2] = 1e-9
        expected = 0.1              # 1e-9 / max(1e-8, 1e-9 + 0): the floor decides
    before = snapshot(a, b)
    err = impl.numgrad.relative_error(a, b)
    assert_float(f"relative_error(a, b) for {case} arrays: max of |a-b| / max(1e-8, |a|+|b|)",
                 err, expected, rtol=1e-12,
                 not_finite="a division by 0: the denominator is max(1e-8, |a| + |b|), never less")
    assert_unchanged("a", before[0], a)
    assert_unchanged("b", before[1], b)


def test_relative_error_known_answer(impl):
    err = impl.numgrad.relative_error(np.array([1.0, 2.0, -3.0]), np.array([1.0, 2.2, -3.0]))
    assert_float("relative_error([1, 2, -3], [1, 2.2, -3])", err, 0.2 / 4.2)
