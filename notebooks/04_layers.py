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
# # 4. Layers: forward, and backward by the chain rule
#
# A network is a chain of layers. Each layer is a class with two methods: `forward(x)` computes
# its output and keeps what the backward pass will need; `backward(dout)` receives
# $\frac{\partial L}{\partial \text{out}}$, the gradient of the final loss with respect to its
# output, and returns $\frac{\partial L}{\partial x}$ for the layer before it, filling
# `self.grads` with the gradients of its own parameters on the way. No layer ever needs to know
# what the loss is: the chain rule only asks each to multiply by its own local derivative.
#
# This chapter derives those local derivatives for the layers of `exercises/layers.py` and
# `exercises/activations.py`. A useful rule throughout: **a gradient has the shape of what it
# differentiates**, and that alone often tells which product to write.

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Linear
#
# $\text{out} = xW + b$ with $x$ of shape $(N, D)$, $W$ of shape $(D, M)$, $b$ of shape $(M,)$
# added to every row. Written entry by entry, $\text{out}_{nm} = \sum_d x_{nd} W_{dm} + b_m$.
# Let $g = \frac{\partial L}{\partial \text{out}}$, shape $(N, M)$. Each input entry $x_{nd}$ reaches
# the loss through the outputs $\text{out}_{nm}$ of its row, for every $m$, with
# $\partial \text{out}_{nm} / \partial x_{nd} = W_{dm}$:
#
# $$\frac{\partial L}{\partial x_{nd}} = \sum_m g_{nm} W_{dm}
#   \quad\Longrightarrow\quad \frac{\partial L}{\partial x} = g\, W^\top \quad (N, D).$$
#
# Each weight $W_{dm}$ reaches the loss through $\text{out}_{nm}$ of every example $n$, with
# derivative $x_{nd}$; each bias $b_m$ through $\text{out}_{nm}$ of every $n$, with derivative 1:
#
# $$\frac{\partial L}{\partial W_{dm}} = \sum_n x_{nd}\, g_{nm}
#   \;\Longrightarrow\; \frac{\partial L}{\partial W} = x^\top g \quad (D, M), \qquad
#   \frac{\partial L}{\partial b_m} = \sum_n g_{nm}\ \text{(a sum over the batch)}.$$
#
# Check the shapes: $(N, M)(M, D)$ and $(D, N)(N, M)$ are the only products that give the shapes
# of $x$ and $W$. The bias was broadcast over $N$ rows in the forward pass; its gradient sums over
# them. (The loss is already a mean over the batch, chapter 2: the backward pass adds no $\frac1N$.)
# The backward pass needs $x$: forward keeps it.

# %%
check("linear")

# %% [markdown]
# Your gradient checker of chapter 3 tells whether a backward pass is right without the grader.
# For a layer, the trick is a scalar function whose gradient is what backward computes: with a
# fixed random $g$, $f = \sum \text{out} \odot g$ has $\partial f / \partial \text{out} = g$, so its
# gradient with respect to $x$ (or $W$) is exactly what `backward(g)` returns (or stores).

# %%
def gradient_check(layer, x):
    """Relative errors of layer.backward against your numerical gradient, for x and every parameter."""
    g = rng.standard_normal(layer.forward(x).shape)      # a random upstream gradient
    dx = layer.backward(g)
    f = lambda: float(np.sum(layer.forward(x) * g))
    errors = {"x": sophia.numgrad.relative_error(dx, sophia.numgrad.numerical_gradient(f, x))}
    for name, value in layer.params.items():
        numeric = sophia.numgrad.numerical_gradient(f, value)
        errors[name] = sophia.numgrad.relative_error(layer.grads[name], numeric)
    return errors


linear = sophia.layers.Linear(5, 3, rng)
linear.params["b"] = rng.standard_normal(3)              # nonzero, so that b matters
print({name: f"{err:.1e}" for name, err in gradient_check(linear, rng.standard_normal((4, 5))).items()})

# %% [markdown]
# ## Elementwise activations
#
# An activation applies one function $\phi$ to every entry: $\text{out} = \phi(x)$, of the shape of
# $x$. Entry $x_k$ only affects $\text{out}_k$, so the chain rule has a single term:
#
# $$\frac{\partial L}{\partial x_k} = \frac{\partial L}{\partial \text{out}_k}\; \phi'(x_k),
#   \qquad \frac{\partial L}{\partial x} = g \odot \phi'(x) \quad\text{(elementwise)}.$$
#
# All that remains is $\phi'$, and the best form of it is often in terms of the output.
#
# **Sigmoid.** $\sigma(x) = \frac{1}{1 + e^{-x}}$. Then
# $\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}}
#   = \sigma(x)\,\big(1 - \sigma(x)\big)$: keep the output, and the backward pass needs no
# exponential. For large negative $x$, $e^{-x}$ overflows; the same value is
# $\frac{e^{x}}{1 + e^{x}}$, safe there: use each form on the side where its exponential is at
# most 1.

# %%
check("sigmoid")

# %% [markdown]
# ### Saturation
#
# Feed your `Sigmoid` a range of inputs, and ask its backward pass for the derivative: with an
# upstream gradient of all ones, `backward` returns $\sigma'(x)$ itself.

# %%
x = np.linspace(-10, 10, 801)
sigmoid = sophia.activations.Sigmoid()
out = sigmoid.forward(x)
slope = sigmoid.backward(np.ones_like(x))

fig, ax = plt.subplots(figsize=(8, 3.8))
ax.plot(x, out, label="$\\sigma(x)$")
ax.plot(x, slope, label="$\\sigma'(x)$, from your backward")
saturated = slope < 0.01
ax.fill_between(x, 0, 1, where=saturated, color="gray", alpha=0.15,
                label="$\\sigma'(x) < 0.01$: saturated")
ax.axhline(0.25, color="gray", lw=0.8, ls=":")
ax.set(xlabel="x", title="a sigmoid saturates: its derivative vanishes for large |x|")
ax.legend(loc="center left")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
print(f"largest derivative: {slope.max():.4f} at x = {x[slope.argmax()]:.2f}; "
      f"below 0.01 for |x| > {np.abs(x[saturated]).min():.2f}")

# %% [markdown]
# The derivative is at most $\tfrac14$, at $x = 0$, and nearly 0 once $|x| > 4.6$: a unit whose input
# is large has **saturated**, its output pinned near 0 or 1, and the gradient passing through it is
# multiplied by almost nothing. Its weights stop learning, and so does everything before it.
# Even unsaturated, every sigmoid layer multiplies the gradient by at most $\tfrac14$: ten layers,
# at most $4^{-10} \approx 10^{-6}$. This is the *vanishing gradient*, and why deep networks moved
# to ReLU (chapter 1 chose its initialization for it; chapter 8 meets the sigmoid again).
#
# **Tanh.** $\tanh x = 2\sigma(2x) - 1$, centred at 0, with $\tanh'(x) = 1 - \tanh^2 x$ (differentiate
# $\frac{\sinh}{\cosh}$: $\frac{\cosh^2 - \sinh^2}{\cosh^2}$). Its derivative reaches 1 at 0, but it
# saturates just the same.
#
# **ReLU.** $\max(0, x)$: derivative 1 where $x > 0$ and 0 where $x < 0$; at exactly 0 take 0.
# It never saturates for positive inputs, but a unit whose input is negative for every example
# passes no gradient at all (a "dead" ReLU).
#
# **Swish** (SiLU when $\beta = 1$): $x\,\sigma(\beta x)$. The product rule and the sigmoid's
# derivative, with the chain rule's factor $\beta$ for $\sigma(\beta x)$:
#
# $$\frac{d}{dx}\, x\,\sigma(\beta x)
#   = \sigma(\beta x) + \beta x\, \sigma(\beta x)\big(1 - \sigma(\beta x)\big).$$
#
# Smooth everywhere, slightly negative for negative inputs, ReLU-like for large ones.

# %%
check("tanh", "relu", "swish")

# %% [markdown]
# The four activations and their derivatives, every curve from your layers:

# %%
layers = {"sigmoid": sophia.activations.Sigmoid(), "tanh": sophia.activations.Tanh(),
          "relu": sophia.activations.ReLU(), "swish (β = 1)": sophia.activations.Swish(1.0)}
x = np.linspace(-5, 5, 500)            # 500 points: none lands on ReLU's kink at 0
fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), sharey=True)
for ax, (name, layer) in zip(axes, layers.items()):
    ax.plot(x, layer.forward(x), label="forward")
    ax.plot(x, layer.backward(np.ones_like(x)), label="derivative (backward)")
    ax.set(title=name, xlabel="x", ylim=(-1.2, 1.6))
    ax.grid(alpha=0.3)
axes[0].legend(loc="upper left", fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Softmax as a layer
#
# Softmax is not elementwise: each output $p_j = e^{x_j} / \sum_k e^{x_k}$ depends on every input of
# its row, so the backward pass needs the full Jacobian of a row, $J_{jk} = \partial p_j / \partial
# x_k$. From the quotient rule, with $[j = k]$ equal to 1 on the diagonal:
#
# $$J_{jk} = \frac{[j = k]\, e^{x_j} \sum_l e^{x_l} - e^{x_j} e^{x_k}}{\big(\sum_l e^{x_l}\big)^2}
#        = p_j\big([j = k] - p_k\big).$$
#
# The chain rule sums over every output: $\frac{\partial L}{\partial x_k} = \sum_j g_j J_{jk}$. Put
# the Jacobian in and the sum collapses:
#
# $$\frac{\partial L}{\partial x_k} = \sum_j g_j\, p_j\big([j = k] - p_k\big)
#    = p_k\, g_k - p_k \sum_j g_j p_j = p_k\Big(g_k - \sum_j g_j p_j\Big).$$
#
# One dot product per row: never build the $C \times C$ Jacobian, which for a batch would be an
# $N \times C \times C$ array. (Followed by cross-entropy, this reduces to chapter 2's
# $p - \text{onehot}$; that is why the head computes the two together.)

# %%
check("softmax")

# %% [markdown]
# ## Every layer, checked by your own checker
#
# Inputs away from 0 keep ReLU and Swish away from trouble (chapter 3's kinks):

# %%
x = rng.uniform(0.2, 2.0, size=(4, 6)) * rng.choice([-1.0, 1.0], size=(4, 6))
candidates = {**layers, "softmax": sophia.activations.Softmax(),
              "linear": sophia.layers.Linear(6, 3, rng)}
for name, layer in candidates.items():
    errors = gradient_check(layer, x.copy())
    print(f"{name:>14}: " + ", ".join(f"{k} {err:.1e}" for k, err in errors.items()))

# %% [markdown]
# Every relative error near $10^{-9}$ or below: the derivations hold. When you write a layer of
# your own in later chapters, run `gradient_check` on it before anything else.
