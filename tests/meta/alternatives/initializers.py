"""Alternative solution blocks of solutions/initializers.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/initializers.py when the blocks are spliced into it."""
# ruff: noqa: F821


def zeros(shape, dtype=np.float64):
    # BEGIN SOLUTION
    W = np.empty(shape, dtype=dtype)
    W.fill(0)
    return W
    # END SOLUTION


def constant(shape, value, dtype=np.float64):
    # BEGIN SOLUTION
    W = np.empty(shape, dtype=dtype)
    W[...] = value
    return W
    # END SOLUTION


def small_normal(shape, rng, std=0.01, dtype=np.float64):
    # BEGIN SOLUTION
    W = rng.normal(loc=0.0, scale=std, size=shape)
    return np.asarray(W, dtype=dtype)
    # END SOLUTION


def fans(shape):
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
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    a = gain * (6.0 / (fan_in + fan_out)) ** 0.5
    u = rng.random(size=shape)          # U(0, 1), stretched to U(-a, a)
    return (a * (2.0 * u - 1.0)).astype(dtype)
    # END SOLUTION


def xavier_normal(shape, rng, gain=1.0, dtype=np.float64):
    # BEGIN SOLUTION
    fan_in, fan_out = fans(shape)
    variance = gain ** 2 * 2.0 / (fan_in + fan_out)
    return rng.normal(0.0, np.sqrt(variance), size=shape).astype(dtype)
    # END SOLUTION


def he_uniform(shape, rng, dtype=np.float64):
    # BEGIN SOLUTION
    fan_in = fans(shape)[0]
    a = np.sqrt(3.0 * (2.0 / fan_in))  # U(-a, a) has variance a^2 / 3 = 2 / fan_in
    W = a * rng.uniform(-1.0, 1.0, size=shape)
    return W.astype(dtype)
    # END SOLUTION


def he_normal(shape, rng, dtype=np.float64):
    # BEGIN SOLUTION
    fan_in = fans(shape)[0]
    W = rng.normal(0.0, 1.0, size=shape) * (2.0 / fan_in) ** 0.5
    return W.astype(dtype)
    # END SOLUTION
