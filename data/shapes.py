"""Small generated images of four shapes, for the convolution chapter: no licence, any size.

    from data.shapes import make_shapes, SHAPES
    X, y = make_shapes(rng=np.random.default_rng(0))    # X: (800, 1, 16, 16), y: (800,)

Each image holds one filled shape (SHAPES[y]) of random size, position and brightness
on a dark background, plus Gaussian noise of std ``noise``: more noise, or smaller
images, make the task harder. A shape is told by its outline, wherever it sits: what
convolutions and pooling are made for.
"""
import numpy as np

SHAPES = ("disc", "square", "plus", "cross")


def _mask(kind, dy, dx, r, w):
    """Where the shape is, given the offsets (dy, dx) of every pixel from its centre."""
    if kind == "disc":
        return dy ** 2 + dx ** 2 <= r ** 2
    if kind == "square":
        return (np.abs(dy) <= 0.8 * r) & (np.abs(dx) <= 0.8 * r)
    if kind == "plus":
        return ((np.abs(dy) <= w) & (np.abs(dx) <= r)) | ((np.abs(dx) <= w) & (np.abs(dy) <= r))
    diagonal = np.abs(np.abs(dy) - np.abs(dx)) <= w * 1.2                          # cross: an x
    return diagonal & (np.maximum(np.abs(dy), np.abs(dx)) <= r)


def make_shapes(n_per_class=200, size=16, noise=0.2, *, rng):
    """X: (len(SHAPES) * n_per_class, 1, size, size) float64, y: int64 labels, shuffled together.

    Radius r ~ U(0.2, 0.35) * size, centre at least r from every edge, stroke width
    w = max(1, r / 3), brightness ~ U(0.6, 1), then N(0, noise^2) added to every pixel.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"make_shapes: rng must be a numpy Generator "
                         f"(np.random.default_rng(seed)), got {type(rng).__name__}")
    if n_per_class < 1 or size < 8 or noise < 0:
        raise ValueError(f"make_shapes: need n_per_class >= 1, size >= 8, noise >= 0; got "
                         f"n_per_class={n_per_class}, size={size}, noise={noise}")
    n = len(SHAPES) * n_per_class
    y = np.repeat(np.arange(len(SHAPES)), n_per_class)
    r = rng.uniform(0.2, 0.35, n) * size
    cy, cx = (rng.uniform(r, size - 1 - r) for _ in range(2))
    brightness = rng.uniform(0.6, 1.0, n)
    grid = np.arange(size, dtype=np.float64)
    X = np.empty((n, 1, size, size))
    for i in range(n):
        dy, dx = grid[:, None] - cy[i], grid[None, :] - cx[i]
        X[i, 0] = brightness[i] * _mask(SHAPES[y[i]], dy, dx, r[i], max(1.0, r[i] / 3))
    X += noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order], y[order]
