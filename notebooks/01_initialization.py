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
# # 1. Initialization: where training starts
#
# Before a network has seen a single example, its weights must hold *some* numbers, and the
# choice matters more than it seems: a deep network whose first weights are too small passes
# on nothing but zeros, one whose weights are too large saturates every unit, and both learn
# slowly or not at all. This chapter writes the initializers of `exercises/initializers.py`
# and finds, by a short calculation, the scale that keeps a signal alive through many layers.
#
# Every initializer is a function of a weight's shape and an explicit random generator `rng`:
# the same seed gives the same weights on every machine. A Linear layer's weight has shape
# $(D, M)$: $D$ inputs (its *fan-in*), $M$ outputs (its *fan-out*).

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Zeros, constants, and why they fail
#
# The first idea is to start from zero, or from one constant $c$. Take one hidden layer
# $h = \phi(xW)$ with every entry of $W$ equal to $c$. Hidden unit $j$ computes
# $h_j = \phi\big(c \sum_i x_i\big)$: the same number for every $j$. In the backward pass,
# $\partial L / \partial W_{ij} = x_i\, \delta_j$ where $\delta_j = \partial L / \partial (xW)_j$, and
# $\delta_j$ is the same for every $j$ when the units are identical and the next layer's
# weights are equal too. Identical units receive identical updates and stay identical:
# a layer of $M$ units trains like a layer of one. Nothing in gradient descent can break
# this **symmetry**; only randomness in the starting point can.
#
# The classic remedy is "small random numbers", $W_{ij} \sim \mathcal N(0, 0.01^2)$. Write
# `zeros`, `constant` and `small_normal`, then check them:

# %%
check("init_basic")

# %% [markdown]
# The symmetry, seen: a constant weight gives eight hidden units that compute exactly the same
# function of the input, a small random one gives eight different ones.

# %%
x = rng.standard_normal((200, 5))
for name, W in [("constant", sophia.initializers.constant((5, 8), 0.3)),
                ("small_normal", sophia.initializers.small_normal((5, 8), rng))]:
    h = np.tanh(x @ W)                                   # (200, 8): 8 hidden units
    spread = np.ptp(h, axis=1).max()                     # how much the units ever differ
    print(f"{name:>12}: largest difference between two units on one input = {spread:.3g}")

# %% [markdown]
# ## Keeping the variance: fan-in, fan-out, Xavier
#
# Random, then, but how large? Look at one layer, $z = xW$, with inputs $x_i$ independent, of
# mean 0 and variance $v$, and weights independent of them, of mean 0 and variance $\sigma^2$.
# Each output is a sum of $D$ independent products, and for independent zero-mean factors
# $\operatorname{Var}(x_i W_{ij}) = \operatorname{Var}(x_i)\operatorname{Var}(W_{ij})$, so
#
# $$\operatorname{Var}(z_j) = \sum_{i=1}^{D} \operatorname{Var}(x_i)\,\operatorname{Var}(W_{ij})
#   = D\,\sigma^2\, v .$$
#
# Through $L$ such layers the variance is multiplied by $(D\sigma^2)^L$: it vanishes
# exponentially when $D\sigma^2 < 1$ and explodes when $D\sigma^2 > 1$. With $D = 256$ and
# $\sigma = 0.01$, $D\sigma^2 = 0.0256$: ten layers shrink the signal's variance by $10^{-16}$.
# The forward pass keeps its scale when $\sigma^2 = 1/\text{fan\_in}$.
#
# The backward pass runs the same computation transposed: $\partial L/\partial x = (\partial L /
# \partial z)\, W^\top$ sums over the $M$ outputs, so the gradients keep their scale when
# $\sigma^2 = 1/\text{fan\_out}$. Glorot and Bengio (2010) take the compromise
#
# $$\sigma^2 = \frac{2}{\text{fan\_in} + \text{fan\_out}} ,$$
#
# which is exact for both when the layer is square. Near 0, tanh is the identity, so the
# calculation holds for tanh networks. Two ways to draw with that variance:
#
# - normal: $W_{ij} \sim \mathcal N(0, \sigma^2)$;
# - uniform: $W_{ij} \sim \mathcal U(-a, a)$, whose variance is
#   $\frac{1}{2a}\int_{-a}^{a} w^2\,dw = a^2/3$; setting $a^2/3 = \sigma^2$ gives
#   $a = \sqrt{6/(\text{fan\_in} + \text{fan\_out})}$.
#
# An optional `gain` multiplies $\sigma$ (and $a$) for activations that are not the identity near 0.
#
# For a convolution weight of shape $(F, C, k_h, k_w)$, each output sums over $C k_h k_w$ inputs
# (fan-in), and each input feeds $F k_h k_w$ outputs (fan-out): `fans` returns those two
# numbers for any weight shape. Write `fans`, `xavier_uniform` and `xavier_normal`:

# %%
check("xavier")

# %% [markdown]
# Does your uniform draw have the variance the derivation asks for? A large sample says:

# %%
for shape in [(300, 100), (64, 32, 3, 3)]:
    fan_in, fan_out = sophia.initializers.fans(shape)
    W = sophia.initializers.xavier_uniform(shape, rng)
    print(f"{str(shape):>16}: fan_in {fan_in:4d}, fan_out {fan_out:4d}, "
          f"sample variance {W.var():.2e}, 2/(fan_in+fan_out) = {2 / (fan_in + fan_out):.2e}")

# %% [markdown]
# ## ReLU halves the variance: He
#
# A ReLU zeroes the negative half of its input. For $z$ symmetric around 0,
#
# $$\mathbb E[\operatorname{relu}(z)^2] = \int_0^\infty z^2 p(z)\,dz = \tfrac12\,\mathbb E[z^2]
#   = \tfrac12 \operatorname{Var}(z).$$
#
# The next layer sums products with these outputs, and what enters its variance is their
# second moment (its weights have mean 0): $\operatorname{Var}(z^{(l+1)}) = D\,\sigma^2\,
# \tfrac12 \operatorname{Var}(z^{(l)})$. To keep the scale, He et al. (2015) double the weight
# variance:
#
# $$\sigma^2 = \frac{2}{\text{fan\_in}}, \qquad\text{uniform: } a = \sqrt{6/\text{fan\_in}} .$$
#
# Xavier in a ReLU network loses half the variance in every layer. Write `he_uniform` and
# `he_normal`:

# %%
check("he")

# %% [markdown]
# ## Ten layers deep
#
# Now the experiment. A stack of ten layers of width 256, without biases, each
# $h \leftarrow \phi(h W)$ with $W$ drawn by one of your initializers, fed 500 random inputs.
# (The activations are plain numpy here; you write them as layers in chapter 4.) For every
# layer we record the standard deviation of its outputs.

# %%
WIDTH, DEPTH = 256, 10
ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}
INITS = {"small_normal (0.01)": sophia.initializers.small_normal,
         "xavier_normal": sophia.initializers.xavier_normal,
         "he_normal": sophia.initializers.he_normal}


def layer_outputs(init, activation, seed=0):
    """The outputs of every layer of the stack: a list of DEPTH arrays (500, WIDTH)."""
    draw = np.random.default_rng(seed)
    h = draw.standard_normal((500, WIDTH))
    outputs = []
    for _ in range(DEPTH):
        h = ACTIVATIONS[activation](h @ init((WIDTH, WIDTH), draw))
        outputs.append(h)
    return outputs


# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, activation in zip(axes, ACTIVATIONS):
    for name, init in INITS.items():
        stds = [h.std() for h in layer_outputs(init, activation)]
        ax.semilogy(range(1, DEPTH + 1), stds, "o-", label=name)
    ax.set(title=f"{activation} stack", xlabel="layer", ylabel="std of the layer's outputs")
    ax.grid(True, which="both", alpha=0.3)
axes[0].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the picture on its logarithmic axis. With small random weights the signal shrinks by a
# factor of about $\sqrt{D}\,\sigma = 0.16$ (tanh) per layer: after ten layers it is a
# numerical whisper, and so are the gradients that flow back to the first layers, whose size is
# proportional to it. Xavier keeps a tanh stack's scale nearly flat (it decays slowly, because
# tanh is below the identity away from 0) but loses a factor $\sqrt 2$ per ReLU layer; He keeps
# the ReLU stack flat, and for tanh it is a little too large, which pushes units toward
# saturation.
#
# The distributions tell the same story. Here the outputs of the tanh stack's first, fifth and
# last layer under each initialization:

# %%
fig, axes = plt.subplots(1, len(INITS), figsize=(12, 3.2))
for ax, (name, init) in zip(axes, INITS.items()):
    outputs = layer_outputs(init, "tanh")
    for depth in (1, 5, DEPTH):
        values = outputs[depth - 1].ravel()
        ax.hist(values, bins=60, range=(-1, 1), histtype="step", density=True,
                label=f"layer {depth}")
    ax.set(title=f"tanh, {name}", xlabel="output")
axes[0].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# With small weights every layer's outputs collapse into a spike at 0; with Xavier they keep
# a broad shape that narrows only slowly; with He the tanh units start piling up near $\pm 1$, where their
# derivative is small (chapter 4 draws it).
#
# **To remember.** Pick the variance from the layer's fans: $2/(\text{fan\_in}+\text{fan\_out})$
# for tanh and sigmoid-like activations, $2/\text{fan\_in}$ for ReLU. The kit's `Linear`
# draws its weights with `he_normal` unless told otherwise (`weight_init=`), and later
# chapters fix depth problems at their root with normalization layers (chapter 8).
