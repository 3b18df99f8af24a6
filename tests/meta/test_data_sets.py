"""The data sets of part 2: the shipped digits and text read as documented, the generated shapes pinned."""
import hashlib

import numpy as np
import pytest

from data.digits import PATH, load_digits
from data.shapes import SHAPES, make_shapes

DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
PINNED_SUM = 451.082949          # make_shapes(5, 12, 0.1, rng=default_rng(3)): a change shows


def test_digits_are_the_documented_file():
    digest = hashlib.sha256(PATH.read_bytes()).hexdigest()
    assert digest == DIGITS_SHA256, "data/digits.csv.gz is not the file data/DIGITS.md describes"
    X, y = load_digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_shapes_are_seeded_balanced_and_pinned():
    X, y = make_shapes(n_per_class=5, size=12, noise=0.1, rng=np.random.default_rng(3))
    assert X.shape == (20, 1, 12, 12) and np.bincount(y).tolist() == [5] * len(SHAPES)
    again, _ = make_shapes(n_per_class=5, size=12, noise=0.1, rng=np.random.default_rng(3))
    assert np.array_equal(X, again)
    assert round(float(X.sum()), 6) == PINNED_SUM


def test_shapes_refuse_bad_arguments():
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        make_shapes(rng=0)
    with pytest.raises(ValueError, match="size >= 8"):
        make_shapes(size=4, rng=np.random.default_rng(0))


def test_the_text_reads_as_documented():
    from data.text import load_text
    codes, alphabet = load_text()
    assert len(codes) == 1476 and len(alphabet) == 36 and codes.dtype == np.int64
    assert "".join(alphabet[k] for k in codes[:26]) == "Four score and seven years"


def test_the_copy_task_asks_for_what_it_showed():
    from data.sequences import make_copy_task
    x, y, mask = make_copy_task(4, 3, 5, rng=np.random.default_rng(1))
    assert x.shape == y.shape == mask.shape == (4, 7) and x.dtype == np.int64
    assert np.array_equal(y[:, 4:], x[:, :3]) and not x[:, 3:].any() and not y[:, :4].any()
    assert mask[:, 4:].all() and not mask[:, :4].any()
    assert x[:, :3].min() >= 1 and x[:, :3].max() <= 5
    again, _, _ = make_copy_task(4, 3, 5, rng=np.random.default_rng(1))
    assert np.array_equal(x, again)
    with pytest.raises(ValueError, match="symbols >= 2"):
        make_copy_task(4, 3, 1, rng=np.random.default_rng(1))
