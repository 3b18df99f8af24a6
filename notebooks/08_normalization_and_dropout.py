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
# # 8. Normalization and dropout: layers that train differently than they predict
#
# Two ideas, one twist. **Dropout** makes a network robust by training it with random units
# missing. **Batch normalization** keeps every layer's inputs at a steady scale, so that deep
# networks train at all. Both behave differently in training and in evaluation: `model.train()` and
# `model.eval()` switch them (the `training` flag of every layer). Your code goes in
# `exercises/dropout.py` and `exercises/normalization.py`.

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Dropout
#
# In training, each unit is kept with probability $1-p$ and dropped (set to 0) with probability
# $p$, with a fresh mask $m \in \{0, 1\}$ on every forward pass. The network cannot rely on any one
# unit, and in effect trains a large family of thinner networks that share weights.
#
# At evaluation every unit is present, so the next layer would see inputs larger than in training.
# *Inverted* dropout fixes the scale during training instead: $\text{out} = x \odot m / (1-p)$, so
#
# $$\mathbb E[\text{out}] = x \cdot \frac{\mathbb P(m = 1)}{1-p} = x,$$
#
# and evaluation is the identity. The backward pass follows from $\text{out}$ being $x$ times a
# constant (the mask is fixed once drawn): $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial
# \text{out}} \odot m / (1-p)$. A dropped unit passes no gradient.

# %%
check("dropout")

# %%
dropout = sophia.dropout.Dropout(0.5, rng)
x = np.ones((1000, 8))
out = dropout.forward(x)
print("one row in training:   ", out[0])
print("mean over 1000 rows:   ", out.mean(axis=0).round(2))
dropout.eval()
print("the same row in eval:  ", dropout.forward(x)[0])

# %% [markdown]
# ## Batch normalization: the forward pass
#
# For a batch $x$ of shape $(N, D)$, per feature (column), in training:
#
# $$\mu = \frac1N\sum_n x_n, \quad \sigma^2 = \frac1N\sum_n (x_n - \mu)^2, \quad
#   \hat x_n = \frac{x_n - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad y_n = \gamma\,\hat x_n + \beta .$$
#
# Every feature leaves with mean $\beta$ and standard deviation $\gamma$ over the batch, however
# the layers before it have drifted. $\gamma$ and $\beta$ are learned, so the network can still
# choose any scale (even undo the normalization).
#
# At evaluation there may be one example, and the prediction of an example should not depend on
# the others in its batch: BatchNorm uses running averages of the batch statistics instead,
# updated in training with `momentum` weighting the new batch (PyTorch's convention). The running
# variance stores the unbiased estimate $\sigma^2 N/(N-1)$; the normalization uses the biased
# $\sigma^2$.
#
# ## Batch normalization: the backward pass
#
# Given $g_n = \frac{\partial L}{\partial y_n}$ (per feature; every sum below runs over the batch),
# the parameters are easy: $\frac{\partial L}{\partial \beta} = \sum_n g_n$ and
# $\frac{\partial L}{\partial \gamma} = \sum_n g_n \hat x_n$.
#
# For $x$, the trap is that every $x_n$ also moves $\mu$ and $\sigma^2$, which every output depends
# on. Write $s = (\sigma^2 + \epsilon)^{-1/2}$ and $d_n = \frac{\partial L}{\partial \hat x_n} =
# \gamma g_n$, and go back through the graph $x \to (\mu, \sigma^2) \to \hat x \to y$ one node at a
# time:
#
# $$\frac{\partial L}{\partial \sigma^2} = \sum_n d_n (x_n - \mu)\cdot\left(-\tfrac12\right)(\sigma^2+\epsilon)^{-3/2}
#   = -\frac{s^2}{2} \sum_n d_n \hat x_n,$$
#
# $$\frac{\partial L}{\partial \mu} = -s\sum_n d_n + \frac{\partial L}{\partial \sigma^2}\cdot
#   \frac1N\sum_n -2(x_n-\mu) = -s \sum_n d_n \qquad (\textstyle\sum_n (x_n - \mu) = 0),$$
#
# $$\frac{\partial L}{\partial x_n} = d_n\, s + \frac{\partial L}{\partial \sigma^2}\cdot\frac{2(x_n-\mu)}{N}
#   + \frac{\partial L}{\partial \mu}\cdot\frac1N .$$
#
# Substitute, using $x_n - \mu = \hat x_n / s$:
#
# $$\boxed{\;\frac{\partial L}{\partial x_n} = s\left(d_n - \frac1N\sum_k d_k - \hat x_n\,\frac1N\sum_k d_k\hat x_k\right)\;}$$
#
# Read it: the gradient of a normalized layer has the batch mean of $d$ removed, and its component
# along $\hat x$ removed. Those are exactly the two directions in which moving $x$ does not change
# $\hat x$ (shifting the batch, scaling it). In evaluation the statistics are constants and
# $\frac{\partial L}{\partial x_n} = \gamma g_n / \sqrt{\sigma^2_{\text{running}} + \epsilon}$.
#
# The closed form is also the fast one: three sums over the batch, no intermediate per node.
# Test your backward with a random, non-uniform upstream gradient: with $g$ all ones, the
# $x$-gradient is 0 whatever the bug.

# %%
check("batchnorm")

# %% [markdown]
# ## BatchNorm2d and LayerNorm: the same computation, other axes
#
# After a convolution (chapter 9), $x$ is $(N, C, H, W)$ and each *channel* is one feature:
# its $N\cdot H\cdot W$ values are all samples of it (the same filter made them at every position).
# Move the channel axis last and flatten: $(N, C, H, W) \to (N, H, W, C) \to (NHW, C)$ is
# BatchNorm1d's input. The backward pass makes the same moves on $dout$ and undoes them on $dx$.

# %%
check("batchnorm2d")

# %% [markdown]
# **LayerNorm** normalizes each example over its own features (the last axis) instead of each
# feature over the batch: no dependence between examples, no running statistics, the same in
# training and evaluation (transformers use it, with batches of one sentence). Its backward is
# BatchNorm's boxed formula with the sums over the last axis instead of over the batch.

# %%
check("layernorm")

# %%
features = rng.normal(loc=[5.0, -2.0, 0.0], scale=[3.0, 0.1, 1.0], size=(200, 3))
for norm in (sophia.normalization.BatchNorm1d(3), sophia.normalization.LayerNorm(3)):
    y = norm.forward(features)
    print(f"{type(norm).__name__:12} column means {y.mean(axis=0).round(2)}, column stds "
          f"{y.std(axis=0).round(2)}; row 0: mean {y[0].mean():.2f}, std {y[0].std():.2f}")

# %% [markdown]
# ## Milestone: a deep sigmoid network that trains
#
# Four layers of 32 sigmoid units on the spirals. A sigmoid's derivative is at most $1/4$: through
# four of them the gradient reaching the first layer shrinks by a factor $4^4 = 256$ or more. And
# its outputs are all positive, near $1/2$: the next layer receives a large common offset and a
# small spread, which shrinks again layer after layer. With a BatchNorm1d before each sigmoid, its
# inputs stay centred with unit spread (until $\gamma$ and $\beta$ decide otherwise), where the
# sigmoid is steepest and tells the points apart. The milestone asks for 0.9 training accuracy in
# 600 steps:

# %%
check("milestone_batchnorm")

# %% [markdown]
# The same network and data, trained 300 steps with and without your BatchNorm
# (`grader.fitting.fit` trains your package as the milestone does); then the inputs of each
# sigmoid, over all the points, after training.

# %%
from grader.fitting import fit


def sigmoid_inputs(model, X):
    """What each Sigmoid of the model receives on X, in evaluation mode: a list of arrays."""
    seen = []
    for layer in model.eval().layers:
        if isinstance(layer, sophia.activations.Sigmoid):
            seen.append(X.copy())
        X = layer.forward(X)
    return seen


runs = {norm: fit(sophia, "deep", norm=norm, steps=300) for norm in (None, "batchnorm")}
fig, axes = plt.subplots(2, 5, figsize=(15, 5), gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.6]})
for row, (norm, result) in zip(axes, runs.items()):
    name = "with BatchNorm" if norm else "without"
    for depth, (ax, z) in enumerate(zip(row, sigmoid_inputs(result.model, result.X)), start=1):
        ax.hist(z.ravel(), bins=60, range=(-8, 8), color="C1" if norm else "C0")
        ax.set_yticks([])
        ax.set_title(f"{name}: sigmoid {depth}", fontsize=9)
    row[-1].plot(result.history.loss, color="C1" if norm else "C0", linewidth=1)
    row[-1].set_title(f"loss {name}: accuracy {result.accuracy:.2f}", fontsize=9)
    row[-1].set_ylim(0, 1.3)
axes[1, 2].set_xlabel("input of the sigmoid")
axes[1, -1].set_xlabel("step")
plt.tight_layout()
plt.show()

# %% [markdown]
# Without normalization the inputs of the sigmoids are a narrow peak: every point gets nearly the
# same value, so little of what tells the points apart reaches the top, and the loss stays near
# $\ln 3 \approx 1.1$ (chance for three classes) for a long time. With BatchNorm each sigmoid sees
# its inputs spread over its steep part, and the loss falls from the first steps. Try `fit(sophia, "deep", norm="layernorm", steps=300)`, and `dropout=0.2` on the `mlp`
# pipeline with `validate=True` to compare training and validation accuracy.
