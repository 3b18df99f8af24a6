"""The UCI handwritten digits: 1,797 images of 8 × 8 pixels, ten classes (see data/DIGITS.md).

    from data.digits import load_digits
    X, y = load_digits()      # X: (1797, 1, 8, 8) float64 in [0, 1], y: (1797,) int64
"""
import gzip
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("digits.csv.gz")


def load_digits():
    """X: (1797, 1, 8, 8), the pixel counts 0..16 scaled to [0, 1]; y: (1797,) int64 labels 0..9."""
    with gzip.open(PATH, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)          # (1797, 65)
    X = table[:, :64].reshape(-1, 1, 8, 8).astype(np.float64) / 16.0
    return X, table[:, 64].copy()
