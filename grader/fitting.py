"""How the kit trains a package on the spirals: shared by ``python -m grader train`` and the milestones.

    result = fit(impl, "mlp", optim="adam", validate=True)
    result.accuracy, result.val_accuracy, result.history.loss

Everything comes from the package under test: the model (build_mlp, or Linear > head),
the training loop, the optimizer and schedule, the split. The seed fixes the data,
the weights and the batches.
"""
import time
from dataclasses import dataclass

import numpy as np

from data.spiral import make_spirals

from .wire import type_name

# Defaults per pipeline: CS231n's spiral case study, tuned for He-initialized weights; target:
# the training accuracy its milestone asks for (the reference reaches 0.54, 0.53 and 0.99).
PRESETS = {
    "softmax": {"hidden": (), "head": "softmax", "steps": 300, "lr": 1.0, "reg": 1e-3, "target": 0.45},
    "svm": {"hidden": (), "head": "svm", "steps": 300, "lr": 1.0, "reg": 1e-3, "target": 0.45},
    "mlp": {"hidden": (100,), "head": "softmax", "steps": 1000, "lr": 1.0, "reg": 1e-3, "target": 0.95},
    # four sigmoid layers: stuck at chance (0.33) without normalization, 0.99 with BatchNorm
    "deep": {"hidden": (32,) * 4, "activation": "sigmoid", "head": "softmax", "steps": 600,
             "lr": 1.0, "reg": 0.0, "batch": 100, "norm": "batchnorm", "target": 0.9},
}
# With an optimizer: OPTIM_STEPS mini-batches of OPTIM_BATCH and its own learning rate; the
# milestone asks for OPTIM_TARGET with Adam (the reference reaches 0.98 to 0.99 with each).
OPTIM_LR = {"sgd": 1.0, "momentum": 0.1, "nesterov": 0.1, "rmsprop": 0.01, "adam": 0.01, "adamw": 0.01}
OPTIM_STEPS = 1000
OPTIM_BATCH = 100
OPTIM_TARGET = 0.97
VAL_FRACTION = 0.2


@dataclass
class Fit:
    model: object
    X: np.ndarray                 # the training points
    y: np.ndarray
    history: object
    accuracy: float               # on the training points
    seconds: float
    description: str
    optimizer: object = None
    X_val: np.ndarray = None      # the held-out points, with --validate
    y_val: np.ndarray = None
    val_accuracy: float = None


def describe(model):
    """The model the code built, as 'Linear(100) > ReLU > Linear > Softmax' (read from its layers)."""
    layers = list(model.layers)
    parts = []
    for number, layer in enumerate(layers):
        params = layer.params
        if "W" in params and number < len(layers) - 1:
            parts.append(f"Linear({params['W'].shape[1]})")
        else:
            parts.append("Linear" if "W" in params else type_name(layer))
    head = type_name(model.head).removesuffix("Head")
    return " > ".join(repeats_folded(parts) + [head])


def repeats_folded(parts):
    """['A', 'B', 'A', 'B', 'C'] -> ['[A > B] × 2', 'C']: a block repeated from the start, said once."""
    for size in range(1, len(parts) // 2 + 1):
        unit, times = parts[:size], 1
        while parts[times * size:(times + 1) * size] == unit:
            times += 1
        if times >= 2:
            return [f"[{' > '.join(unit)}] × {times}"] + parts[times * size:]
    return parts


def build(impl, hidden, head, activation, reg, rng, weight_init):
    """The model: Linear > head when there is no hidden layer, else impl.models.build_mlp."""
    if isinstance(weight_init, str):
        weight_init = getattr(impl.initializers, weight_init)
    if not hidden:
        heads = {"softmax": impl.models.SoftmaxHead, "svm": impl.models.SVMHead}
        return impl.models.Sequential([impl.layers.Linear(2, 3, rng, weight_init=weight_init)],
                                      heads[head](), reg=reg)
    return impl.models.build_mlp(2, hidden, 3, rng, activation=activation, head=head,
                                 weight_init=weight_init, reg=reg)


def default_steps(pipeline, optim=None):
    """The number of steps a run takes unless told: the pipeline's, or OPTIM_STEPS with an optimizer."""
    return OPTIM_STEPS if optim else PRESETS[pipeline]["steps"]


def default_batch(pipeline, optim=None):
    """The mini-batch size unless told: OPTIM_BATCH with an optimizer, else the pipeline's (None: all)."""
    return OPTIM_BATCH if optim else PRESETS[pipeline].get("batch")


def fit(impl, pipeline, *, hidden=None, activation=None, steps=None, lr=None, reg=None,
        seed=0, points=100, batch_size=None, weight_init="he_normal", on_step=None,
        optim=None, schedule="constant", validate=False, norm="preset", dropout=0.0):
    """Train ``impl`` on make_spirals(points, rng=default_rng(seed)) with ``pipeline``'s presets.

    optim: None (the plain SGD of train) or a name of impl.optim.OPTIMIZERS, with its
    schedule; validate: hold out VAL_FRACTION of the points (stratified) and measure on them;
    norm ("batchnorm", "layernorm", None; the preset's unless given) and dropout: layers
    added by impl.models.add_normalization_and_dropout.
    """
    preset = PRESETS[pipeline]
    hidden = tuple(preset["hidden"] if hidden is None else hidden)
    activation = activation or preset.get("activation", "relu")
    norm = preset.get("norm") if norm == "preset" else norm
    steps = default_steps(pipeline, optim) if steps is None else steps
    lr = (OPTIM_LR.get(optim, preset["lr"]) if optim else preset["lr"]) if lr is None else lr
    batch_size = default_batch(pipeline, optim) if batch_size is None else batch_size
    reg = preset["reg"] if reg is None else reg
    rng = np.random.default_rng(seed)
    X, y = make_spirals(points, rng=rng)
    X_val = y_val = None
    if validate:
        train_idx, val_idx = impl.metrics.train_val_split(y, VAL_FRACTION, rng, stratify=True)
        X, y, X_val, y_val = X[train_idx], y[train_idx], X[val_idx], y[val_idx]
    model = build(impl, hidden, preset["head"], activation, reg, rng, weight_init)
    if norm or dropout:
        model = impl.models.add_normalization_and_dropout(model, rng, norm=norm, dropout=dropout)
    optimizer = None
    if optim:
        optimizer = impl.optim.make_optimizer(optim, model.parameters(),
                                              impl.optim.make_schedule(schedule, lr, steps))
    started = time.perf_counter()
    history = impl.training.train(model, X, y, rng, steps=steps, lr=lr, batch_size=batch_size,
                                  eval_every=max(1, steps // 20), on_step=on_step,
                                  optimizer=optimizer)
    seconds = time.perf_counter() - started
    acc = impl.training.accuracy(impl.training.predict(model, X), y)
    val_acc = None if not validate else impl.training.accuracy(impl.training.predict(model, X_val), y_val)
    return Fit(model, X, y, history, acc, seconds, describe(model), optimizer, X_val, y_val, val_acc)
