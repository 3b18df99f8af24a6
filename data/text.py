"""A short text for character-level models: the Gettysburg Address (see data/TEXT.md).

    from data.text import load_text
    codes, alphabet = load_text()    # codes: (L,) int64 into alphabet, a str of the V characters
"""
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("gettysburg.txt")


def load_text():
    """codes: (L,) int64, each character's index in alphabet; alphabet: the sorted characters."""
    text = PATH.read_text(encoding="utf-8")
    alphabet = "".join(sorted(set(text)))
    index = {ch: k for k, ch in enumerate(alphabet)}
    return np.array([index[ch] for ch in text], dtype=np.int64), alphabet
