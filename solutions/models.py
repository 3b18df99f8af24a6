"""Models: output heads, the Sequential container, and the MLP builder.

A head turns class scores into a loss and predictions, with one interface:
``head.loss(scores, y) -> (loss, dscores)`` and ``head.predict(scores) -> labels``.
A Sequential model chains layers into a head; ``model.loss(x, y)`` runs forward,
the head, the weight penalty and backward, and leaves every gradient in its layer.
"""
import itertools

import numpy as np

from . import initializers
from .activations import ReLU, Sigmoid, Swish, Tanh
from .conv import Conv2d, Flatten, MaxPool2d
from .dropout import Dropout
from .inputs import check_batch, check_features, check_labels
from .layers import Linear
from .losses import hinge_loss, l1_regularization, l2_regularization, softmax_cross_entropy
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "swish": Swish}
PENALTIES = {"l2": l2_regularization, "l1": l1_regularization}
NORMALIZATIONS = {"batchnorm": BatchNorm1d, "layernorm": LayerNorm}
INITIALIZERS = ("he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "small_normal")


class Head:
    """What both heads share: predictions are the highest-scoring classes."""

    def predict(self, scores):
        """label_i = argmax_j scores_ij  (the most probable class, or the highest score).

        Inputs:  scores: (N, C) float
        Returns: labels: (N,) int64
        """
        scores = check_features(scores, f"{type(self).__name__}.predict", ndim=2, features="C",
                                name="scores")
        # BEGIN SOLUTION
        return scores.argmax(axis=1).astype(np.int64)
        # END SOLUTION


class SoftmaxHead(Head):
    """Softmax + cross-entropy: p = softmax(scores), L = mean_i -log p_i,y_i."""

    def loss(self, scores, y):
        """L = softmax_cross_entropy(scores, y).

        Inputs:  scores: (N, C) float; y: (N,) int in [0, C)
        Returns: loss: float; dscores: (N, C), dtype of scores
        """
        # BEGIN SOLUTION
        return softmax_cross_entropy(scores, y)
        # END SOLUTION

    def __repr__(self):
        return "SoftmaxHead()"


class SVMHead(Head):
    """Multiclass SVM: L = mean_i sum_{j != y_i} max(0, s_ij - s_iy_i + delta)."""

    def __init__(self, delta=1.0):
        self.delta = float(delta)

    def loss(self, scores, y):
        """L = hinge_loss(scores, y, delta).

        Inputs:  scores: (N, C) float; y: (N,) int in [0, C)
        Returns: loss: float; dscores: (N, C), dtype of scores
        """
        # BEGIN SOLUTION
        return hinge_loss(scores, y, self.delta)
        # END SOLUTION

    def __repr__(self):
        return f"SVMHead(delta={self.delta})"


class Sequential:
    """scores = layers[-1](... layers[0](x)); L = head.loss(scores, y) + sum_W penalty(W, reg).

    ``reg`` is the penalty strength and ``penalty`` "l2" or "l1"; the penalty applies
    to every weight params["W"], never to a bias params["b"].
    """

    def __init__(self, layers, head, reg=0.0, penalty="l2"):
        if penalty not in PENALTIES:
            raise ValueError(f"Sequential: penalty must be one of {sorted(PENALTIES)}, "
                             f"got {penalty!r}")
        if reg < 0:
            raise ValueError(f"Sequential: reg must be >= 0, got {reg}")
        self.layers, self.head = list(layers), head
        self.reg, self.penalty = float(reg), penalty

    def train(self):
        """Every layer to training behaviour; returns self."""
        for layer in self.layers:
            layer.train()
        return self

    def eval(self):
        """Every layer to evaluation behaviour; returns self."""
        for layer in self.layers:
            layer.eval()
        return self

    def parameters(self):
        """Every (layer, name) pair: the array layer.params[name], its gradient layer.grads[name]."""
        return [(layer, name) for layer in self.layers for name in layer.params]

    def forward(self, x):
        """scores = layers[-1](... layers[0](x)).

        Inputs:  x: (N, D) float
        Returns: scores: (N, C), dtype of x
        """
        # BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x
        # END SOLUTION

    def backward(self, dscores):
        """dx = dL/dx, given dscores = dL/dscores; fills every layer's grads.

        Inputs:  dscores: (N, C), the gradient of the loss with respect to the scores
        Returns: dx: (N, D)
        """
        # BEGIN SOLUTION
        for layer in reversed(self.layers):
            dscores = layer.backward(dscores)
        return dscores
        # END SOLUTION

    def loss(self, x, y):
        """L = head.loss(forward(x), y) + sum over weights W of penalty(W, reg); then backward.

        Afterwards grads["W"] of each layer holds dL/dW including the penalty's
        gradient, and grads["b"] holds dL/db without any penalty.

        Inputs:  x: (N, D) float; y: (N,) int in [0, C)
        Returns: loss: float
        """
        x = check_batch(x, "Sequential.loss")
        check_labels(y, len(x), "Sequential.loss", f" to match x {x.shape}")
        # BEGIN SOLUTION
        scores = self.forward(x)                                   # (N, C)
        loss, dscores = self.head.loss(scores, y)
        self.backward(dscores)
        penalty = PENALTIES[self.penalty]
        for layer in self.layers:
            if "W" in layer.params:
                r, dW = penalty(layer.params["W"], self.reg)
                loss += r
                layer.grads["W"] = layer.grads["W"] + dW
        return float(loss)
        # END SOLUTION

    def __repr__(self):
        inner = " > ".join(repr(layer) for layer in self.layers)
        return f"Sequential({inner} > {self.head!r}, reg={self.reg}, penalty={self.penalty!r})"


def _resolve_init(weight_init):
    if callable(weight_init):
        return weight_init
    if weight_init not in INITIALIZERS:
        raise ValueError(f"build_mlp: weight_init must be a function (shape, rng) -> W or one of "
                         f"{list(INITIALIZERS)}, got {weight_init!r}")
    return getattr(initializers, weight_init)


def build_mlp(in_features, hidden_sizes, n_classes, rng, activation="relu", head="softmax",
              weight_init="he_normal", reg=0.0, penalty="l2", dtype=np.float64):
    """[Linear > Activation] * len(hidden_sizes) > Linear > head.

    hidden_sizes=() gives a linear classifier: Linear(D, C) > head.
    Inputs:  in_features: D; hidden_sizes: sequence of ints (H1, H2, ...); n_classes: C
             rng: np.random.Generator, passed to every Linear in order (each draws its
             weights from it with weight_init((fan_in, fan_out), rng), first to last)
             activation: "relu" | "tanh" | "sigmoid" | "swish"; head: "softmax" | "svm"
             weight_init: a function (shape, rng) -> W, or an initializer's name
             dtype: of every parameter
             reg, penalty: as for Sequential
    Returns: a Sequential whose Linear weights are (D, H1), (H1, H2), ..., (Hk, C)
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"build_mlp: activation must be one of {sorted(ACTIVATIONS)}, "
                         f"got {activation!r}")
    if head not in ("softmax", "svm"):
        raise ValueError(f"build_mlp: head must be 'softmax' or 'svm', got {head!r}")
    hidden_sizes = [int(h) for h in hidden_sizes]
    if min(hidden_sizes + [in_features, n_classes]) < 1:
        raise ValueError(f"build_mlp: every size must be >= 1, got in_features={in_features}, "
                         f"hidden_sizes={hidden_sizes}, n_classes={n_classes}")
    weight_init = _resolve_init(weight_init)
    # BEGIN SOLUTION
    sizes = [in_features] + hidden_sizes + [n_classes]
    layers = []
    for i, (d, m) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(d, m, rng, weight_init=weight_init, dtype=dtype))
        if i < len(hidden_sizes):
            layers.append(ACTIVATIONS[activation]())
    out = SoftmaxHead() if head == "softmax" else SVMHead()
    return Sequential(layers, out, reg=reg, penalty=penalty)
    # END SOLUTION


def add_normalization_and_dropout(model, rng, norm=None, dropout=0.0):
    """A Sequential with ``norm`` ("batchnorm" or "layernorm") after every hidden Linear (before
    its activation), and Dropout(dropout, rng) after every hidden activation (when dropout > 0).

    Given code, for part 2: build_mlp(...) builds the network, this adds the layers, e.g.
    Linear > BatchNorm1d > ReLU > Dropout > Linear > head. The last Linear gets neither.
    """
    if norm is not None and norm not in NORMALIZATIONS:
        raise ValueError(f"add_normalization_and_dropout: norm must be None or one of "
                         f"{sorted(NORMALIZATIONS)}, got {norm!r}")
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"add_normalization_and_dropout: dropout must lie in [0, 1), got {dropout!r}")
    linears = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    layers = []
    for i, layer in enumerate(model.layers):
        layers.append(layer)
        hidden = linears and i < linears[-1]
        if isinstance(layer, Linear) and hidden and norm:
            W = layer.params["W"]
            layers.append(NORMALIZATIONS[norm](W.shape[1], dtype=W.dtype))
        elif not isinstance(layer, Linear) and hidden and dropout:
            layers.append(Dropout(dropout, rng))
    return Sequential(layers, model.head, reg=model.reg, penalty=model.penalty)


def build_cnn(in_channels, image_size, n_classes, rng, channels=(16, 32), batchnorm=False,
              weight_init="he_normal", reg=0.0):
    """[Conv2d(3 x 3, padding 1) > (BatchNorm2d) > ReLU > MaxPool2d(2)] for each entry of
    ``channels`` > Flatten > Linear > SoftmaxHead.

    Given code, for the convolution chapter. Each block halves the image (image_size must
    divide by 2 ** len(channels)); the Linear sees channels[-1] * (image_size / 2^k)^2 features.
    """
    if image_size % 2 ** len(channels):
        raise ValueError(f"build_cnn: image_size {image_size} does not divide by 2 ** "
                         f"{len(channels)} (one 2 x 2 pooling per block)")
    weight_init = _resolve_init(weight_init)
    layers, c = [], in_channels
    for f in channels:
        layers.append(Conv2d(c, f, 3, rng, padding=1, weight_init=weight_init))
        if batchnorm:
            layers.append(BatchNorm2d(f))
        layers += [ReLU(), MaxPool2d(2)]
        c = f
    side = image_size // 2 ** len(channels)
    layers += [Flatten(), Linear(c * side * side, n_classes, rng, weight_init=weight_init)]
    return Sequential(layers, SoftmaxHead(), reg=reg)
