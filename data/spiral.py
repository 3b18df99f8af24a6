"""The CS231n spiral data set: K interleaved arms of N points each in the plane.

    from data.spiral import make_spirals
    X, y = make_spirals(rng=np.random.default_rng(0))    # X: (300, 2), y: (300,)

Point i of arm j sits at radius r_i = i / (N-1) and angle t = 4j + 4 r_i + noise * z,
z ~ N(0, 1): no straight line separates the arms, so a linear classifier tops out
near 50 % and a small MLP reaches nearly 100 %.
"""
import numpy as np


def make_spirals(n_per_class=100, n_classes=3, noise=0.2, *, rng):
    """X_i = r_i * (sin t_i, cos t_i),  t_i = 4 j_i + 4 r_i + noise * z_i  (CS231n case study).

    Inputs:  n_per_class: int N >= 1; n_classes: int K >= 1; noise: float >= 0 (angle noise)
             rng: np.random.Generator (the only source of randomness)
    Returns: X: (N*K, 2) float64, points ordered class by class
             y: (N*K,) int64, class labels in [0, K)
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("make_spirals: rng must be a numpy Generator "  # noqa: TRY004
                         f"(np.random.default_rng(seed)), got {type(rng).__name__}")
    n, k = int(n_per_class), int(n_classes)
    if n < 1 or k < 1 or noise < 0:
        raise ValueError(f"make_spirals: need n_per_class >= 1, n_classes >= 1, noise >= 0; "
                         f"got {n_per_class}, {n_classes}, {noise}")
    y = np.repeat(np.arange(k, dtype=np.int64), n)                       # (N*K,)
    r = np.tile(np.linspace(0.0, 1.0, n), k)                              # (N*K,)
    t = 4.0 * y + 4.0 * r + noise * rng.standard_normal(n * k)           # (N*K,)
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)                  # (N*K, 2)
    return X, y
