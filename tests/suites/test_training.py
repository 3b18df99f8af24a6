"""Checks for mini-batch SGD, predict and accuracy (exercise ``training``).

The test models are Linear > head with trusted weights, plus test doubles
(grader.doubles) that record what each training step sees.
"""
import numpy as np
import pytest

from grader.remote import fill, global_rng_state
from tests.checks import assert_close, assert_float, assert_unchanged, snapshot
from tests.trusted_models import require, softmax_loss

pytestmark = pytest.mark.exercise("training")


def linear_model(impl, rng, d=2, c=3, reg=0.0, extra=()):
    layers = [*extra, impl.layers.Linear(d, c, rng, weight_init=impl.doubles.gaussian)]
    return impl.models.Sequential(layers, impl.models.SoftmaxHead(), reg=reg)


def labelled(n, rng):
    """X (n, 2) whose first column is row index + 0.25 * label: floor(X[:, 0]) gives the row."""
    y = rng.integers(0, 3, n)
    X = np.stack([np.arange(n) + 0.25 * y, rng.standard_normal(n)], axis=1)
    return X, y


def test_accuracy_known_answer(impl):
    acc = impl.training.accuracy(np.array([0, 1, 2, 1]), np.array([0, 1, 1, 1]))
    assert_float("accuracy([0, 1, 2, 1], [0, 1, 1, 1])", acc, 0.75)
    assert_float("accuracy of all-correct labels", impl.training.accuracy(np.arange(5), np.arange(5)), 1.0)


def test_predict_known_answer_in_eval_mode(impl, rng):
    model = linear_model(impl, rng, extra=[impl.doubles.EvalShift()])
    W = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.5]])
    fill(model.layers[1], ("params", "W"), W)
    X = rng.standard_normal((8, 2))
    expected = (X @ W).argmax(axis=1)
    labels = impl.training.predict(model, X)
    assert_close("predict(model, X) (in eval mode: model.eval())", labels, expected.astype(np.int64))


def test_train_full_batch_is_gradient_descent(impl, rng):
    X, y = rng.standard_normal((12, 2)), rng.integers(0, 3, 12)
    model = linear_model(impl, rng, reg=0.1)
    W, b = model.layers[0].params["W"].copy(), model.layers[0].params["b"].copy()
    history = impl.training.train(model, X, y, rng, steps=3, lr=0.5, batch_size=None)
    losses = []
    for _ in range(3):                               # trusted gradient descent, same start
        loss, ds = softmax_loss(X @ W + b, y)
        losses.append(loss + 0.05 * np.sum(W * W))
        W, b = W - 0.5 * (X.T @ ds + 0.1 * W), b - 0.5 * ds.sum(axis=0)
    assert_close("history.loss (one loss per step, before its update)",
                 np.array(history.loss), np.array(losses))
    assert_close('params["W"] after 3 full-batch steps: W <- W - lr * dL/dW', model.layers[0].params["W"], W)
    assert_close('params["b"] after 3 full-batch steps', model.layers[0].params["b"], b)


@pytest.mark.parametrize("batch_size", [3, 4, 5], ids=["batch=3", "batch=4", "batch=5-divides-N"])
def test_train_minibatches_follow_the_permutations(impl, rng, batch_size):
    n, steps = 10, 8
    X, y = labelled(n, rng)
    recorder = impl.doubles.Recorder()
    model = linear_model(impl, rng, extra=[recorder])
    seed = int(rng.integers(2**31))
    impl.training.train(model, X, y, np.random.default_rng(seed), steps=steps, lr=0.1,
                        batch_size=batch_size, eval_every=100)
    expected, mine = [], np.random.default_rng(seed)
    while len(expected) < steps:
        perm = mine.permutation(n)
        expected += [perm[k * batch_size:(k + 1) * batch_size] for k in range(n // batch_size)]
    require(len(recorder.seen) == steps,
            f"{steps} steps ran {len(recorder.seen)} training forward passes")
    for step, (xb, idx) in enumerate(zip(recorder.seen, expected[:steps]), start=1):
        rows = np.floor(xb[:, 0]).astype(int)
        assert_close(f"rows of X in batch {step} (one permutation per epoch, from rng, "
                     f"batches of {batch_size}, a new permutation when no whole batch is left)",
                     rows, idx.astype(int))


def test_train_steps_run_in_training_mode(impl, rng):
    X, y = labelled(6, rng)
    recorder = impl.doubles.Recorder()
    model = linear_model(impl, rng, extra=[recorder])
    impl.training.train(model, X, y, rng, steps=4, lr=0.1, eval_every=1)
    require(len(recorder.seen) == 4,
            f"4 steps with an evaluation after each ran {len(recorder.seen)} forward passes in "
            f"training mode: predict() switches to eval mode, so call model.train() before each step")
    require(recorder.training, "after train() the model must be back in training mode")


def test_train_batches_keep_each_point_with_its_label(impl, rng):
    X, y = labelled(12, rng)
    seen_labels = []

    class Head:
        def loss(self, scores, yb):
            seen_labels.append(np.array(yb, copy=True))
            return softmax_loss(scores, yb)

        def predict(self, scores):
            return scores.argmax(axis=1)

    recorder = impl.doubles.Recorder()
    layers = [recorder, impl.layers.Linear(2, 3, rng, weight_init=impl.doubles.gaussian)]
    model = impl.models.Sequential(layers, Head())
    impl.training.train(model, X, y, rng, steps=6, lr=0.1, batch_size=5, eval_every=100)
    require(len(seen_labels) == 6, f"6 steps gave the head {len(seen_labels)} batches")
    for step, (xb, yb) in enumerate(zip(recorder.seen, seen_labels), start=1):
        true = y[np.floor(xb[:, 0]).astype(int)]
        assert_close(f"labels of batch {step} (y must be shuffled with the same indices as X)",
                     np.asarray(yb).astype(np.int64), true.astype(np.int64))


def test_train_history(impl, rng):
    X, y = rng.standard_normal((30, 2)), rng.integers(0, 3, 30)
    model = linear_model(impl, rng, reg=0.01)
    calls = []
    history = impl.training.train(model, X, y, rng, steps=25, lr=0.3, batch_size=8, eval_every=10,
                                  on_step=lambda step, loss: calls.append((step, loss)))
    require(len(history.loss) == 25, f"history.loss has {len(history.loss)} entries for 25 steps")
    require(all(isinstance(v, float) for v in history.loss), "history.loss must hold floats")
    require(history.steps == [10, 20, 25],
            f"accuracy recorded after steps {history.steps}, expected [10, 20, 25]")
    final = impl.training.accuracy(impl.training.predict(model, X), y)
    assert_float("history.accuracy[-1] (accuracy on all of X after the last step)",
                 history.accuracy[-1], final)
    require([s for s, _ in calls] == list(range(1, 26)),
            "on_step(step, loss) must be called after every step")
    assert_close("losses passed to on_step", np.array([v for _, v in calls]), np.array(history.loss))


def test_train_is_deterministic_under_a_seed(impl, rng):
    X, y = rng.standard_normal((40, 2)), rng.integers(0, 3, 40)
    runs = []
    for seed in (5, 5, 6):
        model = linear_model(impl, np.random.default_rng(0))
        history = impl.training.train(model, X, y, np.random.default_rng(seed), steps=12, lr=0.2,
                                      batch_size=7)
        runs.append((np.array(history.loss), model.layers[0].params["W"].copy()))
    assert_close("history.loss of two runs with the same seed", runs[1][0], runs[0][0], rtol=0, atol=0)
    assert_close("weights of two runs with the same seed", runs[1][1], runs[0][1], rtol=0, atol=0)
    require(not np.array_equal(runs[2][0], runs[0][0]),
            "two seeds gave identical mini-batch losses: are batches drawn from the rng you were given?")


def test_train_leaves_inputs_and_global_rng_alone(impl, rng):
    X, y = rng.standard_normal((20, 2)), rng.integers(0, 3, 20)
    before = snapshot(X, y)
    global_rng = global_rng_state(impl)["state"]
    model = linear_model(impl, rng)
    W = model.layers[0].params["W"]
    impl.training.train(model, X, y, rng, steps=5, lr=0.1, batch_size=6)
    assert_unchanged("X", before[0], X)
    assert_unchanged("y", before[1], y)
    after = global_rng_state(impl)["state"]
    require(after["pos"] == global_rng["pos"] and np.array_equal(after["key"], global_rng["key"]),
            "train used numpy's global RNG (np.random.*): draw from the rng argument instead")
    require(not np.array_equal(model.layers[0].params["W"], W), "train did not change the weights")


def test_train_with_an_optimizer_lets_it_take_every_step(impl, rng):
    X, y = rng.standard_normal((9, 2)), rng.integers(0, 3, 9)
    model = linear_model(impl, rng)
    W = model.layers[0].params["W"].copy()
    optimizer = impl.doubles.StepCounter(model.parameters())
    impl.training.train(model, X, y, rng, steps=4, lr=0.5, optimizer=optimizer)
    require(len(optimizer.seen) == 4,
            f"train(..., steps=4, optimizer=opt) called opt.step() {len(optimizer.seen)} times, "
            f"expected once per step")
    assert_close('params["W"] after 4 steps whose optimizer moves nothing (with an optimizer, '
                 'optimizer.step() replaces the SGD update)', model.layers[0].params["W"], W)
    _, ds = softmax_loss(X @ W + model.layers[0].params["b"], y)
    assert_close('grads["W"] when optimizer.step() is called (after model.loss of the batch)',
                 optimizer.seen[0][0], X.T @ ds)
