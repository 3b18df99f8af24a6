"""Checks for inverted dropout (exercise ``dropout``), with torch.nn.Dropout's conventions.

p is the probability of *dropping* a unit; in training the survivors are scaled by
1 / (1 - p), in evaluation the layer is the identity. The mask is random, so no check pins
the draws: each reads the mask off the output (the inputs have no zeros, so an output is 0
exactly where its unit was dropped), and the statistical checks allow 7 standard deviations,
so that any correct way of drawing it (rng.random, rng.binomial, ...) passes on every seed.
"""
import math

import numpy as np
import pytest

from grader.remote import fill, global_rng_state
from tests.checks import assert_array, assert_close, assert_unchanged, snapshot
from tests.trusted_models import require

pytestmark = pytest.mark.exercise("dropout")

SIGMAS = 7          # statistical tolerance: never exceeded by a correct layer, on any seed
P_ONE = ("1 / (1 - p) with p = 1 is a division by 0: with p = 1 every unit is dropped, "
         "so the output and the gradient are 0 and nothing needs scaling")


def not_finite(p):
    return P_ONE if p == 1 else "a division by 0?"


def nonzero_inputs(shape, rng, dtype=np.float64):
    """Both signs, 0.5 to 2 away from 0: an output is 0 only where its unit was dropped."""
    return (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)).astype(dtype)


def seed_from(rng):
    return int(rng.integers(2**31))


def make_dropout(impl, p, rng):
    """The student's Dropout(p) with a generator of its own, seeded from ``rng``."""
    return impl.dropout.Dropout(p, np.random.default_rng(seed_from(rng)))


def forward(layer, x):
    """layer.forward on a copy of x: the expectations need x as it was (an input modified in
    place is test_dropout_leaves_its_inputs_unchanged's to name)."""
    return layer.forward(x.copy())


def forward_backward(layer, x, dout):
    """out, dx of one forward then one backward, on copies of the inputs."""
    out = forward(layer, x)
    if type(out) is np.ndarray:
        out = out.copy()
    return out, layer.backward(dout.copy())


def same(a, b, rtol):
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rtol * np.abs(b)))


def assert_training_output(name, out, x, p, rtol=1e-12):
    """``out`` is x / (1 - p) where a unit was kept and 0 where it was dropped, with both kinds
    present; the likely slip (no scaling, p and 1 - p swapped) named."""
    assert_array(name, out, x.shape, x.dtype, not_finite=not_finite(p))
    kept = out != 0
    require(not kept.all(), f"{name}: no unit of {x.size} was dropped in training mode (with "
                            f"p = {p} about {round(p * x.size)} should be 0): is the mask applied?")
    require(kept.any(), f"{name}: every unit of {x.size} was dropped (with p = {p} about "
                        f"{round((1 - p) * x.size)} should be kept): kept with probability p?")
    ratio = out[kept] / x[kept].astype(np.float64)
    slips = {1.0: "the kept units equal x: not scaled by 1 / (1 - p) (inverted dropout scales "
                  "in training, so that evaluation needs no scaling)",
             1.0 / p: "the kept units are x / p: p and 1 - p swapped in the scaling?",
             1.0 - p: "the kept units are x * (1 - p): multiplied where 1 / (1 - p) is due?"}
    for factor, cause in slips.items():
        if abs(factor - 1.0 / (1.0 - p)) > 1e-3 and same(ratio, np.full(ratio.shape, factor), 1e-5):
            raise AssertionError(f"{name}: {cause}.")
    # the definition on the kept units: each is x times the same 1 / (1 - p)
    assert_close(f"{name}: out / x on the kept units (a kept unit is x / (1 - p), a dropped one 0)",
                 ratio, np.full(ratio.shape, 1.0 / (1.0 - p)), rtol=rtol)


def assert_training_gradient(name, dx, dout, out, x, p, rtol=1e-12):
    """``dx`` is dout / (1 - p) where ``out`` (the last forward's output, of input ``x``) kept the
    unit, else 0: out is x times a constant per unit, so dL/dx = dout * out / x, whatever the
    mask and the scaling were."""
    assert_array(name, dx, dout.shape, dout.dtype, not_finite=not_finite(p))
    kept = out != 0
    expected = (dout * (out.astype(np.float64) / x)).astype(dout.dtype)
    slips = {"backward ignores the mask: dx must be 0 where forward dropped a unit": dout,
             "the gradient of a kept unit is not scaled: out = x * mask / (1 - p), so dx = dout "
             "* mask / (1 - p)": np.where(kept, dout, 0.0)}
    for cause, wrong in slips.items():
        if same(dx, wrong, 1e-6) and not same(wrong, expected, 1e-6):
            raise AssertionError(f"{name}: {cause}.")
    if not np.array_equal(dx != 0, kept):
        raise AssertionError(
            f"{name}: dx is nonzero at {np.count_nonzero((dx != 0) & ~kept)} units the last forward "
            f"dropped and zero at {np.count_nonzero((dx == 0) & kept)} it kept: is the mask drawn "
            f"again in backward, instead of kept from the last forward call?")
    assert_close(f"{name} (dout * out / x: dout / (1 - p) where the last forward kept the unit, 0 "
                 f"where it dropped it)", dx, expected, rtol=rtol)


# ---- training: the mask and the scaling -------------------------------------------------

@pytest.mark.parametrize("p, shape", [(0.3, (30, 17)), (0.75, (9, 40))], ids=["p=0.3", "p=0.75"])
def test_dropout_keeps_x_over_one_minus_p_and_zeros_the_rest(impl, rng, p, shape):
    x = nonzero_inputs(shape, rng)
    out = forward(make_dropout(impl, p, rng), x)
    assert_training_output(f"Dropout({p}).forward(x) in training mode", out, x, p)


@pytest.mark.parametrize("p", [0.2, 0.65], ids=["p=0.2", "p=0.65"])
def test_dropout_p_is_the_probability_of_dropping(impl, rng, p):
    x = nonzero_inputs((400, 500), rng)
    out = forward(make_dropout(impl, p, rng), x)
    assert_array(f"Dropout({p}).forward(x)", out, x.shape, x.dtype)
    n = x.size
    dropped = np.count_nonzero(out == 0) / n
    tolerance = SIGMAS * math.sqrt(p * (1 - p) / n)
    swapped = " (that is 1 - p: the keep and drop probabilities swapped?)" \
        if abs(dropped - (1 - p)) <= tolerance else ""
    require(abs(dropped - p) <= tolerance,
            f"p is the probability of dropping: a unit is kept with probability 1 - p. "
            f"Dropout({p}) dropped a fraction {dropped:.4f} of {n} units{swapped}, expected "
            f"{p} within {tolerance:.4f} ({SIGMAS} standard deviations).")


def test_dropout_mean_output_is_x(impl, rng):
    """Inverted dropout: E[out] = (1 - p) * x / (1 - p) = x, so evaluation needs no scaling."""
    p, n = 0.3, 40_000
    column = nonzero_inputs((1, 5), rng)
    x = np.repeat(column, n, axis=0)
    out = forward(make_dropout(impl, p, rng), x)
    assert_array(f"Dropout({p}).forward(x)", out, x.shape, x.dtype)
    mean = out.mean(axis=0)
    # each mean of n draws x * keep / (1 - p) has std |x| sqrt(p / ((1 - p) n))
    tolerance = SIGMAS * np.abs(column[0]) * math.sqrt(p / ((1 - p) * n))
    worst = int(np.argmax(np.abs(mean - column[0]) / tolerance))
    require(np.all(np.abs(mean - column[0]) <= tolerance),
            f"the mean of Dropout({p}).forward(x) over {n} draws of each x is not x "
            f"(inverted dropout: E[out] = x): for x = {float(column[0, worst]):.4f} it is "
            f"{float(mean[worst]):.4f}, {float(mean[worst] / column[0, worst]):.4f} times x.")


def test_dropout_p_zero_is_the_identity_in_training(impl, rng):
    x, dout = nonzero_inputs((6, 9), rng), rng.standard_normal((6, 9))
    out, dx = forward_backward(make_dropout(impl, 0.0, rng), x, dout)
    require(type(out) is not np.ndarray or out.shape != x.shape or np.any(out),
            "Dropout(0).forward(x) in training mode is all zeros: p = 0 drops nothing. Is p taken "
            "as the probability of keeping a unit?")
    assert_close("Dropout(0).forward(x) in training mode (p = 0 drops nothing, scales by 1)",
                 out, x, rtol=0, atol=0)
    assert_close("Dropout(0).backward(dout)", dx, dout, rtol=0, atol=0)


def test_dropout_p_one_gives_zeros_and_a_zero_gradient(impl, rng):
    x, dout = nonzero_inputs((5, 8), rng), rng.standard_normal((5, 8))
    out, dx = forward_backward(make_dropout(impl, 1.0, rng), x, dout)
    assert_array("Dropout(1).forward(x)", out, x.shape, x.dtype, not_finite=P_ONE)
    assert_close("Dropout(1).forward(x) (p = 1 drops every unit)", out, np.zeros_like(x), atol=0)
    assert_array("Dropout(1).backward(dout)", dx, dout.shape, dout.dtype, not_finite=P_ONE)
    assert_close("Dropout(1).backward(dout) (no unit kept, no gradient)", dx, np.zeros_like(dout),
                 atol=0)


# ---- randomness: from the layer's rng, fresh on every call ------------------------------

def test_dropout_mask_comes_from_the_layers_rng(impl, rng):
    seed, p = seed_from(rng), 0.4
    x = nonzero_inputs((20, 30), rng)
    first, second, other = (forward(impl.dropout.Dropout(p, np.random.default_rng(s)), x)
                            for s in (seed, seed, seed + 1))
    assert_array(f"Dropout({p}, rng).forward(x)", first, x.shape, x.dtype)
    assert_close(f"Dropout({p}, np.random.default_rng(seed)).forward(x) of a second layer with the "
                 f"same seed (same seed, same mask: draw it from the layer's rng only)",
                 second, first, rtol=0, atol=0)
    require(not np.array_equal(other != 0, first != 0),
            "two Dropout layers whose generators have different seeds gave the same mask: is the "
            "mask drawn from a generator of your own instead of the rng given to Dropout?")


def test_dropout_leaves_numpy_global_rng_alone(impl, rng):
    layer = make_dropout(impl, 0.5, rng)
    states = [global_rng_state(impl)["state"]]
    for shape in [(7, 11), (13, 3)]:          # two sizes: a reseeded global RNG ends elsewhere
        x, dout = nonzero_inputs(shape, rng), rng.standard_normal(shape)
        out, dx = forward_backward(layer, x, dout)
        states.append(global_rng_state(impl)["state"])
        # a layer that draws nothing leaves the global RNG alone too: it must still drop
        assert_training_output(f"Dropout(0.5).forward(x), x of shape {shape}", out, x, 0.5)
        assert_training_gradient(f"Dropout(0.5).backward(dout), shape {shape}", dx, dout, out, x, 0.5)
    require(all(s["pos"] == states[0]["pos"] and np.array_equal(s["key"], states[0]["key"])
                for s in states[1:]),
            "Dropout used numpy's global RNG (np.random.rand, np.random.seed, ...): draw the mask "
            "from self.rng, the generator given to the layer.")


def test_dropout_draws_a_fresh_mask_on_every_call(impl, rng):
    layer = make_dropout(impl, 0.4, rng)
    x = nonzero_inputs((8, 10), rng)
    masks = []
    for call in range(3):
        out = forward(layer, x)
        assert_array(f"Dropout(0.4).forward(x), call {call + 1}", out, x.shape, x.dtype)
        masks.append(out != 0)
    require(not np.array_equal(masks[1], masks[0]) and not np.array_equal(masks[2], masks[1]),
            "a mask reused across calls: successive training calls of one layer on the same x "
            "gave the same mask. Draw a fresh mask on every forward call (not once in __init__, "
            "not cached, not from a generator seeded anew on every call).")


# ---- backward ---------------------------------------------------------------------------

@pytest.mark.parametrize("p, shape", [(0.35, (12, 15)), (0.8, (4, 60))], ids=["p=0.35", "p=0.8"])
def test_dropout_backward_uses_the_mask_of_the_last_forward(impl, rng, p, shape):
    layer = make_dropout(impl, p, rng)
    x = nonzero_inputs(shape, rng)
    dout = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, shape)
    forward(layer, x)                      # an earlier mask: backward must use the last one
    out, dx = forward_backward(layer, x, dout)
    assert_training_output(f"Dropout({p}).forward(x)", out, x, p)
    assert_training_gradient(f"Dropout({p}).backward(dout)", dx, dout, out, x, p)


# ---- evaluation -------------------------------------------------------------------------

def test_dropout_eval_mode_is_the_identity_with_no_scaling(impl, rng):
    p = 0.4
    layer = make_dropout(impl, p, rng)
    x, dout = nonzero_inputs((10, 12), rng), rng.standard_normal((10, 12))
    trained = forward(layer, x)            # a training call first: its mask must not linger
    layer.eval()
    out, dx = forward_backward(layer, x, dout)
    name = f"Dropout({p}).forward(x) after layer.eval()"
    assert_array(name, out, x.shape, x.dtype)
    slips = {1 - p: "out = x * (1 - p): scaling at test time is the old, non-inverted dropout; "
                    "here the survivors are scaled in training, so evaluation needs no scaling",
             1 / (1 - p): "the output is scaled by 1 / (1 - p) in evaluation: scaling belongs "
                          "to training only"}
    for factor, cause in slips.items():
        if same(out, x * factor, 1e-9):
            raise AssertionError(f"{name}: {cause}.")
    require(np.all(out != 0), f"{name}: {np.count_nonzero(out == 0)} of {x.size} units dropped in "
                              f"evaluation mode: return x when self.training is False.")
    assert_close(f"{name} (the identity: no mask, no scaling)", out, x, rtol=0, atol=0)
    again = forward(layer, x)
    assert_close(f"{name}, called again (evaluation is deterministic)", again, x, rtol=0, atol=0)
    name = f"Dropout({p}).backward(dout) after layer.eval()"
    assert_array(name, dx, dout.shape, dout.dtype)
    if type(trained) is np.ndarray and same(dx, np.where(trained != 0, dout / (1 - p), 0.0), 1e-9):
        raise AssertionError(f"{name}: dx is dout times the mask of the earlier training call: in "
                             f"evaluation no unit is dropped, so dout passes through unchanged.")
    assert_close(f"{name} (dout passes through)", dx, dout, rtol=0, atol=0)


# ---- dtype and inputs -------------------------------------------------------------------

def test_dropout_keeps_float32(impl, rng):
    p = 0.25
    layer = make_dropout(impl, p, rng)
    x = nonzero_inputs((16, 20), rng, np.float32)
    dout = rng.standard_normal((16, 20)).astype(np.float32)
    out, dx = forward_backward(layer, x, dout)
    assert_training_output(f"Dropout({p}).forward(x) of float32 x", out, x, p, rtol=1e-6)
    assert_training_gradient(f"Dropout({p}).backward(dout) of float32 dout", dx, dout, out, x, p,
                             rtol=1e-6)


def test_dropout_leaves_its_inputs_unchanged(impl, rng):
    layer = make_dropout(impl, 0.5, rng)
    x, dout = nonzero_inputs((9, 7), rng), rng.standard_normal((9, 7))
    before = snapshot(x, dout)
    out = layer.forward(x)
    out = out.copy() if type(out) is np.ndarray else out
    dx = layer.backward(dout)
    assert_unchanged("x", before[0], x, advice="return x * mask / (1 - p), not x *= ...")
    assert_unchanged("dout", before[1], dout, advice="return dout * mask / (1 - p), not dout *= ...")
    assert_training_output("Dropout(0.5).forward(x)", out, before[0], 0.5)
    assert_training_gradient("Dropout(0.5).backward(dout)", dx, before[1], out, before[0], 0.5)


# ---- train/eval switching through a model ------------------------------------------------

def model_with_dropout(impl, rng, p, d=6, c=4):
    """Sequential(Dropout(p) > Linear(d, c)) with trusted weights and a nonzero bias (so that
    scaling the Linear's input changes the predictions)."""
    layers = [make_dropout(impl, p, rng), impl.layers.Linear(d, c, rng, weight_init=impl.doubles.gaussian)]
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead())
    fill(model.layers[1], ("params", "b"), rng.uniform(-2.0, 2.0, c))
    return model


def test_predict_with_dropout_is_deterministic(impl, rng):
    # W = 3 on feature k for class k (k < 4), b in (-1, 1): a row that is 2 on feature k and
    # within 0.2 of 0 elsewhere scores at least 5 for class k and at most 1.6 for the others
    model = model_with_dropout(impl, rng, 0.5)
    fill(model.layers[1], ("params", "W"), 3.0 * np.eye(6, 4))
    fill(model.layers[1], ("params", "b"), rng.uniform(-1.0, 1.0, 4))
    expected = rng.integers(0, 4, 300)
    X = 2.0 * np.eye(6)[expected] + rng.uniform(-0.2, 0.2, (300, 6))
    for call in ("first", "second"):
        assert_close(f"predict(model, X) on Dropout(0.5) > Linear, {call} call (predict puts the "
                     f"model in eval mode, where Dropout must return x: the labels of the Linear "
                     f"alone)", impl.training.predict(model, X), expected, rtol=0, atol=0)


def test_model_train_brings_dropout_back(impl, rng):
    model = model_with_dropout(impl, rng, 0.5)
    X = rng.standard_normal((40, 6))
    impl.training.predict(model, X)           # leaves the model in eval mode
    back_to_training = model.train            # training mode again, for the whole model
    back_to_training()
    first, second = model.forward(X), model.forward(X)
    assert_array("model.forward(X) after model.train()", first, (40, 4), X.dtype)
    require(not np.array_equal(first, second),
            "after model.train(), two forward passes on the same X gave the same scores: Dropout "
            "must drop units again when self.training is True (model.train() sets it).")
