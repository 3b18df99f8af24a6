"""The spiral generator: pinned output for a seed, shapes, dtypes, no global RNG."""
import numpy as np
import pytest

from data.spiral import make_spirals


def test_spirals_pinned_small_draw():
    X, y = make_spirals(4, 3, 0.2, rng=np.random.default_rng(42))
    expected = np.array([
        [0.0, 0.0], [0.3008042130395216, 0.14362428948052341],
        [0.21276875186507022, -0.6318021072093892], [-0.865686574440629, -0.5005864109554405],
        [0.0, 0.0], [-0.3119058627736897, 0.11758334864474365],
        [0.2651582465149299, 0.611666206970413], [0.9965765313092573, -0.08267537265479366],
        [0.0, 0.0], [0.08635480206790433, -0.3219533495258656],
        [-0.658876028733227, -0.10162097817466698], [-0.39935410696389806, 0.9167967589662758]])
    np.testing.assert_allclose(X, expected, rtol=1e-12, atol=1e-15)
    assert y.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]


def test_spirals_default_draw_checksum():
    X, y = make_spirals(rng=np.random.default_rng(0))
    assert X.shape == (300, 2) and X.dtype == np.float64
    assert y.shape == (300,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100, 100]
    np.testing.assert_allclose(X.sum(), -15.92502238113289, rtol=1e-12)
    np.testing.assert_allclose(X[57], [0.3706285759705811, -0.44060327361046675], rtol=1e-12)
    # radii are noise-free: linspace(0, 1, 100) in every arm
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), np.tile(np.linspace(0, 1, 100), 3), atol=1e-12)


def test_spirals_seeded_and_global_rng_untouched():
    state = np.random.get_state()[1].copy()
    a = make_spirals(50, 4, 0.3, rng=np.random.default_rng(3))
    b = make_spirals(50, 4, 0.3, rng=np.random.default_rng(3))
    c = make_spirals(50, 4, 0.3, rng=np.random.default_rng(4))
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])
    assert a[0].shape == (200, 2) and set(a[1].tolist()) == {0, 1, 2, 3}
    assert np.array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("kwargs", [{"rng": None}, {"rng": 0},
                                    {"n_per_class": 0, "rng": np.random.default_rng(0)},
                                    {"noise": -1.0, "rng": np.random.default_rng(0)}])
def test_spirals_reject_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="make_spirals"):
        make_spirals(**kwargs)
