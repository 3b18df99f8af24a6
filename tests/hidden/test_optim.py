"""Hidden checks for the optimizers (optim.py): every optimizer against trusted float64
optimizers written with the closed forms of the running sums, e.g.
m_t = (1 - beta1) * sum over k <= t of beta1**(t - k) * g_k, on parameters of random sizes
and random gradients. The visible suite (tests/suites/test_optim.py) checks the same
behaviours on frozen known answers; its helpers run the optimizer and word the messages.
"""
import numpy as np
import pytest

from tests.suites.test_optim import (
    ADAM,
    MISTAKES,
    NOT_FINITE,
    PER_OPTIMIZER,
    SGD_VARIANTS,
    assert_steps,
    call_text,
    run_steps,
    steps_leaving_gradients_unchanged,
)

# ------------------------------------------------------------------ trusted optimizers
# update(p, g, history, lr, **hyperparameters) -> the new p, where ``history`` is this
# parameter's list of past gradients (the trusted state). The keyword arguments after
# the optimizer's own model a mistake (tests.suites.test_optim's MISTAKES name them).


def decayed_sum(values, beta):
    """sum over k = 1..t of beta**(t - k) * values[k]: the newest value has weight 1."""
    t = len(values)
    return sum(beta ** (t - k) * value for k, value in enumerate(values, start=1))


def trusted_sgd(p, g, history, lr, momentum=0.0, nesterov=False, weight_decay=0.0,
                dampening=0.0, first_velocity_is_g=False, lr_in_velocity=False):
    d = g + weight_decay * p
    if first_velocity_is_g and len(history) == 1:
        history[0] = d           # a velocity that is the gradient array sees the next gradient
    history.append(lr * d if lr_in_velocity else d)
    v = (1.0 - dampening) * decayed_sum(history, momentum)      # v_t = sum mu^(t-k) d_k
    if lr_in_velocity:
        return p - (lr * d + momentum * v if nesterov else v)
    return p - lr * (d + momentum * v if nesterov else v)


def trusted_rmsprop(p, g, history, lr, alpha=0.99, eps=1e-8, eps_inside=False, average=True):
    history.append(g)
    s = decayed_sum([h * h for h in history], alpha) * ((1.0 - alpha) if average else 1.0)
    return p - lr * g / (np.sqrt(s + eps) if eps_inside else np.sqrt(s) + eps)


def trusted_adam(p, g, history, lr, betas=(0.9, 0.999), eps=1e-8, bias_correction=True,
                 v_corrected_with_beta1=False, eps_inside=False, t_shift=0):
    history.append(g)
    beta1, beta2 = betas
    t = len(history) + t_shift
    m = (1.0 - beta1) * decayed_sum(history, beta1)
    v = (1.0 - beta2) * decayed_sum([h * h for h in history], beta2)
    if bias_correction:
        m, v = m / (1.0 - beta1 ** t), v / (1.0 - (beta1 if v_corrected_with_beta1 else beta2) ** t)
    return p - lr * m / (np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps)


def trusted_adamw(p, g, history, lr, weight_decay=0.01, coupled=False, decay_after=False, **adam):
    if coupled:
        return trusted_adam(p, g + weight_decay * p, history, lr, **adam)
    if decay_after:
        q = trusted_adam(p, g, history, lr, **adam)
        return q - lr * weight_decay * q
    return trusted_adam(p - lr * weight_decay * p, g, history, lr, **adam)


UPDATES = {"SGD": trusted_sgd, "RMSprop": trusted_rmsprop, "Adam": trusted_adam, "AdamW": trusted_adamw}


def trusted_steps(update, start, grads, lrs, shared=False, **hyper):
    """[[{name: array} per holder] after each step] of ``update`` from ``start`` (a list of
    {name: array}), with grads[step][holder][name] and lrs[step]; ``shared``: one history
    for every parameter (a mistake's model)."""
    params, common = [dict(arrays) for arrays in start], []
    histories = [{name: common if shared else [] for name in arrays} for arrays in start]
    after = []
    for step_grads, lr in zip(grads, lrs):
        for holder, history, arrays in zip(params, histories, step_grads):
            for name, g in arrays.items():
                holder[name] = update(holder[name], g, history[name], lr, **hyper)
        after.append([dict(holder) for holder in params])
    return after


def suspects_of(cls, start, grads, lrs, hyper, extra=()):
    """[(likely cause, trusted steps of that mistake)] for ``cls`` with ``hyper``; ``extra``:
    more (cause, mistake hyperparameters)."""
    return [(cause, trusted_steps(UPDATES[cls], start, grads, lrs, **{**hyper, **mistake}))
            for cause, mistake in [*MISTAKES[cls](hyper), *extra]]


# ------------------------------------------------------------------ random parameters

def draw(rng, shapes, steps, scale=1.0):
    """Random gradients, different at every step: [[{name: array} per holder] per step]."""
    return [[{name: scale * rng.standard_normal(shape) for name, shape in holder.items()}
             for holder in shapes] for _ in range(steps)]


def start_params(rng, shapes, dtype=np.float64):
    return [{name: rng.standard_normal(shape).astype(dtype) for name, shape in holder.items()}
            for holder in shapes]


def two_params(rng):
    """One layer with W (n, m) and b (m,): sizes vary from check to check."""
    n, m = (int(k) for k in rng.integers(2, 6, size=2))
    return [{"W": (n, m), "b": (m,)}]


def check_steps(impl, rng, cls, hyper, lrs, what, start=None, grads=None, scale=1.0, extra=(),
                shared=(), rtol=1e-7, atol=1e-12):
    """Run ``cls(lr=..., **hyper)`` for len(lrs) steps on random gradients (or ``grads``) and
    compare every parameter after every step with the trusted optimizer's, naming a known
    mistake when the values are that mistake's. Several ``lrs`` make lr a schedule t -> lrs[t].
    ``extra``: more (cause, mistake hyperparameters); ``shared``: more (cause, trusted steps)."""
    shapes = [{name: p.shape for name, p in arrays.items()} for arrays in start] if start else two_params(rng)
    start = start or start_params(rng, shapes)
    grads = grads or draw(rng, shapes, len(lrs), scale)
    got = run_steps(impl, cls, hyper, lrs, start, grads)
    wide = [{name: p.astype(np.float64) for name, p in arrays.items()} for arrays in start]
    expected = trusted_steps(UPDATES[cls], wide, grads, lrs, **hyper)
    suspects = [*shared, *suspects_of(cls, wide, grads, lrs, hyper, extra)]
    assert_steps(what, got, expected, start, suspects, not_finite=NOT_FINITE[cls], rtol=rtol, atol=atol)


# ------------------------------------------------------------------ every optimizer

@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_steps_on_random_sizes(impl, rng, cls, hyper):
    check_steps(impl, rng, cls, hyper, [0.05] * 3, f"{call_text(cls, {'lr': 0.05, **hyper})}.step()")


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_leaves_random_gradients_unchanged(impl, rng, cls, hyper):
    shapes = two_params(rng)
    start, grads = start_params(rng, shapes), draw(rng, shapes, 3)
    got = steps_leaving_gradients_unchanged(impl, cls, hyper, start, grads)
    # gradients left alone by an update that moves nothing earn nothing: the steps must be right
    expected = trusted_steps(UPDATES[cls], start, grads, [0.05] * 3, **hyper)
    assert_steps(f"{cls}.step() with its gradients left unchanged", got, expected, start,
                 not_finite=NOT_FINITE[cls])


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_state_is_kept_per_parameter_of_random_sizes(impl, rng, cls, hyper):
    # two layers, each with a W of the same shape and its own gradients: one velocity or
    # one pair of moments for both would still run, with the wrong numbers
    shape = tuple(int(k) for k in rng.integers(2, 6, size=2))
    shapes = [{"W": shape}, {"W": shape}]
    start, grads = start_params(rng, shapes), draw(rng, shapes, 4)
    shared = trusted_steps(UPDATES[cls], start, grads, [0.05] * 4, shared=True, **hyper)
    check_steps(impl, rng, cls, hyper, [0.05] * 4, f"{cls} over two layers' parameters (each "
                f"keeps its own state dict)", start=start, grads=grads, shared=[(
                    "one state shared between parameters (kept on self, or one dict for all): "
                    "keep it in each parameter's own state dict", shared)])


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_keeps_float32_on_random_sizes(impl, rng, cls, hyper):
    shapes = two_params(rng)
    grads = [[{name: g.astype(np.float32) for name, g in arrays.items()} for arrays in step]
             for step in draw(rng, shapes, 3)]
    check_steps(impl, rng, cls, hyper, [0.05] * 3, f"{cls} on float32 parameters and gradients "
                f"(they stay float32)", start=start_params(rng, shapes, np.float32), grads=grads,
                rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_uses_the_lr_argument_on_random_sizes(impl, rng, cls, hyper):
    # lr a schedule: step() calls it with the number of steps taken (0 first) and passes
    # the rate to update(); a different rate at each step shows which one was used
    rates = [0.1, 0.03, 0.2, 0.05]
    check_steps(impl, rng, cls, hyper, rates, f"{cls}(lr=schedule giving {rates} at t = 0, 1, 2, 3)")


# ------------------------------------------------------------------ SGD, RMSprop, Adam, AdamW

@pytest.mark.exercise("sgd")
@pytest.mark.parametrize("hyper", list(SGD_VARIANTS.values()), ids=list(SGD_VARIANTS))
def test_sgd_steps_on_random_sizes(impl, rng, hyper):
    rule = ("d = g + wd * p; v = d on the first step, then v = mu * v + d; p -= lr * v "
            "(Nesterov: p -= lr * (d + mu * v))")
    check_steps(impl, rng, "SGD", hyper, [0.05] * 4,
                f"{call_text('SGD', {'lr': 0.05, **hyper})}, 4 steps ({rule})")


@pytest.mark.exercise("rmsprop")
@pytest.mark.parametrize("scale, eps", [(1.0, 1e-6), (1e-4, 1e-3)], ids=["g~1", "g~1e-4-eps=1e-3"])
def test_rmsprop_steps_on_random_sizes(impl, rng, scale, eps):
    check_steps(impl, rng, "RMSprop", {"alpha": 0.9, "eps": eps}, [0.05] * 4,
                f"RMSprop(lr=0.05, alpha=0.9, eps={eps:g}), gradients ~{scale:g}, 4 steps "
                f"(s = alpha * s + (1 - alpha) * g**2 from s = 0; p -= lr * g / (sqrt(s) + eps))",
                scale=scale)


@pytest.mark.exercise("adam")
@pytest.mark.parametrize("scale, eps", [(1.0, 1e-6), (1e-4, 1e-3)], ids=["g~1", "g~1e-4-eps=1e-3"])
def test_adam_steps_on_random_sizes(impl, rng, scale, eps):
    check_steps(impl, rng, "Adam", {**ADAM, "eps": eps}, [0.05] * 5,
                f"Adam(lr=0.05, betas=(0.8, 0.888), eps={eps:g}), gradients ~{scale:g}, 5 steps",
                scale=scale)


@pytest.mark.exercise("adam")
def test_adamw_decay_is_decoupled_on_random_sizes(impl, rng):
    check_steps(impl, rng, "AdamW", {**ADAM, "weight_decay": 0.5}, [0.1] * 4,
                "AdamW(lr=0.1, betas=(0.8, 0.888), eps=1e-6, weight_decay=0.5), 4 steps "
                "(p *= 1 - lr * wd, then Adam's step with the same g)",
                extra=[("p shrunk by wd instead of lr * wd (p *= 1 - lr * wd)",
                        {"weight_decay": 0.5 / 0.1})])


@pytest.mark.exercise("adam")
def test_adamw_without_decay_is_adam_on_random_sizes(impl, rng):
    check_steps(impl, rng, "AdamW", {**ADAM, "weight_decay": 0.0}, [0.05] * 4,
                "AdamW(lr=0.05, betas=(0.8, 0.888), eps=1e-6, weight_decay=0) must step as Adam "
                "(after the decay, AdamW.update is Adam's update: super().update(p, g, state, lr))")
