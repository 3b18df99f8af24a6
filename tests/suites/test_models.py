"""Checks for the output heads, Sequential and the MLP builder (exercises heads, sequential, mlp)."""
import itertools

import numpy as np
import pytest

from grader.remote import type_name
from tests.checks import assert_array, assert_close, assert_float, assert_unchanged, snapshot
from tests.trusted_models import (
    PENALTY,
    check_model_gradients,
    hinge,
    kink_distance,
    randomize_biases,
    require,
    softmax_loss,
)

heads = pytest.mark.exercise("heads")
sequential = pytest.mark.exercise("sequential")
mlp = pytest.mark.exercise("mlp")

SCORES = np.array([[1.0, 2.0, 3.0], [2.0, -1.0, 0.5], [0.0, 0.0, 4.0], [1.5, 1.4, -2.0]])
LABELS = np.array([2, 0, 1, 1])


# ----- heads -------------------------------------------------------------------------------

@heads
def test_softmax_head_loss_known_answer(impl):
    loss, dscores = impl.models.SoftmaxHead().loss(SCORES.copy(), LABELS)
    expected_loss, expected_d = softmax_loss(SCORES, LABELS)
    assert_float("SoftmaxHead.loss: loss", loss, expected_loss)
    assert_close("SoftmaxHead.loss: dscores", dscores, expected_d, n=4)


@heads
@pytest.mark.parametrize("delta", [1.0, 0.5])
def test_svm_head_loss_known_answer(impl, delta):
    loss, dscores = impl.models.SVMHead(delta=delta).loss(SCORES.copy(), LABELS)
    expected_loss, expected_d = hinge(SCORES, LABELS, delta)
    if delta != 1.0 and type(loss) in (float, np.float64) and abs(loss - hinge(SCORES, LABELS)[0]) < 1e-12:
        raise AssertionError(f"SVMHead(delta={delta}).loss: got the loss of delta = 1: pass the "
                             f"head's own delta on to hinge_loss")
    assert_float(f"SVMHead(delta={delta}).loss: loss", loss, expected_loss)
    assert_close(f"SVMHead(delta={delta}).loss: dscores", dscores, expected_d, n=4)


@heads
@pytest.mark.parametrize("head", ["SoftmaxHead", "SVMHead"])
def test_head_predict_known_answer(impl, head):
    scores = SCORES.copy()
    labels = getattr(impl.models, head)().predict(scores)
    assert_close(f"{head}.predict(scores)", labels, np.array([2, 0, 2, 0], dtype=np.int64))
    assert_unchanged("scores", SCORES, scores)


# ----- sequential --------------------------------------------------------------------------

def two_linear(impl, rng, sizes=(2, 3, 2)):
    return [impl.layers.Linear(d, m, rng, weight_init=impl.doubles.gaussian)
            for d, m in itertools.pairwise(sizes)]


def trusted_two_linear(layers, x, y, reg, penalty, head):
    """Loss and every gradient of Linear > Linear > head with a penalty on the weights only."""
    (W1, b1), (W2, b2) = [(layer.params["W"], layer.params["b"]) for layer in layers]
    value, grad = PENALTY[penalty]
    h = x @ W1 + b1
    loss, ds = (softmax_loss if head == "SoftmaxHead" else hinge)(h @ W2 + b2, y)
    dh = ds @ W2.T
    grads = {"W1": x.T @ dh + grad(W1, reg), "b1": dh.sum(0), "W2": h.T @ ds + grad(W2, reg), "b2": ds.sum(0)}
    return loss + value(W1, reg) + value(W2, reg), grads, dh @ W1.T


@sequential
def test_sequential_forward_known_answer(impl, rng):
    layers = two_linear(impl, rng)
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead())
    x = rng.standard_normal((5, 2))
    (W1, b1), (W2, b2) = [(layer.params["W"], layer.params["b"]) for layer in layers]
    assert_close("Sequential.forward(x)", model.forward(x), (x @ W1 + b1) @ W2 + b2)


@sequential
def test_sequential_backward_known_answer(impl, rng):
    layers = two_linear(impl, rng)
    randomize_biases(layers, rng)
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead())
    x, dscores = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    model.forward(x)
    dx = model.backward(dscores)
    (W1, _), (W2, _) = [(layer.params["W"], layer.params["b"]) for layer in layers]
    h = x @ W1 + layers[0].params["b"]
    assert_close("Sequential.backward(dscores): dx", dx, dscores @ W2.T @ W1.T)
    assert_close('layers[1].grads["W"]', layers[1].grads["W"], h.T @ dscores)
    assert_close('layers[0].grads["W"]', layers[0].grads["W"], x.T @ (dscores @ W2.T))


@sequential
@pytest.mark.parametrize("head", ["SoftmaxHead", "SVMHead"])
@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_sequential_loss_known_answer(impl, rng, head, penalty):
    layers = two_linear(impl, rng, sizes=(3, 4, 3))
    randomize_biases(layers, rng)
    model = impl.models.Sequential(layers, getattr(impl.models, head)(), reg=0.3, penalty=penalty)
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    expected_loss, expected, _ = trusted_two_linear(layers, x, y, 0.3, penalty, head)
    loss = model.loss(x, y)
    value = PENALTY[penalty][0]
    likely = {"the biases are penalized too (biases get no penalty)":
              expected_loss + sum(value(layer.params["b"], 0.3) for layer in layers)}
    for i, layer in enumerate(layers):
        likely[f"the penalty of layers[{i}] is missing"] = expected_loss - value(layer.params["W"], 0.3)
    for cause, wrong in likely.items():
        if isinstance(loss, float) and abs(loss - wrong) < 1e-9 * abs(wrong):
            raise AssertionError(f"Sequential.loss: expected {float(expected_loss)!r}, got "
                                 f"{float(loss)!r}: {cause}")
    assert_float(f"Sequential.loss (head loss + {penalty} penalty of every W)", loss, expected_loss)
    for i in (0, 1):
        assert_close(f'layers[{i}].grads["W"] (penalty gradient included)', layers[i].grads["W"],
                     expected[f"W{i + 1}"])
        assert_close(f'layers[{i}].grads["b"] (biases get no penalty)', layers[i].grads["b"],
                     expected[f"b{i + 1}"])


@sequential
@pytest.mark.parametrize("head,penalty", [("SoftmaxHead", "l2"), ("SVMHead", "l1")])
def test_sequential_loss_gradients(impl, rng, head, penalty):
    for _ in range(20):
        layers = [impl.layers.Linear(3, 5, rng, weight_init=impl.doubles.gaussian), impl.doubles.TanhLayer(),
                  impl.layers.Linear(5, 3, rng, weight_init=impl.doubles.gaussian)]
        randomize_biases(layers, rng)
        x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
        if kink_distance(layers, x, y, penalty=penalty) > 1e-3:
            break
    model = impl.models.Sequential(layers, getattr(impl.models, head)(), reg=0.2, penalty=penalty)
    check_model_gradients(model, x, y, rng)


@sequential
def test_sequential_loss_inputs_and_params_unchanged(impl, rng):
    layers = two_linear(impl, rng, sizes=(3, 4, 3))
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead(), reg=0.1)
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    before = snapshot(x, y, *[layer.params[k] for layer in layers for k in ("W", "b")])
    expected, _, _ = trusted_two_linear(layers, x, y, 0.1, "l2", "SoftmaxHead")
    loss = model.loss(x, y)
    after = [x, y, *[layer.params[k] for layer in layers for k in ("W", "b")]]
    for name, old, new in zip(["x", "y", "W1", "b1", "W2", "b2"], before, after):
        assert_unchanged(name, old, new)
    assert_float("model.loss(x, y)", loss, expected)


@sequential
def test_sequential_loss_twice_same_grads(impl, rng):
    layers = two_linear(impl, rng, sizes=(3, 4, 3))
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead(), reg=0.1)
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    first_loss = model.loss(x, y)
    first = [layer.grads[k].copy() for layer in layers for k in ("W", "b")]
    assert_float("Sequential.loss (second call)", model.loss(x, y), first_loss)
    for (i, k), old in zip([(i, k) for i in (0, 1) for k in ("W", "b")], first):
        assert_close(f'layers[{i}].grads["{k}"] after a second loss (overwritten, not accumulated)',
                     layers[i].grads[k], old)


@sequential
def test_sequential_float32_keeps_dtype(impl, rng):
    layers = [impl.layers.Linear(3, 4, rng, weight_init=impl.doubles.gaussian, dtype=np.float32),
              impl.layers.Linear(4, 3, rng, weight_init=impl.doubles.gaussian, dtype=np.float32)]
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead(), reg=0.1)
    x, y = rng.standard_normal((6, 3)).astype(np.float32), rng.integers(0, 3, 6)
    assert_array("Sequential.forward(x) in float32", model.forward(x), (6, 3), np.float32)
    loss = model.loss(x, y)
    assert_float("Sequential.loss in float32", loss, loss)
    for i, layer in enumerate(layers):
        assert_array(f'layers[{i}].grads["W"] in float32', layer.grads["W"], (layer.in_features,
                     layer.out_features), np.float32)


# ----- mlp ---------------------------------------------------------------------------------

ACTIVATION_CLASS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "swish": "Swish"}


@mlp
@pytest.mark.parametrize("hidden", [(), (5,), (4, 6, 2)], ids=["no_hidden", "one_hidden", "three_hidden"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "swish"])
def test_mlp_structure(impl, rng, hidden, activation):
    model = impl.models.build_mlp(3, hidden, 4, rng, activation=activation, head="svm",
                                  weight_init=impl.doubles.gaussian, reg=0.25, penalty="l1")
    sizes = [3, *hidden, 4]
    want = []
    for i, (d, m) in enumerate(itertools.pairwise(sizes)):
        want.append(f"Linear({d}, {m})")
        if i < len(hidden):
            want.append(ACTIVATION_CLASS[activation])
    got = [f"Linear({layer.params['W'].shape[0]}, {layer.params['W'].shape[1]})"
           if isinstance(layer, impl.layers.Linear) else type_name(layer) for layer in model.layers]
    require(got == want,
            f"build_mlp(3, {hidden}, 4, activation={activation!r}): layers {got}, expected {want}")
    for layer in model.layers:
        if not isinstance(layer, impl.layers.Linear):
            require(isinstance(layer, getattr(impl.activations, ACTIVATION_CLASS[activation])),
                    f"{type_name(layer)} is not your activations.{ACTIVATION_CLASS[activation]}")
    require(len({id(layer) for layer in model.layers}) == len(model.layers), "a layer object is reused")
    require(isinstance(model.head, impl.models.SVMHead), f"head='svm' gave {model.head!r}")
    require((model.reg, model.penalty) == (0.25, "l1"),
            f"reg and penalty not passed on: got reg={model.reg}, penalty={model.penalty!r}")


@mlp
def test_mlp_weight_init_rng_and_dtype(impl):
    calls = []

    def recording(shape, rng):
        calls.append(tuple(shape))
        return rng.standard_normal(shape)

    model = impl.models.build_mlp(2, (5, 3), 4, np.random.default_rng(7), weight_init=recording,
                                  dtype=np.float32)
    require(calls == [(2, 5), (5, 3), (3, 4)],
            f"weight_init called with shapes {calls}; expected [(2, 5), (5, 3), (3, 4)], in this order")
    expected_rng = np.random.default_rng(7)
    linears = [layer for layer in model.layers if "W" in layer.params]
    for i, shape in enumerate(calls):
        W = expected_rng.standard_normal(shape).astype(np.float32)
        assert_close(f"Linear {i} weights (drawn in order from the one rng)", linears[i].params["W"], W)
        assert_close(f"Linear {i} bias", linears[i].params["b"], np.zeros(shape[1], np.float32))
    require(isinstance(model.head, impl.models.SoftmaxHead), f"default head gave {model.head!r}")


@mlp
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "swish"])
@pytest.mark.parametrize("head,penalty", [("softmax", "l2"), ("svm", "l1")])
def test_mlp_loss_gradients(impl, rng, activation, head, penalty):
    for _ in range(20):
        model = impl.models.build_mlp(3, (6, 5), 3, rng, activation=activation, head=head,
                                      weight_init=impl.doubles.gaussian, reg=0.1, penalty=penalty)
        randomize_biases(model.layers, rng)
        x, y = rng.standard_normal((7, 3)), rng.integers(0, 3, 7)
        if kink_distance(model.layers, x, y, penalty=penalty) > 1e-3:
            break
    check_model_gradients(model, x, y, rng)
