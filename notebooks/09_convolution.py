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
# # 9. Convolution: a layer that looks at pictures
#
# A Linear layer on an 8 × 8 image gives every pixel its own weight for every unit: it must learn
# "a stroke here" separately for every place a stroke can be. A convolution slides one small
# filter over the whole image: the same weights at every position, so a pattern learned in one
# corner is recognized everywhere, with $C \cdot K_H \cdot K_W$ weights per filter whatever the
# image size. Your code goes in `exercises/conv.py`; images are `(N, C, H, W)` (NCHW, as PyTorch).

# %%
import time

import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## The forward pass
#
# With $F$ filters $W$ of shape $(F, C, K_H, K_W)$, a bias $b$ $(F,)$, stride $S$ and $P$ zeros of
# padding on each side ($x_p$ is the padded input):
#
# $$\text{out}[n, f, i, j] = b_f + \sum_{c,u,v} W[f, c, u, v]\; x_p[n, c,\; iS + u,\; jS + v],$$
#
# $$O_H = \frac{H + 2P - K_H}{S} + 1 \quad(\text{and } O_W \text{ likewise}).$$
#
# A 3 × 3 filter with padding 1 and stride 1 keeps the size; stride 2 halves it. (Deep learning's
# "convolution" does not flip the kernel: strictly it is a cross-correlation.)
#
# ## The backward pass
#
# Each output is a dot product of a filter with a window, so each term
# $W[f,c,u,v]\, x_p[n, c, iS+u, jS+v]$ sends gradient both ways. With
# $g = \partial L / \partial \text{out}$:
#
# $$\frac{\partial L}{\partial W[f,c,u,v]} = \sum_{n,i,j} g[n,f,i,j]\; x_p[n,c,iS+u,jS+v],
#   \qquad \frac{\partial L}{\partial b_f} = \sum_{n,i,j} g[n,f,i,j],$$
#
# $$\frac{\partial L}{\partial x_p[n,c,iS+u,jS+v]} \mathrel{+}= \sum_f g[n,f,i,j]\; W[f,c,u,v]
#   \quad\text{for every } (i, j, u, v).$$
#
# The weight gradient is the correlation of the input with the output gradient; the input
# gradient *scatters* each output's gradient back over its window, weighted by the filter, and
# windows that overlap add up (this is a "full" convolution with the flipped kernel). Finally cut
# the padding off $\partial L/\partial x_p$: those zeros were not inputs.
#
# `Conv2dNaive` is written with loops over the output positions, straight from these formulas:
# the reference the fast layer is checked against.

# %%
check("conv_naive")

# %% [markdown]
# ## A filter made by hand
#
# Before learning filters, set one: the Sobel filter responds to a change of brightness from left
# to right (a vertical edge), its transpose to horizontal edges. Load one into a Conv2dNaive and
# apply it to a handwritten digit.

# %%
from data.digits import load_digits

images, digits = load_digits()                            # (1797, 1, 8, 8), (1797,)
sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
edges = sophia.conv.Conv2dNaive(1, 2, 3, rng, padding=1)
edges.params["W"] = np.stack([sobel, sobel.T])[:, None]   # (2, 1, 3, 3): vertical, horizontal edges
edges.params["b"] = np.zeros(2)
maps = edges.forward(images[:1])                          # (1, 2, 8, 8)

fig, axes = plt.subplots(1, 4, figsize=(11, 3))
pictures = [images[0, 0], maps[0, 0], maps[0, 1], np.hypot(maps[0, 0], maps[0, 1])]
titles = [f"the digit {digits[0]}", "vertical edges", "horizontal edges", "edge strength"]
limit = np.abs(maps).max()
signed = {"cmap": "RdBu", "vmin": -limit, "vmax": limit}      # red and blue: the two signs
for ax, picture, title in zip(axes, pictures, titles):
    ax.imshow(picture, **({"cmap": "gray"} if title.startswith(("the", "edge")) else signed))
    ax.set_title(title, fontsize=10)
    ax.axis("off")
plt.show()

# %% [markdown]
# Red and blue are the two signs: dark-to-bright and bright-to-dark. A CNN's first layer learns
# filters like these (and others) from the data, below.
#
# ## Fast: every window at once
#
# The loops over positions cost one small product each. Lay the windows out as rows instead:
# for every $(n, i, j)$, the window $x_p[n, :, iS:iS+K_H, jS:jS+K_W]$ flattened to
# $C K_H K_W$ numbers, a matrix $X_{\text{col}}$ of shape $(N O_H O_W,\, C K_H K_W)$ ("im2col").
# With $W$ reshaped to $(F,\, C K_H K_W)$, the whole forward pass is one matrix product,
# $X_{\text{col}} W^\top$, plus $b$, reshaped to $(N, F, O_H, O_W)$. The backward pass is the
# Linear layer's, then the windows' gradients go back into place: one strided slice-add per
# kernel offset $(u, v)$. numpy's `sliding_window_view` gives the windows without copying.

# %%
check("conv")

# %%
batch = images[:64]
for layer_class in (sophia.conv.Conv2dNaive, sophia.conv.Conv2d):
    layer = layer_class(1, 16, 3, np.random.default_rng(1), padding=1)
    started = time.perf_counter()
    out = layer.forward(batch)
    layer.backward(np.ones_like(out))
    print(f"{layer_class.__name__:12} forward + backward of 64 digits: "
          f"{1000 * (time.perf_counter() - started):.1f} ms")

# %% [markdown]
# ## Pooling and Flatten
#
# Max pooling keeps the largest value of each $K \times K$ window (stride $K$ by default): the
# map shrinks, and a feature found anywhere in the window counts. Its backward pass routes each
# gradient to the one input that was the maximum (the first on a tie), and 0 to the others: the
# max is locally the identity on the winner and constant in the losers. Average pooling spreads
# each gradient evenly, $g/(K_H K_W)$, over its window. Flatten only reshapes
# $(N, C, H, W) \to (N, CHW)$ for the Linear layer, and back in backward.

# %%
check("pooling", "flatten")

# %% [markdown]
# ## Milestone: a CNN on the digits
#
# `build_cnn` (given) assembles $[\text{Conv2d}(3 \times 3) > \text{ReLU} > \text{MaxPool2d}(2)] \times 2
# > \text{Flatten} > \text{Linear} > \text{Softmax}$ from your layers; the milestone trains it with
# your Adam and asks for 0.9 accuracy on 360 held-out digits:

# %%
check("milestone_cnn")

# %% [markdown]
# A smaller one (8 and 16 filters), 100 steps, trained by `grader.fitting.fit_cnn` as the milestone
# does: its eight learned first-layer filters, and what each makes of a digit it did not train on.

# %%
from grader.fitting import fit_cnn

result = fit_cnn(sophia, steps=100, channels=(8, 16))
first = result.model.layers[0]
filters = first.params["W"][:, 0]                           # (8, 3, 3)
feature_maps = first.forward(result.X_val[:1])[0]          # (8, 8, 8)

fig, axes = plt.subplots(2, 9, figsize=(13, 3.2))
axes[0, 0].imshow(result.X_val[0, 0], cmap="gray")
axes[0, 0].set_title("input", fontsize=9)
axes[1, 0].axis("off")
limit = np.abs(filters).max()
for k in range(8):
    axes[0, k + 1].imshow(filters[k], cmap="RdBu", vmin=-limit, vmax=limit)
    axes[0, k + 1].set_title(f"filter {k}", fontsize=9)
    axes[1, k + 1].imshow(np.maximum(feature_maps[k], 0), cmap="gray")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle(f"after 100 steps: validation accuracy {result.val_accuracy:.2f} "
             "(top: filters, bottom: their ReLU maps)", fontsize=10)
plt.show()

# %% [markdown]
# Some filters look like the Sobel filters above, a bright side next to a dark one in some
# direction: edge detectors, found without being told (3 × 3 leaves little room for more).
# `python -m grader train cnn --plot out.png` trains the full model and draws its filters, feature
# maps, loss curve and the digits it gets wrong.
