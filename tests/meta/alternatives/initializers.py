"""Weight initializers: functions of a weight shape and an explicit ``rng``.

Shapes follow the layers: a Linear weight is (fan_in, fan_out); a convolution
weight is (F, C, kh, kw), with fan_in = C*kh*kw and fan_out = F*kh*kw.
"""
import numpy as np

from .inputs import check_rng, check_shape


def zeros(shape, dtype=np.float64):
    """W = 0.

    Inputs:  shape: tuple of ints, e.g. (D, M)
    Returns: W: array of ``shape`` and ``dtype``, all zeros
    """
    shape = check_shape(shape, "zeros")
    # BEGIN SOLUTION
    W = np.empty(shape, dtype=dtype)
    W.fill(0)
    return W
    # END SOLUTION


def constant(shape, value, dtype=np.float64):
    """W = value everywhere.

    Inputs:  shape: tuple of ints; value: float
    Returns: W: array of ``shape`` and ``dtype``, every entry ``value``
    """
    shape = check_shape(shape, "constant")
    # BEGIN SOLUTION
    W = np.empty(shape, dtype=dtype)
    W[...] = value
    return W
    # END SOLUTION


def small_normal(shape, rng, std=0.01, dtype=np.float64):
    """W ~ N(0, std^2): the classic "small random numbers" (std 0.01).

    Inputs:  shape: tuple of ints; rng: np.random.Generator; std: float
    Returns: W: array of ``shape`` and ``dtype``
    """
    shape, rng = check_shape(shape, "small_normal"), check_rng(rng, "small_normal")
    # BEGIN SOLUTION
    W = rng.normal(loc=0.0, scale=std, size=shape)
    return np.asarray(W, dtype=dtype)
    # END SOLUTION


def fans(shape):
    """fan_in, fan_out of a weight: (D, M) -> (D, M); (F, C, kh, kw) -> (C*kh*kw, F*kh*kw).

    Inputs:  shape: tuple of at least two ints
    Returns: (fan_in, fan_out): two ints
    """
    shape = check_shape(shape, "fans")
    # BEGIN SOLUTION
    receptive = 1
    for k in shape[2:]:                 # kh * kw (or k): 1 for a Linear weight
        receptive *= k
    if len(shape) == 2:
        fan_in, fan_out = shape
    else:
        out_channels, in_channels = shape[0], shape[1]
        fan_in, fan_out = in_channels * receptive, out_channels * receptive
    return int(fan_in), int(fan_out)
    # END SOLUTION


def xavier_uniform(shape, rng, gain=1.0, dtype=np.float64):
    """W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio, 2010).

    Inputs:  shape: tuple of ints; rng: np.random.Generator; gain: float
    Returns: W: array of ``shape`` and ``dtype``, variance gain^2 * 2 / (fan_in + fan_out)
    """
    shape, rng = check_shape(shape, "xavier_uniform"), check_rng(rng, "xavier_uniform")
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    a = gain * (6.0 / (fan_in + fan_out)) ** 0.5
    u = rng.random(size=shape)          # U(0, 1), stretched to U(-a, a)
    return (a * (2.0 * u - 1.0)).astype(dtype)
    # END SOLUTION


def xavier_normal(shape, rng, gain=1.0, dtype=np.float64):
    """W ~ N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)).

    Inputs:  shape: tuple of ints; rng: np.random.Generator; gain: float
    Returns: W: array of ``shape`` and ``dtype``
    """
    shape, rng = check_shape(shape, "xavier_normal"), check_rng(rng, "xavier_normal")
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    variance = gain ** 2 * 2.0 / (fan_in + fan_out)
    return rng.normal(0.0, np.sqrt(variance), size=shape).astype(dtype)
    # END SOLUTION


def he_uniform(shape, rng, dtype=np.float64):
    """W ~ U(-a, a), a = sqrt(6 / fan_in)  (He et al., 2015; for ReLU layers).

    Inputs:  shape: tuple of ints; rng: np.random.Generator
    Returns: W: array of ``shape`` and ``dtype``, variance 2 / fan_in
    """
    shape, rng = check_shape(shape, "he_uniform"), check_rng(rng, "he_uniform")
    # BEGIN SOLUTION
    fan_in = fans(shape)[0]
    a = np.sqrt(3.0 * (2.0 / fan_in))  # U(-a, a) has variance a^2 / 3 = 2 / fan_in
    W = a * rng.uniform(-1.0, 1.0, size=shape)
    return W.astype(dtype)
    # END SOLUTION


def he_normal(shape, rng, dtype=np.float64):
    """W ~ N(0, s^2), s = sqrt(2 / fan_in).

    Inputs:  shape: tuple of ints; rng: np.random.Generator
    Returns: W: array of ``shape`` and ``dtype``
    """
    shape, rng = check_shape(shape, "he_normal"), check_rng(rng, "he_normal")
    # BEGIN SOLUTION
    fan_in = fans(shape)[0]
    W = rng.normal(0.0, 1.0, size=shape) * (2.0 / fan_in) ** 0.5
    return W.astype(dtype)
    # END SOLUTION
