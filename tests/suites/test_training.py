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
    fill(model.layers[1], ("params", "W"), np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.5]]))
    fill(model.layers[1], ("params", "b"), np.zeros(3))
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0], [0.2, 0.1], [0.5, 2.0], [-2.0, 1.0]])
    # scores X @ W by hand: [1, 0, -1], [0, 1, 0.5], [-1, -1, 0.5], [0.2, 0.1, -0.15],
    # [0.5, 2, 0.5], [-2, 1, 2.5]; in training mode EvalShift adds 100 to feature 0 (class 0 wins)
    labels = impl.training.predict(model, X)
    assert_close("predict(model, X) (in eval mode: model.eval())", labels,
                 np.array([0, 1, 2, 0, 1, 2], dtype=np.int64))


def test_train_full_batch_known_answer(impl, rng):
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 2.0], [0.5, -1.5]])
    y = np.array([0, 1, 2, 1, 0])
    model = linear_model(impl, rng, reg=0.1)
    fill(model.layers[0], ("params", "W"), np.array([[0.5, -0.25, 0.0], [0.0, 0.25, -0.5]]))
    fill(model.layers[0], ("params", "b"), np.array([0.1, 0.0, -0.1]))
    history = impl.training.train(model, X, y, rng, steps=3, lr=0.5, batch_size=None)
    # 3 steps of full-batch gradient descent on the mean softmax loss + 0.05 * sum(W^2), lr 0.5,
    # worked out once (loss values by the definition, gradients by a complex step) and frozen
    losses = np.array([0.9725882215608774, 0.812480934382449, 0.7245806351750645])
    W = np.array([[0.5383865500074843, -0.4525551677676209, 0.12851236776013666],
                  [-0.5150074133733644, 0.46034971546311343, -0.159686052089749]])
    b = np.array([0.12184297622415358, 0.030283110977311664, -0.15212608720146517])
    assert_close("history.loss (one loss per step, before its update)",
                 np.array(history.loss), losses)
    assert_close('params["W"] after 3 full-batch steps: W <- W - lr * dL/dW',
                 model.layers[0].params["W"], W)
    assert_close('params["b"] after 3 full-batch steps', model.layers[0].params["b"], b)


def minibatches_seen(impl, rng, n, steps, batch_size):
    """(seed, seen): train ran ``steps`` steps of ``batch_size`` on labelled(n) rows with
    np.random.default_rng(seed); seen holds the batch of each training forward pass."""
    X, y = labelled(n, rng)
    recorder = impl.doubles.Recorder()
    model = linear_model(impl, rng, extra=[recorder])
    seed = int(rng.integers(2**31))
    impl.training.train(model, X, y, np.random.default_rng(seed), steps=steps, lr=0.1,
                        batch_size=batch_size, eval_every=100)
    require(len(recorder.seen) == steps,
            f"{steps} steps ran {len(recorder.seen)} training forward passes")
    return seed, recorder.seen


@pytest.mark.parametrize("batch_size", [3, 4, 5], ids=["batch=3", "batch=4", "batch=5-divides-N"])
def test_train_minibatches_are_epochs_of_whole_batches(impl, rng, batch_size):
    n, steps = 10, 8
    per_epoch = n // batch_size
    seed, seen = minibatches_seen(impl, rng, n, steps, batch_size)
    batches = [np.floor(xb[:, 0]).astype(int) for xb in seen]
    for step, rows in enumerate(batches, start=1):
        require(len(rows) == batch_size and len(set(rows.tolist())) == batch_size,
                f"rows of X in batch {step}: expected {batch_size} different rows "
                f"(batch_size={batch_size}, N={n}), got {rows.tolist()}")
    epochs = [np.concatenate(batches[start:start + per_epoch]).tolist()
              for start in range(0, steps, per_epoch)]
    for k, epoch in enumerate(epochs):
        require(len(set(epoch)) == len(epoch),
                f"batches {k * per_epoch + 1} to {(k + 1) * per_epoch} (one epoch of {per_epoch} "
                f"whole batches) share rows, got {epoch}: draw one permutation per epoch and take "
                f"consecutive slices of it, a new permutation when no whole batch is left")
    # two permutations of 10 rows agree on their first 9 entries with probability 1/10!
    require(epochs[1] != epochs[0],
            f"the second epoch visits the rows in the same order as the first ({epochs[0]}): "
            f"draw one permutation per epoch from rng, not one for all epochs")
    first = np.random.default_rng(seed).permutation(n)[:batch_size]
    assert_close(f"rows of X in batch 1 (perm[:{batch_size}] of perm = rng.permutation({n}), "
                 f"the first thing drawn from rng)", batches[0], first.astype(int))


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
    model.loss(X, y)                           # the same full batch at the same weights
    dW = model.layers[0].grads["W"]
    require(np.any(dW), 'grads["W"] after model.loss(X, y) is all zeros')
    for step, seen in enumerate(optimizer.seen, start=1):
        assert_close(f'grads["W"] when optimizer.step() is called at step {step} (after '
                     f'model.loss of the batch)', seen[0], dW)
