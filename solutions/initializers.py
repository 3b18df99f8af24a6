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
    return np.zeros(shape, dtype=dtype)
    # END SOLUTION


def constant(shape, value, dtype=np.float64):
    """W = value everywhere.

    Inputs:  shape: tuple of ints; value: float
    Returns: W: array of ``shape`` and ``dtype``, every entry ``value``
    """
    shape = check_shape(shape, "constant")
    # BEGIN SOLUTION
    return np.full(shape, value, dtype=dtype)
    # END SOLUTION


def small_normal(shape, rng, std=0.01, dtype=np.float64):
    """W ~ N(0, std^2): the classic "small random numbers" (std 0.01).

    Inputs:  shape: tuple of ints; rng: np.random.Generator; std: float
    Returns: W: array of ``shape`` and ``dtype``
    """
    shape, rng = check_shape(shape, "small_normal"), check_rng(rng, "small_normal")
    # BEGIN SOLUTION
    return (std * rng.standard_normal(shape)).astype(dtype, copy=False)
    # END SOLUTION


def fans(shape):
    """fan_in, fan_out of a weight: (D, M) -> (D, M); (F, C, kh, kw) -> (C*kh*kw, F*kh*kw).

    Inputs:  shape: tuple of at least two ints
    Returns: (fan_in, fan_out): two ints
    """
    shape = check_shape(shape, "fans")
    # BEGIN SOLUTION
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive
    # END SOLUTION


def xavier_uniform(shape, rng, gain=1.0, dtype=np.float64):
    """W ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio, 2010).

    Inputs:  shape: tuple of ints; rng: np.random.Generator; gain: float
    Returns: W: array of ``shape`` and ``dtype``, variance gain^2 * 2 / (fan_in + fan_out)
    """
    shape, rng = check_shape(shape, "xavier_uniform"), check_rng(rng, "xavier_uniform")
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    limit = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)
    # END SOLUTION


def xavier_normal(shape, rng, gain=1.0, dtype=np.float64):
    """W ~ N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)).

    Inputs:  shape: tuple of ints; rng: np.random.Generator; gain: float
    Returns: W: array of ``shape`` and ``dtype``
    """
    shape, rng = check_shape(shape, "xavier_normal"), check_rng(rng, "xavier_normal")
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return (std * rng.standard_normal(shape)).astype(dtype, copy=False)
    # END SOLUTION


def he_uniform(shape, rng, dtype=np.float64):
    """W ~ U(-a, a), a = sqrt(6 / fan_in)  (He et al., 2015; for ReLU layers).

    Inputs:  shape: tuple of ints; rng: np.random.Generator
    Returns: W: array of ``shape`` and ``dtype``, variance 2 / fan_in
    """
    shape, rng = check_shape(shape, "he_uniform"), check_rng(rng, "he_uniform")
    # BEGIN SOLUTION
    fan_in, _ = fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)
    # END SOLUTION


def he_normal(shape, rng, dtype=np.float64):
    """W ~ N(0, s^2), s = sqrt(2 / fan_in).

    Inputs:  shape: tuple of ints; rng: np.random.Generator
    Returns: W: array of ``shape`` and ``dtype``
    """
    shape, rng = check_shape(shape, "he_normal"), check_rng(rng, "he_normal")
    # BEGIN SOLUTION
    fan_in, _ = fans(shape)
    std = np.sqrt(2.0 / fan_in)
    return (std * rng.standard_normal(shape)).astype(dtype, copy=False)
    # END SOLUTION
