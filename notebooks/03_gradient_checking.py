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
# # 3. Gradient checking: trust, but verify
#
# Every backward pass in this kit is a formula you derive. A wrong formula does not crash: the
# network still trains, just worse, and the bug can hide for weeks. The cure is to compare each
# analytic gradient with one that cannot be wrong in the same way, computed from the definition
# of the derivative with nothing but forward passes. This chapter writes that tool,
# `exercises/numgrad.py`; from here on, use it on every layer you write (the grader checks your
# layers with its own trusted version, never with yours).

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Central differences
#
# The derivative is a limit, $f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}$; a computer can
# only take a small $h$. Which difference, and how small? Expand $f$ around $x$ (Taylor):
#
# $$f(x \pm h) = f(x) \pm h f'(x) + \tfrac{h^2}{2} f''(x) \pm \tfrac{h^3}{6} f'''(x) + O(h^4).$$
#
# The **forward difference** keeps the $h^2$ term:
# $\frac{f(x+h) - f(x)}{h} = f'(x) + \tfrac h2 f''(x) + O(h^2)$, an error proportional to $h$.
# The **central difference** subtracts the two expansions, and every even power cancels:
#
# $$\frac{f(x+h) - f(x-h)}{2h} = f'(x) + \tfrac{h^2}{6} f'''(x) + O(h^4),$$
#
# an error proportional to $h^2$: with $h = 10^{-5}$, about $10^{-10}$ instead of $10^{-5}$.
#
# For a function of many variables (a weight array $W$), perturb one entry at a time: the
# gradient's entry $i$ is the central difference along $e_i$, the array that is 1 at $i$ and 0
# elsewhere. The function takes no argument: `f` reads the very array you perturb (a layer's
# weight, say), so `numerical_gradient` changes each entry **in place**, evaluates, and restores
# it exactly.
#
# ## How close is close enough
#
# Gradients come in every size, so compare them relatively:
#
# $$\text{err} = \max_i \frac{|a_i - b_i|}{\max(10^{-8},\; |a_i| + |b_i|)} .$$
#
# The floor $10^{-8}$ keeps entries that are both (nearly) 0 from dividing by 0. In float64,
# a correct backward pass typically gives $10^{-8}$ or less; around $10^{-4}$ something is wrong,
# or a kink is nearby (below); $10^{-2}$ or more: the formula is wrong. Write
# `numerical_gradient` and `relative_error`:

# %%
check("numgrad")

# %% [markdown]
# ## Your losses, checked
#
# Chapter 2's losses return their gradient with respect to the scores: compare it with yours.

# %%
scores = rng.standard_normal((6, 4))
y = rng.integers(0, 4, size=6)
for name in ("softmax_cross_entropy", "hinge_loss"):
    loss_fn = getattr(sophia.losses, name)
    analytic = loss_fn(scores, y)[1]
    numeric = sophia.numgrad.numerical_gradient(lambda: loss_fn(scores, y)[0], scores)
    print(f"{name:>22}: relative error {sophia.numgrad.relative_error(analytic, numeric):.1e}")

# %% [markdown]
# ## Truncation against round-off: choosing $h$
#
# Smaller $h$ is not always better. The computer stores $f(x \pm h)$ with a relative error of
# about $\epsilon = 2.2 \times 10^{-16}$ (float64), and the difference of two nearly equal numbers
# keeps that absolute error, $\epsilon |f|$, while dividing by $2h$ magnifies it. The total error
# of the central difference is about
#
# $$\underbrace{\tfrac{h^2}{6} |f'''|}_{\text{truncation}} \;+\;
#   \underbrace{\tfrac{\epsilon |f|}{h}}_{\text{round-off}},$$
#
# smallest where the two terms meet, near $h \approx \epsilon^{1/3} \approx 10^{-5}$ for values of
# order 1 (for the forward difference, near $\epsilon^{1/2} \approx 10^{-8}$). Measure it on one
# derivative: the cross-entropy's with respect to one score, computed by your
# `numerical_gradient` at many $h$ (it perturbs the one-entry view `score` of the scores array,
# which the loss reads), against the analytic one; and, for comparison, the forward difference.

# %%
scores = rng.standard_normal((5, 4))
y = rng.integers(0, 4, size=5)
score = scores[:1, 0]                                   # a view: entry (0, 0) of scores
loss_at = lambda s: sophia.losses.softmax_cross_entropy(s, y)[0]
analytic = sophia.losses.softmax_cross_entropy(scores, y)[1][:1, 0]


def forward_difference(h):
    """(L(scores + h at entry (0, 0)) - L(scores)) / h: the one-sided difference, for comparison."""
    ahead = scores.copy()
    ahead[0, 0] += h
    return np.array([(loss_at(ahead) - loss_at(scores)) / h])


steps = np.logspace(-13, -1, 49)
errors = {"central (your numerical_gradient)": [], "forward": []}
for h in steps:
    central = sophia.numgrad.numerical_gradient(lambda: loss_at(scores), score, h=h)
    errors["central (your numerical_gradient)"].append(sophia.numgrad.relative_error(analytic, central))
    errors["forward"].append(sophia.numgrad.relative_error(analytic, forward_difference(h)))

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, err in errors.items():
    ax.loglog(steps, err, "o-", ms=3, label=name)
ax.loglog(steps, 2e-15 / steps, "k:", lw=1, label="round-off $\\propto \\epsilon / h$")
ax.loglog(steps, 0.1 * steps ** 2, "k--", lw=1, label="truncation $\\propto h^2$")
ax.loglog(steps, 0.3 * steps, "k-.", lw=1, label="truncation $\\propto h$")
ax.set(xlabel="step $h$", ylabel="relative error against the analytic gradient",
       ylim=(1e-12, 1), title="the error of a numerical gradient against $h$")
ax.grid(True, which="major", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Right of the minimum, truncation: the central difference's error falls with slope 2 on the
# log-log axes, the forward difference's with slope 1. Left of it, round-off: both rise like
# $1/h$, whatever the formula. The central difference's minimum sits near $h = 10^{-5}$, the
# default of `numerical_gradient`, and is orders of magnitude below the forward difference's best.
#
# ## Kinks
#
# A central difference straddles $x$: where $f$ has a kink between $x - h$ and $x + h$ (ReLU at 0,
# the hinge at a margin of exactly $\Delta$, a max with a tie), it averages the slopes of both
# sides, and no analytic gradient agrees with it. Put one hinge term exactly on its kink:

# %%
kinked = np.array([[1.0, 0.0, -1.0]])      # class 1 correct; its term for class 2,
label = np.array([1])                      # s_2 - s_1 + 1, is exactly 0: on the kink
analytic = sophia.losses.hinge_loss(kinked, label)[1]
numeric = sophia.numgrad.numerical_gradient(lambda: sophia.losses.hinge_loss(kinked, label)[0],
                                            kinked)
print("analytic: ", analytic[0], "\nnumerical:", numeric[0].round(6))
print(f"relative error {sophia.numgrad.relative_error(analytic, numeric):.2f}")

# %% [markdown]
# The numerical gradient gives $\tfrac12$ on the kinked class, the average of the slopes 0 and 1 on
# either side (and $-\tfrac32$ on the correct class, which moves the same kink). The analytic
# gradient is right to pick a side; it is the check that cannot decide. So gradient checks use
# inputs away from kinks (random inputs almost never land on one) and, when one is near, take a
# smaller $h$ or accept a few large entries. The kit's own checks of your layers do exactly this.
#
# **To remember.** `numerical_gradient(lambda: model_loss(), W)` costs two forward passes per
# entry of $W$: use it on small shapes, or on a sample of entries, and keep it for checking. A
# backward pass must compute its gradient from the formula you derived (the grader refuses a
# numerical gradient as an answer).
