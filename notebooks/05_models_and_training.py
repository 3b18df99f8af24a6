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
# # 5. Models and training: the parts become a network that learns
#
# Chapters 1 to 4 gave you the parts: initializers, losses, a gradient checker and layers. This
# chapter assembles them (`exercises/models.py`): a **head** turns scores into a loss and
# predictions, a **Sequential** model chains layers into a head, and `build_mlp` builds the
# classic multilayer perceptron. Then `exercises/training.py` trains it with mini-batch
# stochastic gradient descent, on a problem no straight line can solve.

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## The spirals
#
# The data set of CS231n's case study: three arms of 100 points each, winding around the origin.
# Point $i$ of arm $k$ sits at radius $r_i \in [0, 1]$ and angle $4k + 4r_i$ plus noise.

# %%
from data.spiral import make_spirals

X, y = make_spirals(rng=np.random.default_rng(0))          # X: (300, 2), y: (300,)
COLOURS = np.array(["#4C72B0", "#DD8452", "#55A868"])
fig, ax = plt.subplots(figsize=(4.2, 4.2))
ax.scatter(X[:, 0], X[:, 1], c=COLOURS[y], s=12, edgecolors="k", linewidths=0.3)
ax.set(title="the spirals: 3 classes, 300 points", aspect="equal")
plt.show()

# %% [markdown]
# ## Heads
#
# The last Linear layer outputs a row of $C$ class scores per example. A **head** reads them two
# ways: `loss(scores, y)` returns the loss and $\partial L / \partial \text{scores}$ (chapter 2:
# cross-entropy for `SoftmaxHead`, the hinge with its margin $\Delta$ for `SVMHead`), and
# `predict(scores)` returns the predicted labels. Both heads predict the same way: the class with
# the highest score. The softmax is monotonic, so the most probable class *is* the highest-scoring
# one: prediction never needs the probabilities.

# %%
check("heads")

# %% [markdown]
# ## Sequential: the chain rule, layer after layer
#
# A Sequential model with layers $f_1, \dots, f_K$ computes
# $s = f_K(\cdots f_2(f_1(x)))$ and the loss $L = \ell(s, y)$. Name the intermediate outputs
# $a_0 = x$, $a_k = f_k(a_{k-1})$. The chain rule, read from the loss backwards:
#
# $$\frac{\partial L}{\partial a_{k-1}} = \frac{\partial L}{\partial a_k}\,
#   \frac{\partial a_k}{\partial a_{k-1}}, \qquad k = K, K-1, \dots, 1,$$
#
# and multiplying by $\partial a_k / \partial a_{k-1}$ is exactly what layer $k$'s `backward`
# does. So the backward pass starts from the head's `dscores` $= \partial L / \partial a_K$ and
# hands each layer's result to the layer before it, in **reverse** order. On the way, each layer
# with parameters stores $\partial L / \partial W$ from the $\partial L / \partial a_k$ it received:
# every gradient of the network in one sweep, at about the cost of one more forward pass. This is
# backpropagation.
#
# **The penalty.** The model's loss adds the weight penalty of chapter 2 for every weight matrix:
# $L = \ell(s, y) + \sum_{W} R(W)$. $R(W)$ depends on nothing else, so its gradient simply adds to
# what backpropagation left in that layer's `grads["W"]`:
# $\frac{\partial L}{\partial W} = \frac{\partial \ell}{\partial W} + \frac{\partial R}{\partial W}$.
# Biases get no penalty.

# %%
check("sequential")

# %% [markdown]
# ## The multilayer perceptron
#
# Why the activations between the Linears? Without them the network collapses: two Linear layers
# compute $(xW_1 + b_1)W_2 + b_2 = x\,(W_1W_2) + (b_1W_2 + b_2)$, a single Linear layer. Any stack
# of Linears is one linear map, whose decision boundaries between classes are straight lines.
# A nonlinearity between them breaks the collapse: a network with one hidden layer of enough ReLU
# units can approximate any continuous function on a bounded region.
#
# `build_mlp(D, (H1, H2, ...), C, rng)` builds `[Linear > Activation] × k > Linear > head`, the
# Linears drawing their weights from `rng` in order; `hidden_sizes=()` gives the linear classifier
# `Linear(D, C) > head`.

# %%
check("mlp")

# %% [markdown]
# Your network, and chapter 3's checker on it: the numerical gradient of `model.loss` with respect
# to the first weight matrix against the one backpropagation left in `grads["W"]`.

# %%
model = sophia.models.build_mlp(2, (16,), 3, rng, reg=1e-3)
print(model)
first = model.layers[0]
xb, yb = X[::30], y[::30]
model.loss(xb, yb)
analytic = first.grads["W"].copy()
numeric = sophia.numgrad.numerical_gradient(lambda: model.loss(xb, yb), first.params["W"])
error = sophia.numgrad.relative_error(analytic, numeric)
print(f"relative error of grads['W'] of the first layer: {error:.1e}")

# %% [markdown]
# ## Training: mini-batch stochastic gradient descent
#
# Training lowers $L(\theta) = \frac1N \sum_i L_i(\theta)$ over every parameter $\theta$ by steps
# against the gradient, $\theta \leftarrow \theta - \eta\, \nabla_\theta L$, with learning rate
# $\eta$. The full gradient costs a pass over all $N$ examples; a **mini-batch** $B$ of examples
# drawn at random gives
#
# $$\nabla_\theta L_B = \frac{1}{|B|} \sum_{i \in B} \nabla_\theta L_i ,\qquad
#   \mathbb E\big[\nabla_\theta L_B\big] = \nabla_\theta L,$$
#
# an unbiased estimate at a fraction of the cost. Its noise is not all bad: it shakes the
# parameters out of sharp, narrow minima. An **epoch** is one pass over the data: draw a fresh
# permutation, and cut it into consecutive batches.
#
# `predict` runs the model in evaluation mode and asks the head; `accuracy` is the fraction of
# correct predictions; `train` runs the loop and records a history of losses and accuracies.

# %%
check("training")

# %% [markdown]
# ## The decision boundary as training runs
#
# Colour every point of the plane by the class your network predicts there: the regions are the
# model's *decision boundary*. Train a network with one hidden layer of 100 ReLU units (full batch,
# $\eta = 1$, L2 penalty $10^{-3}$: the milestone's settings, which run 1000 steps), and look at
# it after a few steps, then more.

# %%
xs = np.linspace(-1.2, 1.2, 120)
grid = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)        # (120 * 120, 2)


def draw_regions(ax, model, title):
    labels = sophia.training.predict(model, grid).reshape(len(xs), len(xs))
    ax.contourf(xs, xs, labels, levels=[-0.5, 0.5, 1.5, 2.5], colors=COLOURS, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=COLOURS[y], s=8, edgecolors="k", linewidths=0.2)
    ax.set(title=title, aspect="equal", xticks=[], yticks=[])


model = sophia.models.build_mlp(2, (100,), 3, np.random.default_rng(1), reg=1e-3)
checkpoints = [0, 5, 20, 50, 300]
losses = []
fig, axes = plt.subplots(1, len(checkpoints), figsize=(16, 3.6))
for ax, (done, target) in zip(axes, zip([0] + checkpoints, checkpoints)):
    if target > done:
        history = sophia.training.train(model, X, y, np.random.default_rng(2), steps=target - done,
                                        lr=1.0, eval_every=target - done)
        losses += history.loss
    acc = sophia.training.accuracy(sophia.training.predict(model, X), y)
    draw_regions(ax, model, f"step {target}: accuracy {acc:.2f}")
fig.tight_layout()
plt.show()

# %% [markdown]
# At step 0 the random network draws arbitrary regions. The first steps find the best a nearly
# linear boundary can do: three wedges, about half the points right. Then the hidden units bend
# the boundary, arm after arm, until the regions follow the spirals. The loss shows the same
# story: a fast drop, a slower phase while the boundary bends, and a long tail.

# %%
fig, ax = plt.subplots(figsize=(7, 3.4))
ax.plot(np.arange(1, len(losses) + 1), losses)
for step in checkpoints[1:]:
    ax.axvline(step, color="gray", lw=0.8, ls=":")
ax.set(xscale="log", xlabel="step", ylabel="training loss (penalty included)",
       title="the loss as the boundary bends")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# For contrast, the linear classifier (`hidden_sizes=()`), trained the same way: straight
# boundaries, and no number of steps gets it much past half the points.

# %%
linear = sophia.models.build_mlp(2, (), 3, np.random.default_rng(1), reg=1e-3)
sophia.training.train(linear, X, y, np.random.default_rng(2), steps=300, lr=1.0, eval_every=300)
acc = sophia.training.accuracy(sophia.training.predict(linear, X), y)
fig, ax = plt.subplots(figsize=(4.2, 4.2))
draw_regions(ax, linear, f"linear classifier: accuracy {acc:.2f}")
plt.show()

# %% [markdown]
# ## Milestone
#
# The grader trains your network on the spirals with these settings and asks for 95 % training
# accuracy. (`python -m grader train mlp --plot out.png` does the same from a terminal and draws
# its picture.)

# %%
check("milestone_mlp")
