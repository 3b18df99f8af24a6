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
# # 10. Sequences: Embedding, RNN and LSTM
#
# Text, sound and time series come as sequences $x_1, \dots, x_T$, and what comes next depends on
# what came before. A recurrent network reads them one step at a time, carrying a state $h_t$ that
# summarizes the past. This chapter builds a character-level language model: it reads the
# Gettysburg Address and learns to predict the next character. Your code goes in
# `exercises/recurrent.py`; sequences are batch-first, `(N, T, D)`.

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Embedding: a lookup table that learns
#
# A character is a code $k \in \{0, \dots, V-1\}$. An Embedding holds a matrix $W$ of shape
# $(V, D)$ and maps code $k$ to its row $W_k$: the same as multiplying a one-hot vector by $W$,
# without building it. For $x$ of shape $(N, T)$, $\text{out}[n, t] = W_{x[n,t]}$.
#
# Backward: each output row *is* a row of $W$, so its gradient belongs to that row, and a code
# that appears several times collects the sum of all its gradients:
#
# $$\frac{\partial L}{\partial W_k} = \sum_{(n,t):\; x[n,t] = k} \frac{\partial L}{\partial\, \text{out}[n,t]} .$$
#
# Careful with numpy: an assignment through fancy indices with repeated indices keeps only one of
# them, so `dW[x] += dout` drops repeated codes' gradients (`np.add.at` does not).

# %%
check("embedding")

# %% [markdown]
# ## The loss at every step, with a mask
#
# The model scores the next character at every position: scores $(N, T, V)$, labels $y$ $(N, T)$.
# The loss is chapter 2's cross-entropy at each position, averaged over the positions a mask $M$
# keeps (padding at the end of shorter sequences is masked out):
#
# $$L = \frac{1}{\sum_{n,t} M_{nt}} \sum_{n,t} M_{nt}\,\big(-\log \mathrm{softmax}(s_{nt})_{y_{nt}}\big),
#   \qquad \frac{\partial L}{\partial s_{nt}} = \frac{M_{nt}}{\sum M}\,\big(\mathrm{softmax}(s_{nt}) - \mathrm{onehot}(y_{nt})\big).$$
#
# Divide by the number of kept positions, not by $N$ or $NT$: otherwise the loss changes with
# the amount of padding.

# %%
check("temporal_loss")

# %% [markdown]
# ## A vanilla RNN, and backpropagation through time
#
# One step is a Linear layer on $[x_t, h_{t-1}]$ followed by tanh:
#
# $$h_t = \tanh(z_t), \qquad z_t = x_t W_x + h_{t-1} W_h + b .$$
#
# The same $W_x, W_h, b$ serve every step. Unrolled over $T$ steps, the RNN is a $T$-layer network
# whose layers share their weights, and its backward pass (*backpropagation through time*) is that
# network's backward pass, run from $t = T$ down to $1$. The gradient reaching $h_t$ has two
# sources: the loss at step $t$ (given, `dhs[:, t]`) and step $t+1$, which used $h_t$ as its
# $h_{\text{prev}}$:
#
# $$\delta_t = \frac{\partial L}{\partial h_t}\Big|_{\text{output}} + \frac{\partial L}{\partial h_t}\Big|_{\text{from } t+1},
#   \qquad \frac{\partial L}{\partial z_t} = \delta_t \odot (1 - h_t^2)$$
#
# (tanh's derivative, written with its output). Then, as for Linear:
# $\frac{\partial L}{\partial x_t} = \frac{\partial L}{\partial z_t} W_x^\top$, the gradient sent to
# step $t-1$ is $\frac{\partial L}{\partial z_t} W_h^\top$, and the parameters' gradients are
# *summed over the steps*: $\frac{\partial L}{\partial W_x} = \sum_t x_t^\top \frac{\partial L}{\partial z_t}$,
# $\frac{\partial L}{\partial W_h} = \sum_t h_{t-1}^\top \frac{\partial L}{\partial z_t}$,
# $\frac{\partial L}{\partial b} = \sum_t \sum_n \frac{\partial L}{\partial z_t}$. What is left
# after step 1 is $\partial L/\partial h_0$.

# %%
check("rnn")

# %% [markdown]
# ## Vanishing and exploding gradients
#
# Follow a gradient from the last step back to step $t$: each step multiplies it by
# $\mathrm{diag}(1 - h^2)\, W_h^\top$, so
#
# $$\frac{\partial L}{\partial h_t} = \frac{\partial L}{\partial h_T}\prod_{k=t+1}^{T} \mathrm{diag}(1 - h_k^2)\, W_h^\top .$$
#
# A product of $T - t$ matrices shrinks or grows geometrically, roughly like the $(T-t)$-th power
# of $W_h$'s largest singular value (and tanh's derivative, at most 1, only shrinks it). Below,
# a loss at the last of 40 steps only, and the size of its gradient with respect to each input
# $x_t$, for your RNN with $W_h$ scaled up or down:

# %%
x = rng.standard_normal((8, 40, 10))                   # N = 8 sequences of T = 40 steps, D = 10
last_step = np.zeros((8, 40, 32))
last_step[:, -1] = rng.standard_normal((8, 32))        # dL/dh_T: a loss at the last step only

fig, ax = plt.subplots(figsize=(8, 4))
for scale in (0.5, 1.0, 2.0, 4.0):
    rnn = sophia.recurrent.RNN(10, 32, np.random.default_rng(1))
    rnn.params["Wh"] = scale * rnn.params["Wh"]
    rnn.forward(x)
    dx = rnn.backward(last_step)                       # (8, 40, 10)
    ax.semilogy(np.linalg.norm(dx, axis=(0, 2)), label=f"RNN, W_h × {scale}")
ax.set_xlabel("step t")
ax.set_ylabel("‖∂L/∂x_t‖")
ax.set_title("how far back a loss at step 40 reaches", fontsize=10)
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# With the default weights the gradient falls by a factor of ten every few steps: nothing the
# network reads 20 steps ago can be learned from a loss now. Larger weights keep it alive, but
# larger still, it explodes (gradient clipping, chapter 6, is the usual guard) and tanh
# saturates. An RNN cannot hold both at once.
#
# ## LSTM: a cell that remembers
#
# The LSTM adds a second state, the *cell* $c_t$, changed only by elementwise gates. One product
# $z = x_t W_x + h_{t-1} W_h + b$ of width $4H$ holds four blocks, in PyTorch's order $i, f, g, o$:
#
# $$i = \sigma(z_i),\; f = \sigma(z_f),\; g = \tanh(z_g),\; o = \sigma(z_o), \qquad
#   c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).$$
#
# $f$ decides what the cell forgets, $i$ what it writes ($g$), $o$ what it shows. Backward, the
# cell receives gradient from the next step ($\partial L/\partial c_t$ from $t+1$) and through
# $h_t$: $\;\bar c = \frac{\partial L}{\partial c_t} + \frac{\partial L}{\partial h_t} \odot o \odot
# (1 - \tanh^2 c_t)$. From the two products:
#
# $$\frac{\partial L}{\partial i} = \bar c \odot g,\quad \frac{\partial L}{\partial f} = \bar c \odot c_{t-1},\quad
#   \frac{\partial L}{\partial g} = \bar c \odot i,\quad \frac{\partial L}{\partial o} = \frac{\partial L}{\partial h_t} \odot \tanh c_t,
#   \quad \frac{\partial L}{\partial c_{t-1}} = \bar c \odot f .$$
#
# Each gate's $\partial L/\partial z$ is its gradient times its activation's derivative
# ($\sigma(1-\sigma)$, or $1 - g^2$), the four are stacked back in the order $i, f, g, o$, and the
# rest is the RNN's step. The last formula is the point: along the cell, the gradient is multiplied
# by $f$ elementwise, with no $W_h$ and no tanh. When the forget gate is near 1, it passes through
# many steps almost unchanged.

# %%
check("lstm")

# %% [markdown]
# The same experiment with your LSTM, as initialized (the forget gate near $\sigma(0) = 1/2$:
# it forgets half per step) and with the forget gate's bias raised by 3 ($f \approx 0.95$), a
# common initialization:

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for forget_bias in (0.0, 3.0):
    lstm = sophia.recurrent.LSTM(10, 32, np.random.default_rng(1))
    lstm.params["b"][32:64] += forget_bias            # the f block of b
    lstm.forward(x)
    dx = lstm.backward(last_step)
    ax.semilogy(np.linalg.norm(dx, axis=(0, 2)), label=f"LSTM, forget bias + {forget_bias:g}")
ax.set_xlabel("step t")
ax.set_ylabel("‖∂L/∂x_t‖")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## Milestone: a character-level LSTM
#
# Embedding $>$ LSTM $>$ Linear at every step $>$ temporal softmax, trained with your Adam on
# 16-character windows of the Gettysburg Address; the milestone asks for 0.5 next-character
# accuracy over the text after 100 steps:

# %%
check("milestone_lstm")

# %% [markdown]
# A larger one (64 hidden units, 200 steps) trained by `grader.char_model.fit_text`, the code of
# `python -m grader train lstm`. To write, feed the model its own output: from a prompt, draw the
# next character from $\mathrm{softmax}(s / \tau)$, append it, repeat. The temperature $\tau$
# trades safety ($\tau < 1$: the likeliest characters) for variety ($\tau > 1$).

# %%
from data.text import load_text
from grader.char_model import CharModel, fit_text

codes, alphabet = load_text()
prompt = list(codes[:10])


def write(model, temperature):
    drawn = model.sample(prompt, 100, temperature, np.random.default_rng(0))
    return "".join(alphabet[k] for k in drawn).replace("\n", " ")


untrained = CharModel(sophia, "lstm", len(alphabet), np.random.default_rng(0))
model, losses, accuracy, seconds, _ = fit_text(sophia, "lstm", steps=200, lr=0.01, batch=16,
                                                length=16, hidden=64)
print(f"untrained:       {write(untrained, 1.0)!r}\n")
for temperature in (0.5, 1.0):
    print(f"trained, τ = {temperature}: {write(model, temperature)!r}\n")

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(losses, linewidth=1)
ax.axhline(np.log(len(alphabet)), color="k", linestyle="--", linewidth=1, label="ln V: a uniform guess")
ax.set_xlabel("step")
ax.set_ylabel("loss per character")
ax.set_title(f"next-character accuracy over the text: {accuracy:.2f}", fontsize=10)
ax.legend()
plt.show()

# %% [markdown]
# A model that has read 1,476 characters cannot know English; it has learned which characters
# follow which, the common words of this text, and its spacing. Try `cell="rnn"` in `fit_text`,
# and compare.
