"""Milestones: train the package under test on the default spirals to its target.

Each trains exactly like ``python -m grader train PIPELINE`` (grader.fitting.fit,
seed 0, 100 points per class), with trusted He-normal weights so that only the
model and training code are graded here. The reference takes well under a second.
"""
import time

import numpy as np
import pytest

from grader.fitting import OPTIM_TARGET, PRESETS, fit
from tests.trusted_models import require


def train_to_target(impl, pipeline, optim=None):
    started = time.perf_counter()
    result = fit(impl, pipeline, weight_init=impl.doubles.he_gaussian, optim=optim)
    seconds = time.perf_counter() - started
    history = result.history
    require(len(history.loss) >= 2 and np.isfinite(history.loss[-1]),
            f"the training loss ended at {history.loss[-1] if history.loss else None}")
    require(history.loss[-1] < history.loss[0],
            f"the loss did not fall: {history.loss[0]:.4f} at step 1, {history.loss[-1]:.4f} at the end")
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
