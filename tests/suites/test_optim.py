"""Checks for the optimizers, gradient clipping and learning-rate schedules (optim.py).

The parameters live in test doubles (grader.doubles.Parameters, a layer that only
holds arrays): a check writes each step's gradient into ``holder.grads``, calls
``step()`` and reads ``holder.params`` back. The expected parameters come from
trusted float64 optimizers written with the closed forms of the running sums,
e.g. m_t = (1 - beta1) * sum over k <= t of beta1**(t - k) * g_k, not with the
recursions the exercises ask for. Every check takes several steps with different
gradients and non-default hyperparameters: one step, or the defaults, would let
different mistakes give the same numbers.
"""
import math

import numpy as np
import pytest

from grader.remote import fill
from tests.checks import assert_close, assert_float, assert_unchanged

# ------------------------------------------------------------------ trusted optimizers
# update(p, g, history, lr, **hyperparameters) -> the new p, where ``history`` is this
# parameter's list of past gradients (the trusted state). The keyword arguments after
# the optimizer's own model a mistake, to name it when a result matches it.


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


# ------------------------------------------------------------------ running the optimizer under test

NOT_IN_PLACE = ("step() did not change it: update p in place (p -= ..., p *= ...), the layer keeps "
                "its own array; p = p - ... makes a new array that the layer never sees")
GRADIENT_WRITTEN = ("the optimizer must leave g alone: g += wd * p, g *= ... or g **= 2 write "
                    "into the layer's gradient; compute d = g + wd * p, g * g, ... as new arrays.")
SELF_LR = ("use the lr argument of update(p, g, state, lr), this step's rate: self.lr may be a "
           "schedule (a function of t), which step() has already turned into lr")
NOT_FINITE = {
    "SGD": "the update diverged: a sign flipped, or lr applied twice?",
    "RMSprop": "a division by 0: eps belongs after the square root, sqrt(s) + eps?",
    "Adam": ("1 - beta1**t is 0 when t = 0: add 1 to this parameter's t before the bias "
             "correction, so that the first step has t = 1?"),
}
NOT_FINITE["AdamW"] = NOT_FINITE["Adam"]


def draw(rng, shapes, steps, scale=1.0):
    """Random gradients, different at every step: [[{name: array} per holder] per step]."""
    return [[{name: scale * rng.standard_normal(shape) for name, shape in holder.items()}
             for holder in shapes] for _ in range(steps)]


def start_params(rng, shapes, dtype=np.float64):
    return [{name: rng.standard_normal(shape).astype(dtype) for name, shape in holder.items()}
            for holder in shapes]


def take_step(optimizer, holders, step_grads, step):
    """Write this step's gradients into the holders, then optimizer.step()."""
    for holder, arrays in zip(holders, step_grads):
        for name, g in arrays.items():
            fill(holder, ("grads", name), g)
    try:
        optimizer.step()
    except ValueError as error:
        if "broadcast" not in str(error):
            raise
        shapes = ", ".join(str(g.shape) for arrays in step_grads for g in arrays.values())
        raise AssertionError(
            f"step {step} over parameters of shapes {shapes} raised ValueError ({error}): "
            f"one parameter's arrays met another's. Is the state (v, s, m, t) kept on self, "
            f"or shared between parameters? Keep it in each parameter's own state dict.") from None


def run(optimizer, holders, grads):
    """Take len(grads) steps, reading the parameters back after each: [[{name: array}] per step]."""
    after = []
    for step, step_grads in enumerate(grads, start=1):
        take_step(optimizer, holders, step_grads, step)
        after.append([holder.params for holder in holders])
    return after


def setup(impl, cls, start, **hyper):
    """Parameters holders for ``start`` and ``impl.optim.<cls>(all their pairs, **hyper)``."""
    holders = [impl.doubles.Parameters(**arrays) for arrays in start]
    pairs = [pair for holder in holders for pair in holder.pairs()]
    return holders, getattr(impl.optim, cls)(pairs, **hyper)


def call_text(cls, hyper):
    return f"{cls}({', '.join(f'{k}={v!r}' for k, v in hyper.items())})"


def assert_steps(what, got, expected, start, suspects=(), not_finite="", rtol=1e-7, atol=1e-12):
    """Each parameter after each step close to ``expected``; when it is not, the message says
    whether the array did not change (not in place), is not finite (``not_finite``), or
    matches one of ``suspects``: [(likely cause, trusted steps of that mistake)]."""
    several = len(start) > 1
    for step, (got_k, expected_k) in enumerate(zip(got, expected)):
        for i, (got_h, expected_h) in enumerate(zip(got_k, expected_k)):
            for name, exp in expected_h.items():
                label = (f"holder {i + 1} " if several else "") + f'params["{name}"]'
                name_k = f"{what}: {label} after step {step + 1} of {len(expected)}"
                value = got_h.get(name)
                before = start[i][name] if step == 0 else got[step - 1][i][name]
                if type(value) is np.ndarray and value.shape == exp.shape:
                    if np.array_equal(value, before):
                        raise AssertionError(f"{name_k}: {NOT_IN_PLACE}.")
                    if not np.all(np.isfinite(value)) and not_finite:
                        raise AssertionError(f"{name_k}: contains NaN or inf ({not_finite}).")
                try:
                    assert_close(name_k, value, exp.astype(start[i][name].dtype), rtol=rtol, atol=atol)
                except AssertionError as error:
                    for cause, wrong in suspects:
                        if matches(got, wrong):
                            raise AssertionError(f"{error} Every step gives the values of a "
                                                 f"known mistake: {cause}.") from None
                    raise


def matches(got, wrong):
    """Every parameter after every step is close to the mistake's."""
    return all(type(got_h.get(name)) is np.ndarray and got_h[name].shape == value.shape
               and np.allclose(got_h[name], value, rtol=1e-6, atol=1e-12)
               for got_k, wrong_k in zip(got, wrong) for got_h, wrong_h in zip(got_k, wrong_k)
               for name, value in wrong_h.items())


# ------------------------------------------------------------------ known mistakes
# (likely cause, the hyperparameters of the trusted update that make that mistake)

def sgd_mistakes(h):
    mu, wd = h.get("momentum", 0.0), h.get("weight_decay", 0.0)
    mistakes = []
    if mu:
        mistakes += [
            ("momentum ignored (p -= lr * d with no velocity)", {"momentum": 0.0, "nesterov": False}),
            ("the velocity scaled by (1 - momentum) (v = mu * v + (1 - mu) * d is dampening, which "
             "PyTorch's SGD leaves at 0: v = mu * v + d)", {"dampening": mu}),
            ("lr inside the velocity (v = mu * v + lr * d, p -= v): PyTorch keeps lr out of v, "
             "which matters when lr changes from step to step", {"lr_in_velocity": True})]
    if mu and h.get("nesterov"):
        mistakes.append(("Nesterov ignored: p -= lr * v is plain momentum; Nesterov steps along "
                         "d + mu * v", {"nesterov": False}))
    if mu and not h.get("nesterov"):
        mistakes.append(("Nesterov's step taken for plain momentum (p -= lr * (d + mu * v))",
                         {"nesterov": True}))
    if mu and not wd:
        mistakes.append(("the velocity kept as the gradient array itself on the first step "
                         "(state['v'] = d with d = g: the next gradient is written into it); "
                         "store a copy", {"first_velocity_is_g": True}))
    if wd:
        mistakes += [("weight decay ignored (d = g + wd * p)", {"weight_decay": 0.0}),
                     ("weight decay with the wrong sign (d = g + wd * p)", {"weight_decay": -wd})]
    return mistakes


def rmsprop_mistakes(h):
    return [("eps inside the square root (sqrt(s + eps)): it belongs after it, sqrt(s) + eps",
             {"eps_inside": True}),
            ("s without the factor (1 - alpha) (s = alpha * s + g**2)", {"average": False}),
            ("alpha and 1 - alpha swapped (s = (1 - alpha) * s + alpha * g**2)",
             {"alpha": 1.0 - h["alpha"]})]


def adam_mistakes(h):
    return [
        ("no bias correction: m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t)",
         {"bias_correction": False}),
        ("v corrected with beta1: v_hat = v / (1 - beta2**t), with beta2", {"v_corrected_with_beta1": True}),
        ("t one too large (t = 2 at the first step): start t at 0 and add 1 before the correction",
         {"t_shift": 1}),
        ("eps inside the square root (sqrt(v_hat + eps)): it belongs after it, sqrt(v_hat) + eps",
         {"eps_inside": True}),
        ("beta1 and beta2 swapped", {"betas": h["betas"][::-1]})]


def adamw_mistakes(h):
    wd = h["weight_decay"]
    decay = [
        ("the decay coupled into the gradient (Adam on g + wd * p: L2 regularization, not AdamW)",
         {"coupled": True}),
        ("the decay applied after Adam's step: shrink p first (p *= 1 - lr * wd), then Adam",
         {"decay_after": True}),
        ("the weight decay ignored", {"weight_decay": 0.0})]
    return (decay if wd else []) + adam_mistakes(h)


MISTAKES = {"SGD": sgd_mistakes, "RMSprop": rmsprop_mistakes, "Adam": adam_mistakes,
            "AdamW": adamw_mistakes}
UPDATES = {"SGD": trusted_sgd, "RMSprop": trusted_rmsprop, "Adam": trusted_adam, "AdamW": trusted_adamw}


def suspects_of(cls, start, grads, lrs, hyper, extra=()):
    """[(likely cause, trusted steps of that mistake)] for ``cls`` with ``hyper``; ``extra``:
    more (cause, mistake hyperparameters)."""
    return [(cause, trusted_steps(UPDATES[cls], start, grads, lrs, **{**hyper, **mistake}))
            for cause, mistake in [*MISTAKES[cls](hyper), *extra]]


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
    schedule = len(set(lrs)) > 1
    holders, opt = setup(impl, cls, start, lr=(lambda t: lrs[t]) if schedule else lrs[0], **hyper)
    try:
        got = run(opt, holders, grads)
    except TypeError as error:
        if not schedule:
            raise
        raise AssertionError(f"{cls}(lr=a schedule t -> lr).step() raised TypeError ({error}): "
                             f"{SELF_LR}.") from None
    wide = [{name: p.astype(np.float64) for name, p in arrays.items()} for arrays in start]
    expected = trusted_steps(UPDATES[cls], wide, grads, lrs, **hyper)
    suspects = [*shared, *suspects_of(cls, wide, grads, lrs, hyper, extra)]
    assert_steps(what, got, expected, start, suspects, not_finite=NOT_FINITE[cls], rtol=rtol, atol=atol)


# ------------------------------------------------------------------ every optimizer

CASES = [  # id, exercise, class, hyperparameters (lr apart)
    ("SGD", "sgd", "SGD", {"momentum": 0.7, "nesterov": True, "weight_decay": 0.05}),
    ("RMSprop", "rmsprop", "RMSprop", {"alpha": 0.9, "eps": 1e-6}),
    ("Adam", "adam", "Adam", {"betas": (0.8, 0.888), "eps": 1e-6}),
    ("AdamW", "adam", "AdamW", {"betas": (0.8, 0.888), "eps": 1e-6, "weight_decay": 0.3}),
]
PER_OPTIMIZER = [pytest.param(cls, hyper, marks=pytest.mark.exercise(exercise), id=case)
                 for case, exercise, cls, hyper in CASES]


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_updates_parameters_in_place(impl, rng, cls, hyper):
    check_steps(impl, rng, cls, hyper, [0.05] * 3, f"{call_text(cls, {'lr': 0.05, **hyper})}.step()")


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_leaves_gradients_unchanged(impl, rng, cls, hyper):
    shapes = two_params(rng)
    start, grads = start_params(rng, shapes), draw(rng, shapes, 3)
    holders, opt = setup(impl, cls, start, lr=0.05, **hyper)
    got = []
    for step, step_grads in enumerate(grads, start=1):
        take_step(opt, holders, step_grads, step)
        for name, g in step_grads[0].items():
            assert_unchanged(f'layer.grads["{name}"] at step {step} of {cls}.step()', g,
                             holders[0].grads[name], advice=GRADIENT_WRITTEN)
        got.append([holder.params for holder in holders])
    # gradients left alone by an update that moves nothing earn nothing: the steps must be right
    expected = trusted_steps(UPDATES[cls], start, grads, [0.05] * 3, **hyper)
    assert_steps(f"{cls}.step() with its gradients left unchanged", got, expected, start,
                 not_finite=NOT_FINITE[cls])


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_state_is_kept_per_parameter(impl, rng, cls, hyper):
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
def test_optimizer_keeps_float32(impl, rng, cls, hyper):
    shapes = two_params(rng)
    grads = [[{name: g.astype(np.float32) for name, g in arrays.items()} for arrays in step]
             for step in draw(rng, shapes, 3)]
    check_steps(impl, rng, cls, hyper, [0.05] * 3, f"{cls} on float32 parameters and gradients "
                f"(they stay float32)", start=start_params(rng, shapes, np.float32), grads=grads,
                rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("cls, hyper", PER_OPTIMIZER)
def test_optimizer_uses_the_lr_argument(impl, rng, cls, hyper):
    # lr a schedule: step() calls it with the number of steps taken (0 first) and passes
    # the rate to update(); a different rate at each step shows which one was used
    rates = [0.1, 0.03, 0.2, 0.05]
    check_steps(impl, rng, cls, hyper, rates, f"{cls}(lr=schedule giving {rates} at t = 0, 1, 2, 3)")


# ------------------------------------------------------------------ SGD

SGD_VARIANTS = {
    "plain": {},
    "momentum=0.7": {"momentum": 0.7},
    "nesterov": {"momentum": 0.7, "nesterov": True},
    "weight_decay=0.05": {"weight_decay": 0.05},
    "momentum+weight_decay": {"momentum": 0.6, "weight_decay": 0.05},
}


@pytest.mark.exercise("sgd")
@pytest.mark.parametrize("hyper", list(SGD_VARIANTS.values()), ids=list(SGD_VARIANTS))
def test_sgd_steps(impl, rng, hyper):
    rule = ("d = g + wd * p; v = d on the first step, then v = mu * v + d; p -= lr * v "
            "(Nesterov: p -= lr * (d + mu * v))")
    check_steps(impl, rng, "SGD", hyper, [0.05] * 4,
                f"{call_text('SGD', {'lr': 0.05, **hyper})}, 4 steps ({rule})")


@pytest.mark.exercise("sgd")
def test_sgd_momentum_converges_on_ill_conditioned_quadratic(impl, rng):
    # f(w) = 1/2 sum_i a_i (w_i - w*_i)**2 with curvatures 1 to 100, from |w0 - w*| = 1:
    # with lr 0.01 and momentum 0.9 the reference is within 1e-6 of w* after at most
    # ~265 steps (1000 seeds); plain gradient descent at this lr needs ~1400 steps.
    a = np.array([1.0, 5.0, 25.0, 100.0])
    w_star, direction = rng.standard_normal(4), rng.standard_normal(4)
    w = w_star + direction / np.linalg.norm(direction)
    bowl = impl.doubles.Landscape("quadratic", w=w, a=a, w_star=w_star)
    w = bowl.descend(impl.optim.SGD(bowl.pairs(), lr=0.01, momentum=0.9), 400)[-1]
    distance = float(np.linalg.norm(w - w_star))
    if not distance <= 1e-6:
        raise AssertionError(
            f"SGD(lr=0.01, momentum=0.9) on f(w) = 1/2 sum a_i (w_i - w*_i)**2, curvatures "
            f"a = 1, 5, 25, 100, from |w0 - w*| = 1: after 400 steps |w - w*| = {distance:.3g}, "
            f"expected at most 1e-6 (the reference gets there in about 260 steps; without "
            f"momentum it takes about 1400). Is the velocity kept from step to step and used?")


# ------------------------------------------------------------------ RMSprop

@pytest.mark.exercise("rmsprop")
@pytest.mark.parametrize("scale, eps", [(1.0, 1e-6), (1e-4, 1e-3)], ids=["g~1", "g~1e-4-eps=1e-3"])
def test_rmsprop_steps(impl, rng, scale, eps):
    # with gradients ~1e-4 and eps 1e-3, sqrt(s) + eps and sqrt(s + eps) differ by a factor ~10
    check_steps(impl, rng, "RMSprop", {"alpha": 0.9, "eps": eps}, [0.05] * 4,
                f"RMSprop(lr=0.05, alpha=0.9, eps={eps:g}), gradients ~{scale:g}, 4 steps "
                f"(s = alpha * s + (1 - alpha) * g**2 from s = 0; p -= lr * g / (sqrt(s) + eps))",
                scale=scale)


# ------------------------------------------------------------------ Adam and AdamW

ADAM = {"betas": (0.8, 0.888), "eps": 1e-6}


@pytest.mark.exercise("adam")
@pytest.mark.parametrize("scale, eps", [(1.0, 1e-6), (1e-4, 1e-3)], ids=["g~1", "g~1e-4-eps=1e-3"])
def test_adam_steps(impl, rng, scale, eps):
    # with gradients ~1e-4 and eps 1e-3, where eps goes changes the steps tenfold
    check_steps(impl, rng, "Adam", {**ADAM, "eps": eps}, [0.05] * 5,
                f"Adam(lr=0.05, betas=(0.8, 0.888), eps={eps:g}), gradients ~{scale:g}, 5 steps",
                scale=scale)


@pytest.mark.exercise("adam")
def test_adam_bias_correction_at_step_one(impl, rng):
    # at t = 1, m_hat = g and v_hat = g**2: the first step is lr * g / (|g| + eps), that is
    # lr * sign(g) for every entry whatever its size (here 1e-3 to 1e3), with eps tiny
    shape = tuple(int(k) for k in rng.integers(2, 6, size=2))
    start = [{"W": rng.standard_normal(shape)}]
    g = rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-3, 3, size=shape)
    hyper = {"betas": (0.8, 0.888), "eps": 1e-12}
    holders, opt = setup(impl, "Adam", start, lr=0.05, **hyper)
    got = run(opt, holders, [[{"W": g}]])
    expected = [[{"W": start[0]["W"] - 0.05 * np.sign(g)}]]
    assert_steps("Adam(lr=0.05, betas=(0.8, 0.888), eps=1e-12), first step (t = 1: bias correction "
                 "makes it lr * sign(g))", got, expected, start,
                 suspects_of("Adam", start, [[{"W": g}]], [0.05], hyper),
                 not_finite=NOT_FINITE["Adam"], atol=1e-9)


@pytest.mark.exercise("adam")
def test_adamw_decay_is_decoupled(impl, rng):
    # lr 0.1 and weight_decay 0.5: coupled decay (g + wd * p fed to Adam), decay by wd
    # instead of lr * wd, or decay after Adam's step all give different parameters
    check_steps(impl, rng, "AdamW", {**ADAM, "weight_decay": 0.5}, [0.1] * 4,
                "AdamW(lr=0.1, betas=(0.8, 0.888), eps=1e-6, weight_decay=0.5), 4 steps "
                "(p *= 1 - lr * wd, then Adam's step with the same g)",
                extra=[("p shrunk by wd instead of lr * wd (p *= 1 - lr * wd)",
                        {"weight_decay": 0.5 / 0.1})])


@pytest.mark.exercise("adam")
def test_adamw_without_decay_is_adam(impl, rng):
    check_steps(impl, rng, "AdamW", {**ADAM, "weight_decay": 0.0}, [0.05] * 4,
                "AdamW(lr=0.05, betas=(0.8, 0.888), eps=1e-6, weight_decay=0) must step as Adam "
                "(after the decay, AdamW.update is Adam's update: super().update(p, g, state, lr))")


@pytest.mark.exercise("adam")
def test_adam_converges_on_ill_conditioned_quadratic(impl, rng):
    # the quadratic of the SGD check (curvatures 1 to 100, |w0 - w*| = 1): with lr 0.01 and
    # the default betas the reference is within 1e-6 of w* from step ~400 at the latest
    # (1000 seeds), and at step 600 within 1e-10
    a = np.array([1.0, 5.0, 25.0, 100.0])
    w_star, direction = rng.standard_normal(4), rng.standard_normal(4)
    w = w_star + direction / np.linalg.norm(direction)
    bowl = impl.doubles.Landscape("quadratic", w=w, a=a, w_star=w_star)
    w = bowl.descend(impl.optim.Adam(bowl.pairs(), lr=0.01), 600)[-1]
    distance = float(np.linalg.norm(w - w_star))
    if not distance <= 1e-6:
        raise AssertionError(
            f"Adam(lr=0.01) on f(w) = 1/2 sum a_i (w_i - w*_i)**2, curvatures a = 1, 5, 25, 100, "
            f"from |w0 - w*| = 1: after 600 steps |w - w*| = {distance:.3g}, expected at most 1e-6 "
            f"(the reference gets there in 300 to 400 steps).")


@pytest.mark.exercise("adam")
def test_adam_converges_on_rosenbrock(impl):
    # from (-1.5, 2) along the curved valley: with lr 0.02 and betas (0.9, 0.99) the
    # reference stays within 1e-2 of (1, 1) from step 765 on; without the square root
    # (m_hat / v_hat) it needs ~1500 steps, without m_hat (g / sqrt(v_hat)) it never does
    valley = impl.doubles.Landscape("rosenbrock", w=np.array([-1.5, 2.0]))
    w = valley.descend(impl.optim.Adam(valley.pairs(), lr=0.02, betas=(0.9, 0.99)), 1000)[-1]
    distance = float(np.linalg.norm(w - 1.0))
    if not distance <= 1e-2:
        raise AssertionError(
            f"Adam(lr=0.02, betas=(0.9, 0.99)) on the Rosenbrock function (1 - x)**2 + "
            f"100 (y - x**2)**2 from (-1.5, 2): after 1000 steps (x, y) = "
            f"({float(w[0]):.4g}, {float(w[1]):.4g}), {distance:.3g} from the minimum (1, 1); "
            f"expected within 1e-2 (the reference is there from step 765 on).")


# ------------------------------------------------------------------ gradient clipping

def gradient_holders(impl, rng):
    """Two layers with three gradients of different shapes and sizes: {label: (holder, name, g)}
    and the (layer, name) pairs of all of them."""
    n, m = (int(k) for k in rng.integers(2, 6, size=2))
    grads = [{"W": 0.5 * rng.standard_normal((n, m)), "b": 3.0 * rng.standard_normal(m)},
             {"W": 1.5 * rng.standard_normal((m, 2))}]
    holders = [impl.doubles.Parameters(**{name: np.zeros_like(g) for name, g in arrays.items()})
               for arrays in grads]
    entries = {}
    for i, (holder, arrays) in enumerate(zip(holders, grads), start=1):
        for name, g in arrays.items():
            fill(holder, ("grads", name), g)
            entries[f'layer {i} grads["{name}"]'] = (holder, name, g)
    return entries, [pair for holder in holders for pair in holder.pairs()]


def global_norm(arrays):
    """The norm of every entry of every array, as one long vector."""
    return math.sqrt(math.fsum(float(x) ** 2 for g in arrays for x in g.ravel()))


def assert_norm_returned(call, returned, norm, max_norm):
    """clip_grad_norm returned the global norm before clipping, as a float."""
    if type(returned) in (float, np.float64) and np.isfinite(returned):
        for value, cause in [(max_norm, "max_norm, the norm after clipping: return the norm "
                                        "before clipping"),
                             (norm ** 2, "the squared norm: take its square root")]:
            if abs(returned - value) <= 1e-9 * value and abs(returned - norm) > 1e-9 * norm:
                raise AssertionError(f"{call} returned {float(returned)!r}, expected the global "
                                     f"norm {norm!r}. That is {cause}.")
    assert_float(f"{call} returned (the global norm before clipping)", returned, norm, rtol=1e-10)


@pytest.mark.exercise("clipping")
def test_clip_grad_norm_scales_every_gradient_by_one_factor(impl, rng):
    entries, pairs = gradient_holders(impl, rng)
    norm = global_norm([g for _, _, g in entries.values()])
    max_norm = 0.3 * norm
    returned = impl.optim.clip_grad_norm(pairs, max_norm)
    call = f"clip_grad_norm(3 gradients of global norm {norm:.6g}, max_norm={max_norm:.6g})"
    for label, (holder, name, g) in entries.items():
        got, expected = holder.grads[name], g * (max_norm / norm)
        if type(got) is np.ndarray and got.shape == g.shape:
            own = float(np.sqrt(np.sum(g * g)))
            if np.array_equal(got, g):
                raise AssertionError(f"{call}: {label} did not change: multiply each "
                                     f"layer.grads[name] in place by max_norm / norm.")
            if not np.allclose(got, expected) and np.allclose(got, g * min(1.0, max_norm / own)):
                raise AssertionError(
                    f"{call}: {label} was clipped to its own norm {own:.6g}: the norm is global, "
                    f"over all the parameters together, and every gradient is scaled by the same "
                    f"max_norm / norm = {max_norm / norm:.6g}, which keeps their direction.")
        assert_close(f"{call}: {label} (times max_norm / norm, like every gradient)", got, expected)
    assert_norm_returned(call, returned, norm, max_norm)


@pytest.mark.exercise("clipping")
def test_clip_grad_norm_below_max_norm_changes_nothing(impl, rng):
    entries, pairs = gradient_holders(impl, rng)
    norm = global_norm([g for _, _, g in entries.values()])
    max_norm = 1.5 * norm
    returned = impl.optim.clip_grad_norm(pairs, max_norm)
    call = f"clip_grad_norm(gradients of global norm {norm:.6g}, max_norm={max_norm:.6g})"
    for label, (holder, name, g) in entries.items():
        got = holder.grads[name]
        if type(got) is np.ndarray and got.shape == g.shape and np.allclose(got, g * (max_norm / norm)):
            raise AssertionError(f"{call}: {label} was scaled by max_norm / norm = "
                                 f"{max_norm / norm:.6g} although the norm is below max_norm: "
                                 f"scale only when norm > max_norm.")
        assert_close(f"{call}: {label} (below max_norm: leave the gradients as they are)",
                     got, g, rtol=0.0, atol=0.0)
    assert_norm_returned(call, returned, norm, max_norm)


@pytest.mark.exercise("clipping")
def test_clip_grad_norm_of_one_gradient(impl, rng):
    # one gradient whose norm is known exactly: [3, 4] * c has norm 5 * c
    c = float(rng.uniform(1.0, 3.0))
    holder = impl.doubles.Parameters(w=np.zeros(2))
    fill(holder, ("grads", "w"), np.array([3.0, 4.0]) * c)
    call = f"clip_grad_norm([3, 4] * {c:.6g}, max_norm=2.5)"
    returned = impl.optim.clip_grad_norm(holder.pairs(), 2.5)
    assert_close(f"{call}: grads (scaled to norm 2.5)", holder.grads["w"], np.array([1.5, 2.0]))
    assert_norm_returned(call, returned, 5.0 * c, 2.5)


# ------------------------------------------------------------------ schedules

def assert_schedules(rows):
    """rows: (call text, value returned, expected, what that step shows)."""
    for call, got, expected, why in rows:
        try:
            assert_float(call, got, expected, rtol=1e-12, atol=1e-15)
        except AssertionError:
            if type(got) not in (float, np.float64, np.float32) or not np.isfinite(got):
                raise
            raise AssertionError(f"{call}: expected {expected!r}, got {float(got)!r}. {why}") from None


@pytest.mark.exercise("schedules")
def test_step_lr_known_values(impl):
    f = impl.optim.step_lr
    flat = ("The rate is constant within each run of step_size steps: gamma ** (t // step_size), "
            "an integer division.")
    rows = [(0, 0.3, "t = 0 (the first step) runs at lr."),
            (3, 0.3, flat), (4, 0.15, "At t = step_size the rate is lr * gamma."),
            (6, 0.15, flat), (8, 0.075, "At t = 2 * step_size the rate is lr * gamma**2."),
            (13, 0.0375, flat)]
    assert_schedules([(f"step_lr(t={t}, lr=0.3, step_size=4, gamma=0.5)",
                       f(t, 0.3, 4, gamma=0.5), value, why) for t, value, why in rows])
    assert_schedules([("step_lr(t=10, lr=2.0, step_size=5) (default gamma 0.1)", f(10, 2.0, 5),
                       0.02, "The default gamma is 0.1.")])


@pytest.mark.exercise("schedules")
def test_exponential_lr_known_values(impl):
    value, rows = 0.2, []
    for t in range(12):
        rows.append((f"exponential_lr(t={t}, lr=0.2, gamma=0.9)", impl.optim.exponential_lr(t, 0.2, 0.9),
                     value, "The rate is lr * gamma**t: lr at t = 0, times gamma at each step."))
        value *= 0.9
    assert_schedules(rows)


@pytest.mark.exercise("schedules")
def test_cosine_lr_known_values(impl):
    f = impl.optim.cosine_lr
    half = "Half a cosine period over the run: cos(pi * t / total_steps)."
    # (1 + cos x) / 2 = cos(x / 2)**2
    rows = [(f"cosine_lr(t={t}, lr=0.4, total_steps=10, min_lr=0.1)", f(t, 0.4, 10, min_lr=0.1),
             0.1 + 0.3 * math.cos(math.pi * t / 20) ** 2, why)
            for t, why in [(0, "t = 0 runs at lr."), (2, half),
                           (5, "Halfway the rate is (lr + min_lr) / 2."), (8, half),
                           (10, "At t = total_steps the rate is min_lr.")]]
    rows += [(f"cosine_lr(t={t}, lr=1.0, total_steps=6) (default min_lr 0)", f(t, 1.0, 6), value, half)
             for t, value in [(2, 0.75), (3, 0.5), (4, 0.25), (6, 0.0)]]
    assert_schedules(rows)


@pytest.mark.exercise("schedules")
def test_cosine_lr_stays_at_min_lr_after_total_steps(impl):
    stays = "After total_steps the rate stays at min_lr (the cosine does not come back up)."
    assert_schedules([(f"cosine_lr(t={t}, lr=0.4, total_steps=10, min_lr=0.1)",
                       impl.optim.cosine_lr(t, 0.4, 10, min_lr=0.1), 0.1, stays)
                      for t in (11, 15, 20, 27)])


@pytest.mark.exercise("schedules")
def test_linear_warmup_known_values(impl):
    f = impl.optim.linear_warmup
    rise = "The factor rises by (1 - start_factor) / warmup_steps at each step."
    rows = [(0, 0.15, "t = 0 (the first step) runs at lr * start_factor."),
            (1, 0.2625, rise), (2, 0.375, rise), (3, 0.4875, rise)]
    checks = [(f"linear_warmup(t={t}, lr=0.6, warmup_steps=4, start_factor=0.25)",
               f(t, 0.6, 4, start_factor=0.25), value, why) for t, value, why in rows]
    checks += [(f"linear_warmup(t={t}, lr=0.9, warmup_steps=3) (default start_factor 1/3)",
                f(t, 0.9, 3), value, why)
               for t, value, why in [(0, 0.3, "The default start_factor is 1/3."), (1, 0.5, rise)]]
    assert_schedules(checks)


@pytest.mark.exercise("schedules")
def test_linear_warmup_reaches_lr_and_stays(impl):
    reach = "The rate reaches lr at t = warmup_steps and stays there."
    assert_schedules([(f"linear_warmup(t={t}, lr=0.6, warmup_steps=4, start_factor=0.25)",
                       impl.optim.linear_warmup(t, 0.6, 4, start_factor=0.25), 0.6, reach)
                      for t in (4, 5, 9, 100)])
