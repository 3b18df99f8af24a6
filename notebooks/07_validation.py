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
# # 7. Validation: how we know the network learned
#
# A network with enough parameters can reach 100 % training accuracy on almost any data, noise
# included: the training accuracy measures how well it *remembers*. What we want is how well it
# does on points it has never seen. The only honest measure is data held out from training, and
# the discipline of this chapter (`exercises/metrics.py`) is to choose everything (the step to stop
# at, the learning rate, the regularization) by that held-out score, never by the training score.

# %%
import numpy as np
import matplotlib.pyplot as plt
from grader.notebook import check, package
sophia = package()          # your exercises/ (SOPHIA_IMPL=solutions reads the reference)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Splitting the data
#
# `train_val_split` shuffles the indices $0..N-1$ and cuts them: a fraction $f$ validates, the rest
# trains, every index in exactly one part. With few examples of a class, a random cut can leave
# that class almost absent from validation; a **stratified** split cuts each class separately,
# $\mathrm{round}(f\,N_c)$ of class $c$, so both parts keep the class proportions.
#
# With little data, one validation set is a noisy estimate. **k-fold** cross-validation cuts one
# permutation into $k$ folds of nearly equal size; fold $i$ validates on its own indices and trains
# on the other $k-1$. Each index validates exactly once, and the $k$ scores average into one
# estimate (at $k$ times the cost).

# %%
check("split")

# %% [markdown]
# An unbalanced set: 90 examples of class 0, 10 of class 1, a fifth held out. How many of class 1
# land in validation, over 10 random splits?

# %%
y_unbalanced = np.repeat([0, 1], [90, 10])
for stratify in (False, True):
    counts = []
    for _ in range(10):
        train_idx, val_idx = sophia.metrics.train_val_split(y_unbalanced, 0.2, rng, stratify=stratify)
        counts.append(int(np.sum(y_unbalanced[val_idx] == 1)))
    print(f"stratify={stratify!s:5}: class 1 in validation: {counts}")

# %% [markdown]
# The folds of a 5-fold split of 23 indices: each row is a fold, dark where an index validates.

# %%
folds = sophia.metrics.kfold_indices(23, 5, rng)
where = np.zeros((len(folds), 23))
for i, (train_idx, val_idx) in enumerate(folds):
    where[i, val_idx] = 1
fig, ax = plt.subplots(figsize=(7, 1.8))
ax.imshow(where, cmap="Greys", aspect="auto")
ax.set_xlabel("index")
ax.set_ylabel("fold")
ax.set_title(f"validation sizes {[len(v) for _, v in folds]}", fontsize=10)
plt.show()

# %% [markdown]
# ## Accuracy a batch at a time
#
# A large set is predicted in batches, to bound memory. The accuracy must not depend on the batch
# size: collect all the predicted labels, then compare. Averaging the per-batch accuracies is a
# common slip: with $N = 10$ and batches of 4, the last batch holds 2 examples and would count as
# much as the full ones.

# %%
check("evaluation")

# %% [markdown]
# ## The confusion matrix, precision and recall
#
# One accuracy hides *which* classes are confused. The confusion matrix counts, for every pair,
# $M_{ij}$ = the number of examples of true class $i$ predicted as $j$: a perfect classifier has a
# diagonal matrix. From it, for each class $c$:
#
# - $TP_c = M_{cc}$; the column sum $\sum_i M_{ic} = TP_c + FP_c$ is everything *predicted* $c$;
#   the row sum $\sum_j M_{cj} = TP_c + FN_c$ is everything *truly* $c$;
# - **precision** $= \frac{TP_c}{TP_c + FP_c}$: when the model says $c$, how often is it right;
# - **recall** $= \frac{TP_c}{TP_c + FN_c}$: of the $c$'s, how many it finds;
# - **F1** $= \frac{2PR}{P + R}$, their harmonic mean: high only when both are.
#
# A denominator of 0 (a class never predicted, or absent) gives 0, with a warning, not NaN.
# Averages: *macro* is the plain mean over the classes (every class counts the same, however rare);
# *weighted* weighs class $c$ by its share of the true labels.

# %%
check("confusion")

# %% [markdown]
# The handwritten digits (8 × 8 pixels, ten classes), a linear classifier trained for a few steps,
# and its confusion matrix on 360 held-out digits:

# %%
from data.digits import load_digits

images, digits = load_digits()
pixels = images.reshape(len(images), -1)                  # (1797, 64)
train_idx, val_idx = sophia.metrics.train_val_split(digits, 0.2, rng, stratify=True)
linear = sophia.models.build_mlp(64, (), 10, rng)
sophia.training.train(linear, pixels[train_idx], digits[train_idx], rng, steps=30, lr=0.5)
predicted = sophia.training.predict(linear, pixels[val_idx])
matrix = sophia.metrics.confusion_matrix(digits[val_idx], predicted, 10)
precision, recall, f1 = sophia.metrics.precision_recall_f1(digits[val_idx], predicted, 10)

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 1.2]})
left.imshow(matrix, cmap="Blues")
for (i, j), count in np.ndenumerate(matrix):
    left.text(j, i, count, ha="center", va="center", fontsize=8,
              color="white" if count > matrix.max() / 2 else "black")
left.set_xticks(range(10))
left.set_yticks(range(10))
left.set_xlabel("predicted")
left.set_ylabel("true")
left.set_title(f"accuracy {np.trace(matrix) / matrix.sum():.2f}")
for offset, (name, values) in zip((-0.27, 0, 0.27), (("precision", precision), ("recall", recall),
                                                      ("F1", f1))):
    right.bar(np.arange(10) + offset, values, width=0.27, label=name)
right.set_xticks(range(10))
right.set_xlabel("digit")
right.set_ylim(0, 1.2)
right.legend(loc="upper center", ncol=3)
plt.show()

# %% [markdown]
# Read the matrix by rows and columns: a row with many off-diagonal counts is a digit the model
# misses (low recall), a column with many is a digit it says too readily (low precision): here,
# for instance, 8s read as 1s cost the 8s their recall and the 1s their precision. Train
# longer (`steps=300`) and watch the off-diagonal counts drain.
#
# ## Overfitting, and early stopping
#
# A noisy spiral data set (50 points per arm), half of it held out, and a network of 100 hidden
# units trained with Adam: after each round of 25 steps, the accuracy on both halves.

# %%
check("early_stopping")

# %%
from data.spiral import make_spirals


def noisy_spirals_and_model(seed):
    """The data, the split and a fresh network, all from one seed: the same every call."""
    rng = np.random.default_rng(seed)
    X, y = make_spirals(50, noise=0.6, rng=rng)
    train_idx, val_idx = sophia.metrics.train_val_split(y, 0.5, rng, stratify=True)
    model = sophia.models.build_mlp(2, (100,), 3, rng)
    optimizer = sophia.optim.Adam(model.parameters(), lr=0.03)
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx], model, optimizer, rng


X_train, y_train, X_val, y_val, model, optimizer, run_rng = noisy_spirals_and_model(0)
steps, train_acc, val_acc = [], [], []
for round_ in range(1, 41):
    sophia.training.train(model, X_train, y_train, run_rng, steps=25, eval_every=25, optimizer=optimizer)
    steps.append(25 * round_)
    train_acc.append(sophia.training.accuracy(sophia.training.predict(model, X_train), y_train))
    val_acc.append(sophia.training.accuracy(sophia.training.predict(model, X_val), y_val))

# %% [markdown]
# Early stopping does the same rounds, keeps a copy of the parameters whenever the validation
# accuracy beats every earlier round, stops after `patience` rounds without a new best, and puts
# the best copy back. Same seed, same data, same network: its validation curve is the one above,
# cut short.

# %%
X_train, y_train, X_val, y_val, stopped, optimizer, run_rng = noisy_spirals_and_model(0)
best_step, history = sophia.metrics.train_early_stopping(
    stopped, X_train, y_train, X_val, y_val, run_rng, optimizer=optimizer, max_steps=1000,
    eval_every=25, patience=6)
restored = sophia.training.accuracy(sophia.training.predict(stopped, X_val), y_val)

fig, ax = plt.subplots(figsize=(8, 3.8))
ax.plot(steps, train_acc, label="training accuracy")
ax.plot(steps, val_acc, label="validation accuracy")
ax.plot(*zip(*history), "o", markersize=4, color="C1", label="train_early_stopping's rounds")
ax.axvline(best_step, color="k", linestyle="--", linewidth=1,
           label=f"best step {best_step}: validation {restored:.2f} after restoring")
ax.set_xlabel("step")
ax.set_ylabel("accuracy")
ax.legend(fontsize=8, loc="lower right")
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The training accuracy climbs towards 1 while the validation accuracy peaks early and then
# falls: past that point the network learns the noise of its 75 training points, which the other
# 75 do not share. The gap between the curves is the *generalization gap*. Stopping at the best
# validation round is a cheap regularizer; so are a weight penalty (chapter 2), dropout
# (chapter 8) and more data.
#
# ## Random search over hyperparameters
#
# The learning rate and the regularization strength matter by their order of magnitude: $10^{-3}$
# and $10^{-2}$ are as different as $10^{-1}$ and $1$. So draw the *exponent* uniformly:
# $\eta = 10^{u}$, $u \sim \mathcal U(\log_{10}\eta_{\min}, \log_{10}\eta_{\max})$. And draw
# every hyperparameter anew in every trial rather than walking a grid: when only one of them
# matters, a grid of $3 \times 3$ tries 3 values of it, 9 random trials try 9 (Bergstra and
# Bengio, 2012). The score is always a validation score.

# %%
check("random_search")

# %%
X, y = make_spirals(50, rng=rng)
train_idx, val_idx = sophia.metrics.train_val_split(y, 0.3, rng, stratify=True)


def evaluate(lr, reg):
    """Validation accuracy of a small network trained with plain SGD at this lr and reg."""
    model = sophia.models.build_mlp(2, (50,), 3, np.random.default_rng(0), reg=reg)
    sophia.training.train(model, X[train_idx], y[train_idx], np.random.default_rng(0), steps=200, lr=lr)
    return sophia.training.accuracy(sophia.training.predict(model, X[val_idx]), y[val_idx])


best, results = sophia.metrics.random_search(evaluate, rng, trials=16, lr_range=(1e-2, 10.0),
                                             reg_range=(1e-5, 1.0))
fig, ax = plt.subplots(figsize=(6, 4))
dots = ax.scatter([r["lr"] for r in results], [r["reg"] for r in results],
                  c=[r["score"] for r in results], cmap="viridis", vmin=0.3, vmax=1, s=60)
ax.plot(best["lr"], best["reg"], "r+", markersize=16, label=f"best: {best['score']:.2f}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("learning rate")
ax.set_ylabel("reg")
ax.legend()
fig.colorbar(dots, label="validation accuracy")
plt.show()

# %% [markdown]
# Too small a rate does not get anywhere in 200 steps; too large a one diverges or bounces; a
# strong penalty flattens the network into a poor classifier. The next round of search would
# narrow the ranges around the best trials. And the final figure you report comes from data used
# for *none* of these choices: a test set, touched once.
