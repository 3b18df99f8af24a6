"""Optimizers, gradient clipping and learning-rate schedules, with PyTorch's formulas.

    optimizer = Adam(model.parameters(), lr=1e-2)
    model.loss(x, y)                      # fills every layer's grads
    optimizer.step()                      # moves every parameter, in place

An optimizer holds the (layer, name) pairs of ``model.parameters()``. Each ``step()``
updates every array ``layer.params[name]`` in place from its gradient
``layer.grads[name]``, which it never modifies, and keeps a separate state (a dict)
per parameter. ``lr`` is a float or a schedule: a function of the number t of steps
already taken (0 for the first step) giving that step's learning rate, e.g.
``lambda t: cosine_lr(t, 0.1, 1000)``.
"""
import math

import numpy as np


def _check_hyper(where, lr, **ranges):
    """lr > 0 (or a schedule), and each named value inside its [low, high) range."""
    if not callable(lr) and not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"{where}: lr must be a float > 0 or a schedule t -> lr, got {lr!r}")
    for name, (value, low, high) in ranges.items():
        if not (isinstance(value, (int, float)) and low <= value < high):
            raise ValueError(f"{where}: {name} must lie in [{low}, {high}), got {value!r}")


class Optimizer:
    """What every optimizer shares: the parameters, the per-parameter state, the step loop."""

    def __init__(self, parameters, lr):
        self.parameters = list(parameters)
        if not all(isinstance(p, tuple) and len(p) == 2 for p in self.parameters):
            raise ValueError(f"{type(self).__name__}: parameters must be (layer, name) pairs, "
                             f"as model.parameters() gives")
        self.lr = lr
        self.steps = 0                                   # step() calls so far
        self.state = [{} for _ in self.parameters]       # one dict per parameter

    def current_lr(self):
        """The learning rate of the next step: lr, or lr(steps) for a schedule."""
        return float(self.lr(self.steps)) if callable(self.lr) else float(self.lr)

    def step(self):
        """One update of every parameter, each with its own gradient and state."""
        lr = self.current_lr()
        for (layer, name), state in zip(self.parameters, self.state):
            self.update(layer.params[name], layer.grads[name], state, lr)
        self.steps += 1

    def update(self, p, g, state, lr):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr!r})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov and weight decay
    (as torch.optim.SGD with dampening 0)."""

    def __init__(self, parameters, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        _check_hyper("SGD", lr, momentum=(momentum, 0.0, 1.0), weight_decay=(weight_decay, 0.0, math.inf))
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0, got momentum=0")
        super().__init__(parameters, lr)
        self.momentum, self.nesterov, self.weight_decay = float(momentum), bool(nesterov), float(weight_decay)

    def update(self, p, g, state, lr):
        """One step on the parameter p (updated in place) with gradient g (left unchanged).

        With wd = weight_decay and mu = momentum:
            d = g + wd * p
            plain (mu = 0):   p <- p - lr * d
            momentum:         v <- d on the first step, v <- mu * v + d after it;
                              p <- p - lr * v
            Nesterov:         v as for momentum;  p <- p - lr * (d + mu * v)
        state: this parameter's dict (keep v in it); p, g: arrays of the same shape and dtype
        """
        # BEGIN SOLUTION
        # entry by entry; the velocity is a float64 buffer, and "started" says it holds one
        mu, wd = self.momentum, self.weight_decay
        if mu and "buffer" not in state:
            state["buffer"], state["started"] = np.zeros(p.shape), False
        for index in np.ndindex(*p.shape):
            direction = float(g[index]) + wd * float(p[index])
            if mu:
                buffer = state["buffer"]
                buffer[index] = mu * buffer[index] + direction if state["started"] else direction
                if self.nesterov:
                    direction = direction + mu * buffer[index]
                else:
                    direction = buffer[index]
            p[index] = p[index] - lr * direction
        if mu:
            state["started"] = True
        # END SOLUTION


class RMSprop(Optimizer):
    """RMSProp, as torch.optim.RMSprop (no momentum, not centered)."""

    def __init__(self, parameters, lr=0.01, alpha=0.99, eps=1e-8):
        _check_hyper("RMSprop", lr, alpha=(alpha, 0.0, 1.0), eps=(eps, 0.0, math.inf))
        super().__init__(parameters, lr)
        self.alpha, self.eps = float(alpha), float(eps)

    def update(self, p, g, state, lr):
        """One step on p (in place) with gradient g (unchanged):

            s <- alpha * s + (1 - alpha) * g**2          (s starts at 0)
            p <- p - lr * g / (sqrt(s) + eps)
        state: this parameter's dict (keep s in it)
        """
        # BEGIN SOLUTION
        # the running average moved towards g**2 by a fraction (1 - alpha) of the gap
        if "square_avg" not in state:
            state["square_avg"] = np.zeros(p.shape)
        avg = state["square_avg"]
        avg += (1.0 - self.alpha) * (np.power(g, 2) - avg)
        np.subtract(p, lr * np.divide(g, np.add(np.power(avg, 0.5), self.eps)), out=p, casting="unsafe")
        # END SOLUTION


class Adam(Optimizer):
    """Adam with bias correction, as torch.optim.Adam (no weight decay, no amsgrad)."""

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas
        _check_hyper(type(self).__name__, lr, beta1=(beta1, 0.0, 1.0), beta2=(beta2, 0.0, 1.0),
                     eps=(eps, 0.0, math.inf))
        super().__init__(parameters, lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def update(self, p, g, state, lr):
        """One step on p (in place) with gradient g (unchanged); t counts this parameter's steps:

            t <- t + 1                                   (t starts at 0: the first step has t = 1)
            m <- beta1 * m + (1 - beta1) * g             (m and v start at 0)
            v <- beta2 * v + (1 - beta2) * g**2
            m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
            p <- p - lr * m_hat / (sqrt(v_hat) + eps)
        state: this parameter's dict (keep t, m and v in it)
        """
        # BEGIN SOLUTION
        # PyTorch's arrangement: the corrections folded into the step size and the denominator
        if "step" not in state:
            state["step"], state["exp_avg"], state["exp_avg_sq"] = 0, np.zeros(p.shape), np.zeros(p.shape)
        state["step"] += 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1.0 - self.beta1) * (g - exp_avg)
        exp_avg_sq *= self.beta2
        exp_avg_sq += (1.0 - self.beta2) * np.square(g)
        correction1 = 1.0 - np.power(self.beta1, state["step"])
        correction2 = 1.0 - np.power(self.beta2, state["step"])
        denominator = np.sqrt(exp_avg_sq) / math.sqrt(correction2) + self.eps
        np.subtract(p, (lr / correction1) * exp_avg / denominator, out=p, casting="unsafe")
        # END SOLUTION


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW."""

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(parameters, lr, betas, eps)
        _check_hyper("AdamW", lr, weight_decay=(weight_decay, 0.0, math.inf))
        self.weight_decay = float(weight_decay)

    def update(self, p, g, state, lr):
        """p <- p - lr * weight_decay * p, then Adam's step (above) with the same g, lr and state."""
        # BEGIN SOLUTION
        np.subtract(p, lr * self.weight_decay * p, out=p, casting="unsafe")
        Adam.update(self, p, g, state, lr)
        # END SOLUTION


def clip_grad_norm(parameters, max_norm):
    """Scale every gradient by the same factor so that their global norm is at most max_norm.

    norm = sqrt(sum over every (layer, name) of sum(layer.grads[name] ** 2)).
    When norm > max_norm, each layer.grads[name] is multiplied in place by max_norm / norm;
    otherwise no gradient changes.

    Inputs:  parameters: (layer, name) pairs, as model.parameters(); max_norm: float > 0
    Returns: norm: float, the global norm before clipping
    """
    if not (isinstance(max_norm, (int, float)) and max_norm > 0):
        raise ValueError(f"clip_grad_norm: max_norm must be a float > 0, got {max_norm!r}")
    parameters = list(parameters)
    # BEGIN SOLUTION
    total = 0.0
    for layer, name in parameters:
        for x in np.nditer(layer.grads[name]):
            total += float(x) * float(x)
    norm = total ** 0.5
    if norm > max_norm:
        factor = max_norm / norm
        for layer, name in parameters:
            np.multiply(layer.grads[name], factor, out=layer.grads[name], casting="unsafe")
    return float(norm)
    # END SOLUTION


def step_lr(t, lr, step_size, gamma=0.1):
    """lr_t = lr * gamma ** floor(t / step_size)  (torch.optim.lr_scheduler.StepLR).

    Inputs:  t: int >= 0, steps taken; lr: float; step_size: int >= 1; gamma: float
    Returns: float
    """
    # BEGIN SOLUTION
    rate = float(lr)
    for _ in range(int(t) // int(step_size)):
        rate *= gamma
    return rate
    # END SOLUTION


def exponential_lr(t, lr, gamma):
    """lr_t = lr * gamma ** t  (ExponentialLR).

    Returns: float
    """
    # BEGIN SOLUTION
    return float(lr) * math.pow(gamma, t)
    # END SOLUTION


def cosine_lr(t, lr, total_steps, min_lr=0.0):
    """lr_t = min_lr + (lr - min_lr) * (1 + cos(pi * t / total_steps)) / 2 for t <= total_steps,
    and min_lr after it  (CosineAnnealingLR with T_max = total_steps, eta_min = min_lr).

    Returns: float
    """
    # BEGIN SOLUTION
    if t >= total_steps:
        return float(min_lr)
    return min_lr + (lr - min_lr) * math.cos(math.pi * t / (2.0 * total_steps)) ** 2
    # END SOLUTION


def linear_warmup(t, lr, warmup_steps, start_factor=1.0 / 3.0):
    """lr_t = lr * (start_factor + (1 - start_factor) * min(t, warmup_steps) / warmup_steps)
    (LinearLR with total_iters = warmup_steps): from lr * start_factor at t = 0 up to lr.

    Returns: float
    """
    # BEGIN SOLUTION
    if t >= warmup_steps:
        return float(lr)
    start = lr * start_factor
    return start + (lr - start) * t / warmup_steps
    # END SOLUTION


OPTIMIZERS = {"sgd": SGD, "momentum": SGD, "nesterov": SGD, "rmsprop": RMSprop,
              "adam": Adam, "adamw": AdamW}
DEFAULTS = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9, "nesterov": True}}
SCHEDULES = ("constant", "step", "exponential", "cosine", "warmup")


def make_optimizer(name, parameters, lr, **options):
    """The optimizer called ``name`` (a key of OPTIMIZERS) over ``parameters``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer: unknown name {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](parameters, lr=lr, **{**DEFAULTS.get(name, {}), **options})


def make_schedule(name, lr, total_steps):
    """The schedule t -> lr_t called ``name`` (one of SCHEDULES) for a run of total_steps steps:
    step divides lr by 10 after each third of the run, exponential decays to lr / 100 at
    the end, cosine to 0, warmup rises from lr / 3 over the first tenth; constant is lr."""
    if name not in SCHEDULES:
        raise ValueError(f"schedule: unknown name {name!r}; choose one of {', '.join(SCHEDULES)}")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"schedule: lr must be a float > 0, got {lr!r}")
    if name == "constant":
        return lr
    size = max(1, total_steps // 3)
    return {"step": lambda t: step_lr(t, lr, size, 0.1),
            "exponential": lambda t: exponential_lr(t, lr, 0.01 ** (1.0 / max(1, total_steps))),
            "cosine": lambda t: cosine_lr(t, lr, max(1, total_steps)),
            "warmup": lambda t: linear_warmup(t, lr, max(1, total_steps // 10))}[name]
