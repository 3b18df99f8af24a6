"""Pictures of a training run, drawn with matplotlib's Agg canvas (no screen, no pyplot state).

    save_training_plot("out.png", predict, X, y, history, "Linear > ReLU > Linear > Softmax")
"""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


def decision_grid(X, steps=300, margin=0.15):
    """A (steps*steps, 2) grid covering X with a margin, and its two (steps, steps) axes."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * (hi - lo).max()
    xs = np.linspace(lo[0] - pad, hi[0] + pad, steps)
    ys = np.linspace(lo[1] - pad, hi[1] + pad, steps)
    gx, gy = np.meshgrid(xs, ys)                                   # (steps, steps) each
    return np.stack([gx.ravel(), gy.ravel()], axis=1), gx, gy      # (steps*steps, 2)


def save_training_plot(path, predict, X, y, history, title, accuracy=None, confusion=None):
    """Write one PNG: the decision boundary with the points (left), the loss curve (right),
    and the validation confusion matrix when ``confusion`` (C, C) is given.

    Inputs:  predict: callable (M, 2) -> (M,) int labels; X: (N, 2); y: (N,) int
             history: has .loss (one float per step), .steps and .accuracy (recorded points)
             title: the model's description; accuracy: float, shown in the title
    """
    n_classes = int(y.max()) + 1
    colours = [COLOURS[k % len(COLOURS)] for k in range(n_classes)]
    grid, gx, gy = decision_grid(X)
    labels = np.asarray(predict(grid)).reshape(gx.shape)           # (steps, steps)

    fig = Figure(figsize=(11 if confusion is None else 15.5, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ratios = [1, 1.15] + ([] if confusion is None else [0.9])
    left, right, *rest = fig.subplots(1, len(ratios), gridspec_kw={"width_ratios": ratios})
    left.contourf(gx, gy, labels, levels=np.arange(n_classes + 1) - 0.5,
                  cmap=ListedColormap(colours), alpha=0.35)
    for k in range(n_classes):
        mask = y == k
        left.scatter(X[mask, 0], X[mask, 1], s=14, c=colours[k], edgecolors="black",
                     linewidths=0.4, label=f"class {k}")
    left.set_aspect("equal")
    left.set_xlim(gx.min(), gx.max())
    left.set_ylim(gy.min(), gy.max())
    left.legend(loc="upper right", fontsize=8, framealpha=0.8)
    acc = f" — training accuracy {accuracy:.3f}" if accuracy is not None else ""
    left.set_title(f"{title}{acc}", fontsize=10)

    loss = np.asarray(history.loss, dtype=float)
    right.plot(np.arange(1, len(loss) + 1), loss, color="#333333", linewidth=1.2, label="loss")
    right.set_xlabel("step")
    right.set_ylabel("loss (batch, with penalty)")
    right.set_yscale("log" if loss.min() > 0 and loss.max() / loss.min() > 20 else "linear")
    right.grid(alpha=0.3)
    if len(history.accuracy):
        twin = right.twinx()
        twin.plot(history.steps, history.accuracy, "o-", color=COLOURS[2], markersize=3,
                  linewidth=1, label="training accuracy")
        twin.set_ylim(0, 1.02)
        twin.set_ylabel("training accuracy", color=COLOURS[2])
    right.set_title(f"loss over {len(loss)} steps (final {loss[-1]:.4f})", fontsize=10)
    if confusion is not None:
        draw_confusion(rest[0], np.asarray(confusion))
    fig.tight_layout()
    fig.savefig(path)
    return path


def draw_confusion(ax, matrix):
    """The confusion matrix as a heat map with its counts; rows are the true classes."""
    ax.imshow(matrix, cmap="Blues", vmin=0)
    for (i, j), count in np.ndenumerate(matrix):
        dark = count > matrix.max() / 2
        ax.text(j, i, str(int(count)), ha="center", va="center",
                color="white" if dark else "black", fontsize=11)
    ticks = np.arange(len(matrix))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"validation confusion matrix ({int(matrix.sum())} points)", fontsize=10)


def save_comparison_plot(path, losses, title, window=25):
    """Write one PNG: each run's loss per step (a moving average over ``window`` steps).

    Inputs:  losses: {name: list of floats, one per step}; title: what was compared
    """
    fig = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for k, (name, loss) in enumerate(losses.items()):
        loss = np.asarray(loss, dtype=float)
        width = min(window, len(loss))
        smooth = np.convolve(loss, np.ones(width) / width, mode="valid")
        ax.plot(np.arange(width, len(loss) + 1), smooth, color=COLOURS[k % len(COLOURS)],
                linewidth=1.4, label=f"{name} (final {loss[-1]:.3f})")
    ax.set_xscale("log")           # the optimizers differ most in the first hundred steps
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"batch loss (mean over {window} steps)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return path


def save_cnn_plot(path, model, history, X_val, y_val, labels, title):
    """Write one PNG for a CNN: the first layer's filters, its feature maps for one held-out
    image, the loss curve, and held-out images the model gets wrong (true -> predicted).

    Inputs:  model: a Sequential whose layers[0] is a Conv2d and layers[1] its activation;
             X_val: (N, 1, H, W); y_val, labels: (N,) true and predicted classes
    """
    W = np.asarray(model.layers[0].params["W"])                      # (F, 1, KH, KW)
    x = X_val[:1]
    maps = np.asarray(model.layers[1].forward(model.layers[0].forward(x)))[0]     # (F, H, W)
    wrong = np.flatnonzero(labels != y_val)[:8]
    fig = Figure(figsize=(13, 7.8), dpi=100)
    FigureCanvasAgg(fig)
    heading, top, bottom = fig.subfigures(3, 1, height_ratios=[0.08, 1, 1])
    heading.suptitle(title, fontsize=11)
    left, right = top.subfigures(1, 2, width_ratios=[1, 1.3])
    _tiles(left, W[:, 0], f"first-layer filters ({W.shape[0]} of {W.shape[2]}×{W.shape[3]})",
           cmap="RdBu_r", symmetric=True)
    _tiles(right, np.concatenate([x[:1, 0], maps]),
           f"a held-out digit ({int(y_val[0])}) and its {len(maps)} feature maps after ReLU")
    curve, errors = bottom.subfigures(1, 2, width_ratios=[1.2, 1])
    ax = curve.subplots()
    loss = np.asarray(history.loss, dtype=float)
    ax.plot(np.arange(1, len(loss) + 1), loss, color="#333333", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("batch loss")
    ax.grid(alpha=0.3, which="both")
    ax.set_title(f"training loss over {len(loss)} steps (final {loss[-1]:.4f})", fontsize=10)
    if len(wrong):
        _tiles(errors, X_val[wrong, 0], f"{len(np.flatnonzero(labels != y_val))} held-out digits "
               f"wrong of {len(y_val)}: true > predicted",
               names=[f"{int(y_val[i])} > {int(labels[i])}" for i in wrong], columns=4)
    else:
        errors.suptitle("every held-out digit right", fontsize=10)
    fig.savefig(path)
    return path


def _tiles(subfigure, images, title, cmap="gray", symmetric=False, names=None, columns=None):
    """Small images in a grid on ``subfigure``, without axes."""
    columns = columns or int(np.ceil(np.sqrt(len(images))))
    rows = int(np.ceil(len(images) / columns))
    axes = np.atleast_1d(subfigure.subplots(rows, columns)).ravel()
    limit = float(np.abs(images).max()) or 1.0
    for k, ax in enumerate(axes):
        ax.axis("off")
        if k < len(images):
            bounds = {"vmin": -limit, "vmax": limit} if symmetric else {}
            ax.imshow(images[k], cmap=cmap, **bounds)
            if names:
                ax.set_title(names[k], fontsize=8)
    subfigure.suptitle(title, fontsize=10)
