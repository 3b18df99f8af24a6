"""Kit self-tests: bad hyperparameters for the optimizers, schedules and clipping (optim.py)
raise a ValueError that names where, the argument and the value given.

These check the given code outside the student's blocks, so they hold for the stubs
too; they carry no exercise marker and score nothing.
"""
import re

import numpy as np
import pytest

from grader.doubles import Parameters


def mentions(*fragments):
    """A ``match=`` pattern that finds every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def pairs():
    return Parameters(W=np.ones((2, 3)), b=np.zeros(3)).pairs()


@pytest.mark.parametrize("cls", ["SGD", "RMSprop", "Adam", "AdamW"])
@pytest.mark.parametrize("lr", [0.0, -0.1, "0.1", None], ids=["zero", "negative", "string", "None"])
def test_optimizer_rejects_lr(impl, cls, lr):
    with pytest.raises(ValueError, match=mentions(cls, "lr", repr(lr))):
        getattr(impl.optim, cls)(pairs(), lr=lr)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
@pytest.mark.parametrize("betas, name, value", [
    ((1.0, 0.999), "beta1", 1.0), ((-0.1, 0.999), "beta1", -0.1),
    ((0.9, 1.0), "beta2", 1.0), ((0.9, 1.5), "beta2", 1.5),
], ids=["beta1=1", "beta1<0", "beta2=1", "beta2>1"])
def test_adam_rejects_betas_outside_0_1(impl, cls, betas, name, value):
    with pytest.raises(ValueError, match=mentions(cls, name, "[0.0, 1.0)", repr(value))):
        getattr(impl.optim, cls)(pairs(), lr=0.01, betas=betas)


@pytest.mark.parametrize("momentum", [1.0, 1.5, -0.5], ids=str)
def test_sgd_rejects_momentum_outside_0_1(impl, momentum):
    with pytest.raises(ValueError, match=mentions("SGD", "momentum", repr(momentum))):
        impl.optim.SGD(pairs(), lr=0.1, momentum=momentum)


def test_sgd_rejects_nesterov_without_momentum(impl):
    with pytest.raises(ValueError, match=mentions("SGD", "nesterov", "momentum=0")):
        impl.optim.SGD(pairs(), lr=0.1, nesterov=True)


@pytest.mark.parametrize("cls", ["SGD", "AdamW"])
def test_weight_decay_must_not_be_negative(impl, cls):
    with pytest.raises(ValueError, match=mentions(cls, "weight_decay", "-0.01")):
        getattr(impl.optim, cls)(pairs(), lr=0.1, weight_decay=-0.01)


@pytest.mark.parametrize("kwargs, name, value", [
    ({"alpha": 1.0}, "alpha", 1.0), ({"alpha": -0.5}, "alpha", -0.5), ({"eps": -1e-8}, "eps", -1e-8),
], ids=["alpha=1", "alpha<0", "eps<0"])
def test_rmsprop_rejects_alpha_and_eps(impl, kwargs, name, value):
    with pytest.raises(ValueError, match=mentions("RMSprop", name, repr(value))):
        impl.optim.RMSprop(pairs(), lr=0.01, **kwargs)


def test_optimizer_wants_layer_name_pairs(impl):
    with pytest.raises(ValueError, match=mentions("SGD", "(layer, name) pairs")):
        impl.optim.SGD([np.zeros(3)], lr=0.1)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, "1.0"], ids=["zero", "negative", "string"])
def test_clip_grad_norm_rejects_max_norm(impl, max_norm):
    with pytest.raises(ValueError, match=mentions("clip_grad_norm", "max_norm", repr(max_norm))):
        impl.optim.clip_grad_norm(pairs(), max_norm)


def test_make_optimizer_rejects_unknown_name(impl):
    with pytest.raises(ValueError, match=mentions("optimizer", "unknown name", "'adamax'", "adamw")):
        impl.optim.make_optimizer("adamax", pairs(), lr=0.01)


def test_make_optimizer_passes_bad_values_on(impl):
    with pytest.raises(ValueError, match=mentions("SGD", "lr", "-1.0")):
        impl.optim.make_optimizer("momentum", pairs(), lr=-1.0)


@pytest.mark.parametrize("name, cls, momentum, nesterov", [
    ("sgd", "SGD", 0.0, False), ("momentum", "SGD", 0.9, False), ("nesterov", "SGD", 0.9, True),
])
def test_make_optimizer_presets(impl, name, cls, momentum, nesterov):
    optimizer = impl.optim.make_optimizer(name, pairs(), lr=0.01)
    assert type(optimizer).__name__ == cls
    assert (optimizer.momentum, optimizer.nesterov) == (momentum, nesterov)


def test_make_schedule_rejects_unknown_name(impl):
    with pytest.raises(ValueError, match=mentions("schedule", "unknown name", "'linear'", "cosine")):
        impl.optim.make_schedule("linear", 0.1, 100)


@pytest.mark.parametrize("lr", [0.0, -0.5], ids=["zero", "negative"])
def test_make_schedule_rejects_lr(impl, lr):
    with pytest.raises(ValueError, match=mentions("schedule", "lr", repr(lr))):
        impl.optim.make_schedule("cosine", lr, 100)
