"""Alternative solution blocks of solutions/models.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/models.py when the blocks are spliced into it."""
# ruff: noqa: F821


class Head:
    def predict(self, scores):
        # BEGIN SOLUTION
        labels = np.zeros(len(scores), dtype=np.int64)
        best = scores[:, 0].copy()
        for j in range(1, scores.shape[1]):
            better = scores[:, j] > best            # strictly: ties keep the first class
            labels[better] = j
            best[better] = scores[better, j]
        return labels
        # END SOLUTION


class SoftmaxHead(Head):
    def loss(self, scores, y):
        # BEGIN SOLUTION
        loss, dscores = softmax_cross_entropy(scores=scores, y=y)
        return loss, dscores
        # END SOLUTION


class SVMHead(Head):
    def loss(self, scores, y):
        # BEGIN SOLUTION
        loss, dscores = hinge_loss(scores, y, delta=self.delta)
        return loss, dscores
        # END SOLUTION


class Sequential:
    def forward(self, x):
        # BEGIN SOLUTION
        out = x
        for i in range(len(self.layers)):
            out = self.layers[i](out)              # Layer.__call__ is forward
        return out
        # END SOLUTION

    def backward(self, dscores):
        # BEGIN SOLUTION
        grad = dscores
        for i in range(len(self.layers) - 1, -1, -1):
            grad = self.layers[i].backward(grad)
        return grad
        # END SOLUTION

    def loss(self, x, y):
        # BEGIN SOLUTION
        data_loss, dscores = self.head.loss(self.forward(x), y)
        self.backward(dscores)                      # fills grads; the penalty is added after
        penalty_loss = 0.0
        for layer, name in self.parameters():
            if name != "W":
                continue                            # biases get no penalty
            r, dW = PENALTIES[self.penalty](layer.params[name], self.reg)
            penalty_loss += r
            layer.grads[name] += dW
        return float(data_loss) + float(penalty_loss)
        # END SOLUTION


def build_mlp(in_features, hidden_sizes, n_classes, rng, activation="relu", head="softmax",
              weight_init="he_normal", reg=0.0, penalty="l2", dtype=np.float64):
    # BEGIN SOLUTION
    layers, d = [], in_features
    for m in itertools.chain(hidden_sizes, [n_classes]):
        layers.append(Linear(d, m, rng, weight_init=weight_init, dtype=dtype))
        layers.append(ACTIVATIONS[activation]())
        d = m
    layers.pop()                            # no activation after the last Linear
    heads = {"softmax": SoftmaxHead, "svm": SVMHead}
    return Sequential(layers, heads[head](), reg=reg, penalty=penalty)
    # END SOLUTION
