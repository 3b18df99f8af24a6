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
# # 2. Losses: one number that says how wrong the scores are
#
# A classifier gives every example $i$ a row of class scores $s_i \in \mathbb R^C$. Training needs
# one number that is small when the correct class $y_i$ scores high, and its gradient with respect
# to every score: that gradient is where the backward pass starts. This chapter writes the two
# classic losses of `exercises/losses.py`, softmax cross-entropy and the multiclass hinge (SVM),
# and the weight penalties added to them.
#
# Both losses are the **mean** over the batch: $L = \frac1N \sum_i L_i$, so every gradient carries
# a factor $\frac1N$, and the learning rate does not depend on the batch size.

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Softmax cross-entropy
#
# Read the scores as unnormalized log-probabilities: $p_{ij} = e^{s_{ij}} / \sum_k e^{s_{ik}}$ (the
# softmax), and charge each example the negative log-probability of its correct class,
#
# $$L_i = -\log p_{i y_i} = -s_{i y_i} + \log \sum_k e^{s_{ik}} .$$
#
# **Its gradient.** Differentiate the second form with respect to one score $s_{ij}$. The first term
# gives $-1$ when $j = y_i$ and 0 otherwise; the log-sum-exp gives
# $e^{s_{ij}} / \sum_k e^{s_{ik}} = p_{ij}$. So
#
# $$\frac{\partial L_i}{\partial s_{ij}} = p_{ij} - [\,j = y_i\,], \qquad
#   \frac{\partial L}{\partial s_{ij}} = \frac1N \big(p_{ij} - [\,j = y_i\,]\big).$$
#
# Probabilities minus the one-hot label: the gradient pushes the correct score up by $1 - p_{iy_i}$
# and every other score down by its probability. Each row of it sums to 0.
#
# **Stability.** $e^{s}$ overflows float64 from $s \approx 710$ on. Subtracting any constant $c$
# from a row changes nothing, $\frac{e^{s_j - c}}{\sum_k e^{s_k - c}} = \frac{e^{s_j}}{\sum_k e^{s_k}}$,
# and with $c = \max_k s_k$ every exponent is $\le 0$: no overflow, and the largest term is 1,
# so the log of the sum never sees a 0. Compute $\log p$ from the shifted scores directly, rather
# than the log of a probability that may have underflowed to 0.

# %%
check("cross_entropy")

# %% [markdown]
# The gradient's rows sum to zero, and logits of a thousand are no trouble:

# %%
scores = rng.standard_normal((4, 5))
y = np.array([0, 3, 1, 4])
loss, dscores = sophia.losses.softmax_cross_entropy(scores, y)
print(f"loss {loss:.4f} (chance level for 5 classes: log 5 = {np.log(5):.4f})")
print("largest row sum of dscores:", np.abs(dscores.sum(axis=1)).max())
print("with every score + 1000:", sophia.losses.softmax_cross_entropy(scores + 1000, y)[0])
print("a wrong class scoring 1000:", sophia.losses.softmax_cross_entropy(
    np.array([[1000.0, 0.0, 0.0]]), np.array([1]))[0], "(exactly 1000 - 0 + log(1 + 2e-1000))")

# %% [markdown]
# ## The multiclass hinge loss (SVM)
#
# The SVM asks for less: the correct class should beat every other class by a margin $\Delta$,
# and once it does, the example costs nothing:
#
# $$L_i = \sum_{j \ne y_i} \max\big(0,\; s_{ij} - s_{iy_i} + \Delta\big).$$
#
# **Its gradient.** Each term $j \ne y_i$ is active when $s_{ij} - s_{iy_i} + \Delta > 0$; an active
# term contributes $+1$ to $\partial L_i / \partial s_{ij}$ and $-1$ to $\partial L_i / \partial
# s_{iy_i}$. With $\mathbb 1_{ij}$ for "term $j$ is active":
#
# $$\frac{\partial L_i}{\partial s_{ij}} = \mathbb 1_{ij} \;(j \ne y_i), \qquad
#   \frac{\partial L_i}{\partial s_{iy_i}} = -\sum_{j \ne y_i} \mathbb 1_{ij},$$
#
# and again a factor $\frac1N$ for the mean. At exactly $s_{ij} - s_{iy_i} + \Delta = 0$ the max has
# a kink and no derivative; take the inactive side (0), as for ReLU.

# %%
check("hinge")

# %% [markdown]
# ## The two losses against the margin
#
# What separates them shows best as a function of one number, the correct class's **margin**
# $m = s_{y} - \max_{j \ne y} s_j$: how far the correct score leads the best wrong one. Take three
# classes, the correct one first, with scores $(m, 0, 0)$; plot the loss, and the gradient on the
# correct score (the push it receives).

# %%
margins = np.linspace(-4, 4, 401)
losses = {"cross-entropy": sophia.losses.softmax_cross_entropy,
          "hinge (Δ = 1)": sophia.losses.hinge_loss}
label = np.array([0])
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, loss_fn in losses.items():
    values, pushes = [], []
    for m in margins:
        value, grad = loss_fn(np.array([[m, 0.0, 0.0]]), label)
        values.append(value)
        pushes.append(-grad[0, 0])
    left.plot(margins, values, label=name)
    right.plot(margins, pushes, label=name)
for ax in (left, right):
    ax.axvline(1.0, color="gray", lw=0.8, ls=":")
    ax.grid(alpha=0.3)
    ax.set_xlabel("margin of the correct class  $m = s_y - \\max_{j \\neq y} s_j$")
left.set(ylabel="loss $L_i$", title="loss")
right.set(ylabel="$-\\partial L_i / \\partial s_y$", title="push on the correct score")
left.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# For very wrong examples ($m \ll 0$) both losses grow linearly and push with a constant force:
# 1 per violated class for the hinge, $1 - p_y \to 1$ for cross-entropy. The difference is on
# the right. The hinge is **satisfied** once $m \ge \Delta$: loss and gradient are exactly 0, and
# that example stops influencing training. Cross-entropy is never satisfied: its loss
# $\log(1 + 2e^{-m})$ decays like $2e^{-m}$ and keeps pushing, ever more gently, towards more
# confident scores. At $m = 0$ cross-entropy charges $\log 3$ (the three scores are equal), the
# hinge $2\Delta$ (two wrong classes, each a whole margin $\Delta$ short).
#
# ## Weight penalties
#
# A loss alone can be lowered by scaling the weights up without changing any prediction; a
# penalty on the weights' size, added to the loss, prefers the smaller of equally good solutions:
#
# $$R_{L2} = \tfrac{\lambda}{2} \sum_k W_k^2 \quad\Rightarrow\quad \frac{\partial R_{L2}}{\partial W_k}
#   = \lambda W_k, \qquad\qquad
#   R_{L1} = \lambda \sum_k |W_k| \quad\Rightarrow\quad \frac{\partial R_{L1}}{\partial W_k}
#   = \lambda\,\operatorname{sign}(W_k).$$
#
# The $\tfrac12$ in L2 is there so that the gradient has no factor 2. $|w|$ has no derivative at
# 0; the convention is 0 there (a subgradient). The penalty applies to weights, never to biases:
# a bias does not scale an input, and shrinking it buys no smoothness.

# %%
check("regularization")

# %% [markdown]
# The gradients tell how each penalty shrinks a weight in a gradient step. L2 pulls in proportion
# to the weight: large weights shrink fast, small ones hardly at all, and none reaches exactly 0.
# L1 pulls every nonzero weight by the same amount, however small: it drives weights to exactly 0
# (a sparse solution). Here 2000 plain gradient steps on the penalty alone, from the same weights:

# %%
start = rng.standard_normal(12)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
for ax, (name, penalty) in zip(axes, [("L2", sophia.losses.l2_regularization),
                                      ("L1", sophia.losses.l1_regularization)]):
    W, path = start.copy(), [start.copy()]
    for _ in range(2000):
        W = W - 0.001 * penalty(W, 1.0)[1]
        path.append(W.copy())
    ax.plot(np.array(path))
    ax.set(title=f"{name} penalty alone, λ = 1", xlabel="gradient step", ylabel="weight")
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# The L2 weights decay exponentially, all by the same factor $(1 - \eta\lambda)$ per step; the L1
# weights walk to 0 in straight lines at speed $\eta\lambda$ and stay there (jittering within one
# step of it, where the sign flips). In chapter 5 `Sequential` adds your penalty to the loss of
# every weight of a network.
