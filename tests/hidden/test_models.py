"""Hidden checks of Sequential (exercise sequential): the loss and gradients of random models.

The trusted reference backpropagates by hand through Linear > Linear > head, with the head's
loss and the penalties of tests/trusted_models.py. It stays out of the handout: the visible
checks (tests/suites/test_models.py) hold worked examples and gradient checks only.
"""
import pytest

from tests.checks import assert_close, assert_float
from tests.suites.test_models import sequential, two_linear
from tests.trusted_models import PENALTY, hinge, randomize_biases, softmax_loss


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
