"""Milestones: train the package under test on the default spirals to its target.

Each trains exactly like ``python -m grader train PIPELINE`` (grader.fitting.fit,
seed 0, 100 points per class), with trusted He-normal weights so that only the
model and training code are graded here. The reference takes well under a second.
"""
import time

import numpy as np
import pytest

from grader.char_model import fit_text
from grader.fitting import OPTIM_TARGET, PRESETS, fit, fit_cnn
from tests.trusted_models import require


def require_falling_loss(history):
    require(len(history.loss) >= 2 and np.isfinite(history.loss[-1]),
            f"the training loss ended at {history.loss[-1] if history.loss else None}")
    require(history.loss[-1] < history.loss[0],
            f"the loss did not fall: {history.loss[0]:.4f} at step 1, {history.loss[-1]:.4f} at the end")


def train_to_target(impl, pipeline, optim=None):
    started = time.perf_counter()
    result = fit(impl, pipeline, weight_init=impl.doubles.he_gaussian, optim=optim)
    seconds = time.perf_counter() - started
    history = result.history
    require_falling_loss(history)
    target = OPTIM_TARGET if optim else PRESETS[pipeline]["target"]
    require(result.accuracy >= target,
            f"{result.description}: training accuracy {result.accuracy:.3f} after {len(history.loss)} "
            f"steps in {seconds:.1f} s, target {target}; see the loss curve with "
            f"`python -m grader train {pipeline}{' --optim ' + optim if optim else ''} --plot out.png`")


@pytest.mark.exercise("milestone_softmax")
def test_milestone_linear_softmax_on_spirals(impl):
    train_to_target(impl, "softmax")


@pytest.mark.exercise("milestone_svm")
def test_milestone_linear_svm_on_spirals(impl):
    train_to_target(impl, "svm")


@pytest.mark.exercise("milestone_mlp")
def test_milestone_mlp_on_spirals(impl):
    train_to_target(impl, "mlp")


@pytest.mark.exercise("milestone_adam")
def test_milestone_mlp_with_adam_on_spirals(impl):
    train_to_target(impl, "mlp", optim="adam")


@pytest.mark.exercise("milestone_batchnorm")
def test_milestone_deep_sigmoid_network_with_batchnorm(impl):
    train_to_target(impl, "deep")


@pytest.mark.exercise("milestone_cnn")
def test_milestone_cnn_on_digits(impl):
    # build_cnn's two blocks at half the width of `train cnn`, 100 Adam steps: the reference
    # reaches 0.96 on the 360 held-out digits in about half a second
    started = time.perf_counter()
    result = fit_cnn(impl, channels=(8, 16), steps=100)
    seconds = time.perf_counter() - started
    history = result.history
    require_falling_loss(history)
    require(result.val_accuracy >= 0.9,
            f"{result.description}: validation accuracy {result.val_accuracy:.3f} on the "
            f"{len(result.y_val)} held-out digits after 100 steps in {seconds:.1f} s, target 0.9; "
            f"see `python -m grader train cnn --plot out.png`")


@pytest.mark.exercise("milestone_lstm")
def test_milestone_character_lstm_on_the_text(impl):
    # a half-size model of `train lstm`: the reference reaches about 0.58 in a fifth of a second
    started = time.perf_counter()
    _, losses, accuracy, _, _ = fit_text(impl, "lstm", steps=100, lr=0.03, batch=16, length=16,
                                           hidden=32)
    seconds = time.perf_counter() - started
    require(np.isfinite(losses[-1]) and losses[-1] < losses[0],
            f"the loss did not fall: {losses[0]:.4f} at step 1, {losses[-1]:.4f} at step 100")
    require(accuracy >= 0.5,
            f"Embedding > LSTM(32) > Linear: next-character accuracy {accuracy:.3f} over the text "
            f"after 100 steps in {seconds:.1f} s, target 0.5; see `python -m grader train lstm`")
