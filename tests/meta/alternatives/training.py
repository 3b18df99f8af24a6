"""Alternative solution blocks of solutions/training.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/training.py when the blocks are spliced into it."""
# ruff: noqa: F821


def predict(model, X):
    # BEGIN SOLUTION
    model.eval()
    scores = model.forward(X)
    return np.asarray(model.head.predict(scores), dtype=np.int64)
    # END SOLUTION


def accuracy(labels, y):
    # BEGIN SOLUTION
    return np.count_nonzero(labels == y) / labels.size
    # END SOLUTION


def train(model, X, y, rng, steps=1000, lr=1.0, batch_size=None, eval_every=100, on_step=None,
          optimizer=None):
    # BEGIN SOLUTION
    step = 0
    while step < steps:                         # one epoch per pass of this loop
        if batch < n:
            perm = rng.permutation(n)
            epoch = [perm[k:k + batch] for k in range(0, n - batch + 1, batch)]
        else:
            epoch = [None]                      # the full batch: X itself, no shuffle
        for idx in epoch:
            if step == steps:
                break
            step += 1
            xb, yb = (X, y) if idx is None else (X[idx], y[idx])
            model.train()
            loss = float(model.loss(xb, yb))
            if optimizer is None:
                for layer, name in model.parameters():
                    layer.params[name] = layer.params[name] - lr * layer.grads[name]
            else:
                optimizer.step()
            history.loss.append(loss)
            if step == steps or not step % eval_every:
                history.steps.append(step)
                history.accuracy.append(accuracy(predict(model, X), y))
            if on_step is not None:
                on_step(step, loss)
    model.train()
    return history
    # END SOLUTION
