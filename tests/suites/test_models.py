"""Checks for the output heads, Sequential and the MLP builder (exercises heads, sequential, mlp)."""
import itertools

import numpy as np
import pytest

from grader.remote import fill, type_name
from tests.checks import assert_array, assert_close, assert_float, assert_unchanged, snapshot
from tests.trusted_models import (
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


# A worked example (binary fractions), computed once by hand backpropagation and frozen:
# h = x @ W1 + b1, scores = h @ W2 + b2.
W1, B1 = [[1.0, -0.5, 0.25], [0.5, 2.0, -1.0]], [0.5, -0.25, 1.0]
W2, B2 = [[1.0, -1.0], [0.5, 0.25], [-0.75, 2.0]], [0.25, -0.5]
X = np.array([[1.0, 2.0], [-0.5, 0.25], [2.0, -1.0]])
Y = np.array([1, 0, 1])


def worked_example(impl, rng):
    layers = two_linear(impl, rng)
    for layer, W, b in zip(layers, (W1, W2), (B1, B2)):
        fill(layer, ("params", "W"), W)
        fill(layer, ("params", "b"), b)
    return layers


@sequential
def test_sequential_forward_known_answer(impl, rng):
    model = impl.models.Sequential(worked_example(impl, rng), impl.models.SoftmaxHead())
    assert_close("Sequential.forward(x)", model.forward(X.copy()),
                 np.array([[4.9375, -3.6875], [0.15625, 0.75], [-1.25, 1.6875]]))


@sequential
def test_sequential_backward_known_answer(impl, rng):
    layers = worked_example(impl, rng)
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead())
    dscores = np.array([[1.0, -0.5], [0.25, 2.0], [-1.0, 0.5]])
    model.forward(X.copy())
    dx = model.backward(dscores)
    assert_close("Sequential.backward(dscores): dx", dx,
                 np.array([[0.875, 3.25], [-1.109375, -3.4375], [-0.875, -3.25]]))
    assert_close('layers[1].grads["W"]', layers[1].grads["W"],
                 np.array([[0.53125, 0.0], [6.625, -2.25], [-3.09375, 2.875]]))
    assert_close('layers[0].grads["W"]', layers[0].grads["W"],
                 np.array([[-0.625, -0.6875, -0.15625], [4.0625, 1.28125, -4.296875]]))


# Sequential(reg=0.3).loss(X, Y) of the worked example: the head's loss plus the penalty of each
# W (never of b), and the gradients with the penalty's included.
WORKED_LOSSES = [
    pytest.param("SoftmaxHead", "l2", 5.252384334361915, {
        "W1": [[1.2483961936458612, -0.03145047579426734, -1.2290447662630593],
               [1.3421693565614916, 0.7490211695701865, -1.939232865272051]],
        "b1": [0.27061733209450706, 0.03382716651181338, -0.37209883162994717],
        "W2": [[1.1398947689869303, -1.1398947689869303], [1.0712431416382129, -0.8462431416382129],
               [-0.5672264880277597, 0.9422264880277595]],
        "b2": [0.13530866604725353, -0.13530866604725353]},
        {0: 4.268009334361915, 1: 4.221134334361915, "b": 5.496134334361916, "all": 3.236759334361915},
        id="SoftmaxHead-l2"),
    pytest.param("SVMHead", "l1", 6.964583333333334, {
        "W1": [[1.3, -0.175, -1.075], [1.4666666666666666, 0.4458333333333333, -1.9041666666666666]],
        "b1": [0.0, 0.0, 0.0],
        "W2": [[1.0916666666666666, -1.0916666666666666], [1.2166666666666666, -0.6166666666666667],
               [-0.7583333333333333, 0.7583333333333333]],
        "b2": [0.0, 0.0]},
        {0: 5.389583333333333, 1: 5.314583333333333, "b": 7.714583333333334, "all": 3.7395833333333335},
        id="SVMHead-l1"),
]


@sequential
@pytest.mark.parametrize("head,penalty,loss,grads,slips", WORKED_LOSSES)
def test_sequential_loss_worked_example(impl, rng, head, penalty, loss, grads, slips):
    layers = worked_example(impl, rng)
    model = impl.models.Sequential(layers, getattr(impl.models, head)(), reg=0.3, penalty=penalty)
    got = model.loss(X.copy(), Y)
    causes = {0: "the penalty of layers[0] is missing", 1: "the penalty of layers[1] is missing",
              "b": "the biases are penalized too (biases get no penalty)",
              "all": "no penalty at all: Sequential.loss adds reg times the penalty of every W"}
    for slip, wrong in slips.items():       # the loss each known slip gives, worked once and frozen
        if isinstance(got, float) and abs(got - wrong) < 1e-9 * abs(wrong):
            raise AssertionError(f"Sequential.loss: expected {loss!r}, got {got!r}: {causes[slip]}.")
    assert_float(f"Sequential({head}, reg=0.3, penalty={penalty!r}).loss (head loss + penalty of "
                 f"every W, none of b)", got, loss)
    for i in (0, 1):
        assert_close(f'layers[{i}].grads["W"] (penalty gradient included)', layers[i].grads["W"],
                     np.array(grads[f"W{i + 1}"]))
        assert_close(f'layers[{i}].grads["b"] (biases get no penalty)', layers[i].grads["b"],
                     np.array(grads[f"b{i + 1}"]))


@sequential
@pytest.mark.parametrize("head,penalty", [("SoftmaxHead", "l2"), ("SVMHead", "l1")])
def test_sequential_loss_gradients(impl, rng, head, penalty):
    for _ in range(20):
        layers = [impl.layers.Linear(3, 5, rng, weight_init=impl.doubles.gaussian), impl.doubles.SineLayer(),
                  impl.layers.Linear(5, 3, rng, weight_init=impl.doubles.gaussian)]
        randomize_biases(layers, rng)
        x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
        if kink_distance(layers, x, y, penalty=penalty) > 1e-3:
            break
    model = impl.models.Sequential(layers, getattr(impl.models, head)(), reg=0.2, penalty=penalty)
    check_model_gradients(model, x, y, rng)


@sequential
def test_sequential_loss_inputs_and_params_unchanged(impl, rng):
    layers = worked_example(impl, rng)
    model = impl.models.Sequential(layers, impl.models.SoftmaxHead(), reg=0.3)
    x, y = X.copy(), Y.copy()
    before = snapshot(x, y, *[layer.params[k] for layer in layers for k in ("W", "b")])
    loss = model.loss(x, y)
    after = [x, y, *[layer.params[k] for layer in layers for k in ("W", "b")]]
    for name, old, new in zip(["x", "y", "W1", "b1", "W2", "b2"], before, after):
        assert_unchanged(name, old, new)
    assert_float("model.loss(x, y)", loss, 5.252384334361915)    # the worked example's


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
# build_mlp(3, hidden, 4): the layers, "act" standing for the activation
LAYERS = {(): ["Linear(3, 4)"],
          (5,): ["Linear(3, 5)", "act", "Linear(5, 4)"],
          (4, 6, 2): ["Linear(3, 4)", "act", "Linear(4, 6)", "act", "Linear(6, 2)", "act", "Linear(2, 4)"]}


@mlp
@pytest.mark.parametrize("hidden", [(), (5,), (4, 6, 2)], ids=["no_hidden", "one_hidden", "three_hidden"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "swish"])
def test_mlp_structure(impl, rng, hidden, activation):
    model = impl.models.build_mlp(3, hidden, 4, rng, activation=activation, head="svm",
                                  weight_init=impl.doubles.gaussian, reg=0.25, penalty="l1")
    want = [ACTIVATION_CLASS[activation] if name == "act" else name for name in LAYERS[hidden]]
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
