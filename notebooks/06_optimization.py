# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Optimization: how a network learns faster
#
# Training so far took plain gradient steps, $p \leftarrow p - \eta\, g$ with $g = \partial L / \partial p$.
# That works, but slowly: the loss surface of a network is steep in some directions and flat in
# others, and one learning rate $\eta$ cannot suit both. This chapter writes the optimizers that
# fix it (`exercises/optim.py`): momentum, RMSProp, Adam, and two tools that keep training
# stable, gradient clipping and learning-rate schedules.
#
# Every optimizer follows one contract: it holds the `(layer, name)` pairs of
# `model.parameters()`; `step()` calls `update(p, g, state, lr)` for each parameter, which
# changes the array `p` **in place**, never writes into `g`, and keeps whatever it remembers
# between steps in that parameter's own `state` dict.

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## A valley to walk down
#
# The simplest surface with the trouble in it is an ill-conditioned quadratic,
#
# $$f(w) = \tfrac12\,(a\,w_1^2 + b\,w_2^2), \qquad \nabla f(w) = (a\,w_1,\; b\,w_2), \qquad a \ll b.$$
#
# Gradient descent multiplies each coordinate by $(1 - \eta a)$ and $(1 - \eta b)$ per step. It
# converges only if $|1 - \eta b| < 1$, i.e. $\eta < 2/b$: the steep direction caps the rate.
# With $\eta$ near that cap, $w_2$ oscillates from wall to wall, while $w_1$ shrinks by
# $1 - \eta a \approx 1 - 2a/b$ per step: the number of steps grows with the *condition number*
# $b/a$. Here $b/a = 20$.
#
# A parameter, for an optimizer, is any object with `params` and `grads` dicts: the base class
# `sophia.layers.Layer` will do. `descend` runs an optimizer on $f$ and records the path.

# %%
CURVATURE = np.array([1.0, 20.0])       # a and b
START = np.array([-4.0, 1.5])


def descend(make_optimizer, steps=60):
    """The points visited by an optimizer on f, from START: (steps + 1, 2)."""
    point = sophia.layers.Layer()
    point.params["w"] = START.copy()
    optimizer = make_optimizer([(point, "w")])
    path = [START.copy()]
    for _ in range(steps):
        point.grads["w"] = CURVATURE * point.params["w"]      # the gradient of f
        optimizer.step()
        path.append(point.params["w"].copy())
    return np.array(path)


def draw_valley(ax):
    w1, w2 = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-2, 2, 200))
    ax.contour(w1, w2, 0.5 * (CURVATURE[0] * w1**2 + CURVATURE[1] * w2**2),
               levels=np.geomspace(0.05, 60, 12), colors="0.8", linewidths=0.8)
    ax.plot(0, 0, "k*", markersize=10)
    ax.set_aspect("equal")


# %% [markdown]
# ## SGD, momentum, Nesterov, weight decay
#
# **Weight decay** adds $\frac{\lambda}{2}\lVert p\rVert^2$ to the loss; its gradient is
# $\lambda p$, so the step uses $d = g + \lambda p$.
#
# **Momentum** keeps a velocity $v$, a running sum of past steps that decays by $\mu$:
#
# $$v_t = \mu\, v_{t-1} + d_t, \qquad p_t = p_{t-1} - \eta\, v_t .$$
#
# Unrolled, $v_t = \sum_{k \ge 0} \mu^k d_{t-k}$. Where the gradients agree from step to step
# (along the valley floor) they add up: for a constant $d$, $v \to d/(1-\mu)$, ten times larger
# at $\mu = 0.9$. Where they alternate in sign (across the valley) they cancel. That is the cure
# for the zig-zag. (This is PyTorch's convention; CS231n's $v = \mu v - \eta g$ is the same method
# with $\eta$ inside $v$. On the first step there is no velocity yet: $v_1 = d_1$.)
#
# **Nesterov** momentum evaluates the step "one velocity ahead": with PyTorch's formulation,
# $p_t = p_{t-1} - \eta\,(d_t + \mu\, v_t)$. It reacts a step earlier when the velocity
# overshoots.
#
# Write `SGD.update` in `exercises/optim.py`, then check it:

# %%
check("sgd")

# %% [markdown]
# ## RMSProp: a step size per coordinate
#
# Momentum still uses one $\eta$ for every coordinate. RMSProp divides each coordinate's step by
# a running root-mean-square of its own gradients:
#
# $$s_t = \alpha\, s_{t-1} + (1 - \alpha)\, g_t^2, \qquad
#   p_t = p_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}$$
#
# (elementwise, $s_0 = 0$). If every gradient of a coordinate is multiplied by $c$, $\sqrt{s}$
# is too, and the step does not change: steep and flat directions take steps of similar size.
# $\epsilon$ only guards the division; it sits outside the square root, as in PyTorch.

# %%
check("rmsprop")

# %% [markdown]
# ## Adam: momentum and RMSProp, bias-corrected
#
# Adam keeps both averages, $m$ of the gradients and $v$ of their squares:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 .$$
#
# Both start at $0$, which biases them towards $0$ early on. Unroll $m$:
# $m_t = (1-\beta_1)\sum_{k=1}^{t} \beta_1^{t-k} g_k$. If the gradients have a steady mean
# $\mathbb E[g]$,
#
# $$\mathbb E[m_t] = (1-\beta_1)\,\mathbb E[g] \sum_{k=1}^{t}\beta_1^{t-k} = (1 - \beta_1^t)\,\mathbb E[g],$$
#
# a geometric sum. Dividing by $1-\beta_1^t$ removes the bias: $\hat m_t = m_t / (1-\beta_1^t)$,
# and likewise $\hat v_t = v_t/(1-\beta_2^t)$. The step is
# $p_t = p_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)$. At $t = 1$: $\hat m = g$,
# $\hat v = g^2$, so the first step is $\eta\,\mathrm{sign}(g)$ (up to $\epsilon$), whatever the
# scale of $g$. Count the step before using $t$.
#
# **AdamW.** Adding $\lambda p$ to $g$ (L2 regularization) does not work well with Adam: that term
# is divided by $\sqrt{\hat v}$ too, so the weights with large gradients are hardly decayed.
# AdamW *decouples* the decay: $p \leftarrow p\,(1 - \eta\lambda)$, then Adam's step with the
# unchanged $g$.

# %%
check("adam")

# %% [markdown]
# ## The paths
#
# Each optimizer takes 60 steps down the valley from the same start (the star is the minimum).
# Plain SGD at $\eta = 0.09$, close to its cap $2/b = 0.1$, zig-zags across and crawls along;
# momentum and Nesterov overshoot once, then roll down the floor of the valley, a hundred times
# closer than SGD after 60 steps. RMSProp and Adam rescale each coordinate and head for the
# minimum almost diagonally; Adam's steps are about $\eta$ long whatever the gradient, so it
# walks there at a steady pace set by $\eta$ and only slows down near the end.
#
# This valley is lined up with the axes: the best case for a step size per coordinate. Turn it
# by 45 degrees and each coordinate sees both curvatures: RMSProp and Adam lose their lead, while
# momentum does not care about the axes.

# %%
optimizers = {
    "SGD, lr 0.09": lambda ps: sophia.optim.SGD(ps, lr=0.09),
    "momentum 0.7, lr 0.04": lambda ps: sophia.optim.SGD(ps, lr=0.04, momentum=0.7),
    "Nesterov 0.7, lr 0.04": lambda ps: sophia.optim.SGD(ps, lr=0.04, momentum=0.7, nesterov=True),
    "RMSProp, lr 0.1": lambda ps: sophia.optim.RMSprop(ps, lr=0.1),
    "Adam, lr 0.1": lambda ps: sophia.optim.Adam(ps, lr=0.1),
}
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
draw_valley(axes[0])
for name, make in optimizers.items():
    path = descend(make)
    axes[0].plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=name)
    distance = np.linalg.norm(path, axis=1)
    axes[1].semilogy(distance, label=name)
axes[0].set_title("60 steps on f(w) = (w1² + 20 w2²) / 2")
axes[0].legend(fontsize=8, loc="lower right")
axes[1].set_xlabel("step")
axes[1].set_ylabel("distance to the minimum")
axes[1].grid(alpha=0.3)
plt.show()

# %% [markdown]
# Try it: raise SGD's rate to $0.11$ (past $2/b$) and watch it diverge; set the momentum to
# $0.9$ or $0.3$; give Nesterov $\eta = 0.08$; turn the valley (replace the gradient by
# $R^\top \mathrm{diag}(a, b) R\, w$ for a rotation $R$).
#
# ## Gradient clipping
#
# One bad batch (or, in chapter 10, a recurrent network) can produce a gradient a thousand times
# larger than usual, and one step can throw the parameters far away. Clipping bounds the step
# without changing its direction: treat all the gradients of the model as one long vector $G$,
#
# $$\lVert G\rVert = \sqrt{\textstyle\sum_{\text{params}}\sum_{\text{entries}} g^2}, \qquad
#   G \leftarrow G \cdot \frac{\text{max\_norm}}{\lVert G\rVert} \;\text{ if } \lVert G\rVert > \text{max\_norm}.$$
#
# Every gradient is scaled by the *same* factor; clipping each one separately would turn the
# direction.

# %%
check("clipping")

# %%
layer = sophia.layers.Linear(3, 2, rng)
layer.grads = {"W": 30 * rng.standard_normal((3, 2)), "b": 30 * rng.standard_normal(2)}
before = {name: g.copy() for name, g in layer.grads.items()}
norm = sophia.optim.clip_grad_norm([(layer, "W"), (layer, "b")], max_norm=1.0)
after = np.sqrt(sum(np.sum(g**2) for g in layer.grads.values()))
print(f"global norm {norm:.2f} before, {after:.2f} after")
print("every gradient scaled by", {name: round(float((layer.grads[name] / before[name]).ravel()[0]), 4)
                                   for name in before})

# %% [markdown]
# ## Learning-rate schedules
#
# Early in training a large rate moves fast; late, it keeps the parameters bouncing around the
# minimum (the hovering of RMSProp and Adam above). A schedule is a function of the number $t$ of
# steps already taken:
#
# | schedule | $\eta_t$ |
# | --- | --- |
# | step | $\eta\,\gamma^{\lfloor t/s \rfloor}$ |
# | exponential | $\eta\,\gamma^{t}$ |
# | cosine | $\eta_{\min} + (\eta-\eta_{\min})\,\frac{1 + \cos(\pi t/T)}{2}$ for $t \le T$, then $\eta_{\min}$ |
# | linear warm-up | $\eta\,\big(f + (1-f)\min(t, W)/W\big)$ |
#
# Warm-up does the opposite of the others: Adam's $\hat v$ rests on few gradients in the first
# steps, and a small rate until it settles avoids a wild start. An optimizer takes a schedule in
# place of a number: `Adam(params, lr=lambda t: cosine_lr(t, 0.1, 1000))`.

# %%
check("schedules")

# %%
t = np.arange(0, 121)
curves = {
    "step_lr(t, 0.1, 40, 0.5)": [sophia.optim.step_lr(k, 0.1, 40, 0.5) for k in t],
    "exponential_lr(t, 0.1, 0.98)": [sophia.optim.exponential_lr(k, 0.1, 0.98) for k in t],
    "cosine_lr(t, 0.1, 100, 0.01)": [sophia.optim.cosine_lr(k, 0.1, 100, 0.01) for k in t],
    "linear_warmup(t, 0.1, 30)": [sophia.optim.linear_warmup(k, 0.1, 30) for k in t],
}
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, lrs in curves.items():
    ax.plot(t, lrs, label=name)
ax.set_xlabel("t (steps taken)")
ax.set_ylabel("learning rate")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## Milestone: the spirals with your Adam
#
# The two-layer network of chapter 5, trained with Adam ($\eta = 0.01$, batches of 100), must reach
# 0.97 training accuracy. The grader trains it as `python -m grader train mlp --optim adam` does:

# %%
check("milestone_adam")

# %% [markdown]
# The same network, batches and learning rate $\eta = 0.01$ for four optimizers, 300 steps each
# (`grader.fitting.fit` trains your package as the milestone does). SGD's step is $\eta$ times
# the gradient, and the gradients here are small: it hardly moves. Momentum's velocity multiplies
# the step by up to $1/(1-\mu) = 10$. RMSProp and Adam divide by the gradients' own size, so the
# same $\eta$ means a step of about $\eta$ per coordinate, whatever the scale of the loss.

# %%
from grader.fitting import fit

fig, ax = plt.subplots(figsize=(7, 3.5))
for optim in ("sgd", "momentum", "rmsprop", "adam"):
    result = fit(sophia, "mlp", optim=optim, steps=300, lr=0.01)
    ax.plot(result.history.loss, linewidth=1, label=f"{optim}: accuracy {result.accuracy:.2f}")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("batch loss")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
