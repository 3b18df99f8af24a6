"""Kit self-tests: bad settings or input to a convolution, pooling or Flatten layer raise an error
that names the layer, the argument and the sizes.

These check the given validation code of solutions/conv.py (and inputs.py), not an exercise:
they carry no ``exercise`` marker, score nothing, and pass on the stubs too.
"""
import re

import numpy as np
import pytest

CONVS = ["Conv2dNaive", "Conv2d"]
POOLS = ["MaxPool2d", "AvgPool2d"]
BAD_SIZES = [0, -1, 2.5, None, "3", True, (2,), (2, 3, 4), (2, 0), (2, 1.0)]
BAD_SIZE_IDS = ["zero", "negative", "float", "none", "str", "bool", "one", "three", "pair_zero",
                "pair_float"]


def mentions(*fragments):
    """A ``match=`` pattern that finds every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def forward_anyway(layer, x):
    """Call forward; on a stub its checks run (and record the input shape) before the TODO."""
    try:
        layer.forward(x)
    except NotImplementedError:
        pass


def conv(impl, name, c=1, f=1, kernel=2, **settings):
    return getattr(impl.conv, name)(c, f, kernel, np.random.default_rng(0),
                                    weight_init=lambda shape, rng: rng.standard_normal(shape), **settings)


# ---- Conv2dNaive and Conv2d ------------------------------------------------------------------------

@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("shape, settings, expected", [
    ((1, 1, 5, 5), {"stride": 2}, "stride 2 does not divide the padded height minus the kernel: "
                                  "5 + 2 * 0 - 2 = 3"),
    ((1, 1, 4, 5), {"stride": (1, 3), "padding": 1}, "stride 3 does not divide the padded width "
                                                     "minus the kernel: 5 + 2 * 1 - 2 = 5"),
], ids=["height", "width"])
def test_conv_rejects_a_stride_that_does_not_divide(impl, name, shape, settings, expected):
    layer = conv(impl, name, **settings)
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", expected,
                                                  "choose a padding or stride that fits")):
        layer.forward(np.zeros(shape))


@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("shape, kernel, padding, expected", [
    ((1, 1, 3, 8), 5, 0, "the height 3 (+ 2 * padding 0) is smaller than the kernel's 5"),
    ((1, 1, 8, 2), (3, 5), (0, 1), "the width 2 (+ 2 * padding 1) is smaller than the kernel's 5"),
], ids=["height", "width_with_padding"])
def test_conv_rejects_a_kernel_larger_than_the_padded_image(impl, name, shape, kernel, padding,
                                                            expected):
    layer = conv(impl, name, kernel=kernel, padding=padding)
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", expected)):
        layer.forward(np.zeros(shape))


@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("shape", [(2, 2, 5, 5), (2, 5, 5, 3), (3, 5, 5), (2, 3, 5, 5, 1), (75,)],
                         ids=["wrong_channels", "channels_last", "3d", "5d", "1d"])
def test_conv_rejects_shape(impl, name, shape):
    layer = conv(impl, name, c=3, f=2)
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", "x must have shape (N, 3, H, W)",
                                                  f"got shape {shape}")):
        layer.forward(np.zeros(shape))


@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("dtype", [np.int64, bool, np.complex128], ids=["int64", "bool", "complex"])
def test_conv_rejects_non_float(impl, name, dtype):
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", "float", str(np.dtype(dtype)))):
        conv(impl, name).forward(np.ones((1, 1, 3, 3), dtype=dtype))


@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("argument", ["kernel_size", "stride"])
@pytest.mark.parametrize("value", BAD_SIZES, ids=BAD_SIZE_IDS)
def test_conv_rejects_sizes(impl, name, argument, value):
    settings = {"kernel": value} if argument == "kernel_size" else {argument: value}
    with pytest.raises(ValueError, match=mentions(name, f"{argument} must be an int >= 1 or a pair "
                                                        f"of them", f"got {value!r}")):
        conv(impl, name, **settings)


@pytest.mark.parametrize("name", CONVS)
@pytest.mark.parametrize("value", [-1, 0.5, None, (1, -1), (1,), True],
                         ids=["negative", "float", "none", "pair_negative", "one", "bool"])
def test_conv_rejects_padding(impl, name, value):
    with pytest.raises(ValueError, match=mentions(name, "padding must be an int >= 0 or a pair of "
                                                        "them", f"got {value!r}")):
        conv(impl, name, padding=value)


@pytest.mark.parametrize("name", CONVS)
def test_conv_accepts_sizes_as_ints_pairs_and_numpy_ints(impl, name):
    layer = conv(impl, name, c=2, f=3, kernel=np.int64(3), stride=[2, 1], padding=(np.int32(1), 0))
    assert (layer.kernel_size, layer.stride, layer.padding) == ((3, 3), (2, 1), (1, 0))
    assert layer.params["W"].shape == (3, 2, 3, 3) and layer.params["b"].shape == (3,)


@pytest.mark.parametrize("name", CONVS)
def test_conv_rejects_the_global_rng(impl, name):
    with pytest.raises(ValueError, match=mentions(name, "rng must be a numpy Generator")):
        getattr(impl.conv, name)(1, 1, 2, np.random)


@pytest.mark.parametrize("name", CONVS)
def test_conv_backward_before_forward(impl, name):
    with pytest.raises(RuntimeError, match=mentions(f"{name}.backward", "call forward before backward")):
        conv(impl, name).backward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("name", CONVS)
def test_conv_backward_rejects_dout_shape(impl, name):
    layer = conv(impl, name, c=2, f=3, kernel=(3, 2), stride=(2, 1), padding=(1, 0))
    forward_anyway(layer, np.zeros((4, 2, 5, 6)))        # out: (4, 3, 3, 5)
    with pytest.raises(ValueError, match=mentions(f"{name}.backward", "dout must have shape (4, 3, 3, 5)",
                                                  "got shape (4, 3, 5, 6)")):
        layer.backward(np.zeros((4, 3, 5, 6)))


# ---- MaxPool2d, AvgPool2d and Flatten ----------------------------------------------------------------

@pytest.mark.parametrize("name", POOLS)
@pytest.mark.parametrize("argument", ["kernel_size", "stride"])
@pytest.mark.parametrize("value", [0, 2.5, "2", True, (2, 0)],
                         ids=["zero", "float", "str", "bool", "pair_zero"])
def test_pool_rejects_sizes(impl, name, argument, value):
    settings = {"kernel_size": 2, argument: value}
    with pytest.raises(ValueError, match=mentions(name, f"{argument} must be an int >= 1 or a pair "
                                                        f"of them", f"got {value!r}")):
        getattr(impl.conv, name)(**settings)


@pytest.mark.parametrize("name", POOLS)
@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 4, 4, 1)], ids=["3d", "5d"])
def test_pool_rejects_shape(impl, name, shape):
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", "x must have shape (N, C, H, W)",
                                                  f"got shape {shape}")):
        getattr(impl.conv, name)(2).forward(np.zeros(shape))


@pytest.mark.parametrize("name", POOLS)
def test_pool_rejects_an_image_smaller_than_the_window(impl, name):
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", "x of shape (1, 2, 2, 5)",
                                                  "is smaller than the window (3, 2)")):
        getattr(impl.conv, name)((3, 2)).forward(np.zeros((1, 2, 2, 5)))


@pytest.mark.parametrize("name", POOLS)
def test_pool_rejects_non_float(impl, name):
    with pytest.raises(ValueError, match=mentions(f"{name}.forward", "float", "int64")):
        getattr(impl.conv, name)(2).forward(np.ones((1, 1, 4, 4), dtype=np.int64))


@pytest.mark.parametrize("name", POOLS)
def test_pool_backward_before_forward(impl, name):
    with pytest.raises(RuntimeError, match=mentions(f"{name}.backward", "call forward before backward")):
        getattr(impl.conv, name)(2).backward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("name", POOLS)
def test_pool_backward_rejects_dout_shape(impl, name):
    layer = getattr(impl.conv, name)(2)
    forward_anyway(layer, np.zeros((2, 3, 7, 5)))           # out: (2, 3, 3, 2), the rest unused
    with pytest.raises(ValueError, match=mentions(f"{name}.backward", "dout must have shape (2, 3, 3, 2)",
                                                  "got shape (2, 3, 4, 3)")):
        layer.backward(np.zeros((2, 3, 4, 3)))


@pytest.mark.parametrize("shape", [(5,), ()], ids=["1d", "0d"])
def test_flatten_rejects_shape(impl, shape):
    with pytest.raises(ValueError, match=mentions("Flatten.forward", "x must have shape (N, D) or "
                                                  "(N, C, H, W)", f"got shape {shape}")):
        impl.conv.Flatten().forward(np.zeros(shape))


def test_flatten_rejects_non_float(impl):
    with pytest.raises(ValueError, match=mentions("Flatten.forward", "float", "int64")):
        impl.conv.Flatten().forward(np.ones((2, 3, 4), dtype=np.int64))


def test_flatten_backward_before_forward(impl):
    with pytest.raises(RuntimeError, match=mentions("Flatten.backward", "call forward before backward")):
        impl.conv.Flatten().backward(np.zeros((2, 12)))


def test_flatten_backward_rejects_dout_shape(impl):
    layer = impl.conv.Flatten()
    forward_anyway(layer, np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=mentions("Flatten.backward", "dout must have shape (2, 60)",
                                                  "got shape (2, 3, 4, 5)")):
        layer.backward(np.zeros((2, 3, 4, 5)))
