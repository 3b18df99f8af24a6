"""Kit self-tests: each realistic bug planted in the models, training or numgrad solutions
fails a check of its exercise, and some failing check's message names the problem."""
import pytest

from tests.meta.planting import assert_caught

PENALTY_GRAD = 'layer.grads["W"] = layer.grads["W"] + dW'
PAIRING = "xb, yb = X[idx], y[idx]"
NEW_EPOCH = "order, start = rng.permutation(n), 0"

# (id, exercise, module, old, new, a phrase some failing check's message must contain)
BUGS = [
    ("heads-svm_delta_ignored", "heads", "models",
     "return hinge_loss(scores, y, self.delta)", "return hinge_loss(scores, y)", "SVMHead(delta=0.5)"),
    ("heads-predict_argmin", "heads", "models",
     "return scores.argmax(axis=1).astype(np.int64)",
     "return scores.argmin(axis=1).astype(np.int64)", ".predict"),
    ("sequential-backward_not_reversed", "sequential", "models",
     "for layer in reversed(self.layers):", "for layer in self.layers[::1]:", "dout must have shape"),
    ("sequential-penalty_missing_from_first_layer", "sequential", "models",
     'if "W" in layer.params:', 'if "W" in layer.params and layer is not self.layers[0]:',
     "the penalty of layers[0] is missing"),
    ("sequential-biases_penalized", "sequential", "models", PENALTY_GRAD,
     PENALTY_GRAD + '\n                rb, db = penalty(layer.params["b"], self.reg)\n'
     '                loss += rb\n                layer.grads["b"] = layer.grads["b"] + db',
     "biases get no penalty"),
    ("sequential-penalty_gradient_missing", "sequential", "models", PENALTY_GRAD, "pass",
     "penalty gradient included"),
    ("sequential-penalty_loss_missing", "sequential", "models", "loss += r", "pass", "Sequential.loss"),
    ("sequential-backward_after_penalty", "sequential", "models",
     "        return float(loss)\n        # END SOLUTION",
     "        self.backward(dscores)\n        return float(loss)\n        # END SOLUTION",
     "penalty gradient included"),
    ("mlp-activation_after_last_linear", "mlp", "models",
     "if i < len(hidden_sizes):", "if True:", "layers"),
    ("mlp-activation_ignored", "mlp", "models",
     "layers.append(ACTIVATIONS[activation]())", "layers.append(ReLU())", "layers"),
    ("mlp-head_ignored", "mlp", "models",
     'out = SoftmaxHead() if head == "softmax" else SVMHead()', "out = SoftmaxHead()", "head='svm'"),
    ("mlp-reg_not_passed", "mlp", "models",
     "return Sequential(layers, out, reg=reg, penalty=penalty)", "return Sequential(layers, out)",
     "reg and penalty"),
    ("mlp-fresh_rng_per_layer", "mlp", "models",
     "layers.append(Linear(d, m, rng, weight_init=weight_init, dtype=dtype))",
     "layers.append(Linear(d, m, np.random.default_rng(0), weight_init=weight_init, dtype=dtype))",
     "drawn in order"),
    ("training-X_and_y_shuffled_apart", "training", "training", PAIRING,
     "xb, yb = X[idx], y[start - batch:start]", "same indices as X"),
    ("training-y_from_own_permutation", "training", "training", PAIRING,
     "xb, yb = X[idx], y[rng.permutation(n)[:batch]]", "same indices as X"),
    ("training-one_permutation_for_all_epochs", "training", "training", NEW_EPOCH,
     "order, start = (rng.permutation(n) if order is None else order), 0", "one permutation per epoch"),
    ("training-global_rng", "training", "training", NEW_EPOCH,
     "order, start = np.random.permutation(n), 0", "global RNG"),
    ("training-always_full_batch", "training", "training", "if batch == n:", "if True:",
     "rows of X in batch 1"),
    ("training-gradient_ascent", "training", "training",
     "layer.params[name] -= lr * layer.grads[name]", "layer.params[name] += lr * layer.grads[name]",
     "history.loss (one loss per step, before its update)"),
    ("training-predict_in_training_mode", "training", "training",
     "    model.eval()\n    return model.head.predict", "    return model.head.predict", "eval mode"),
    ("training-history_every_eval_only", "training", "training",
     "        history.loss.append(loss)\n", ("        if step % eval_every == 0:\n"
     "            history.loss.append(loss)\n"), "history.loss"),
    ("training-optimizer_ignored", "training", "training",
     "        if optimizer is not None:\n            optimizer.step()\n        else:\n"
     "            for layer, name in model.parameters():",
     "        if True:\n            for layer, name in model.parameters():", "called opt.step() 0 times"),
    ("training-optimizer_and_sgd_both", "training", "training",
     "            optimizer.step()\n        else:\n", "            optimizer.step()\n        if True:\n",
     "optimizer.step() replaces the SGD update"),
    ("milestone-adam_ignored_by_train", "milestone_adam", "training",
     "            optimizer.step()\n", "            pass\n", "the loss did not fall"),
    ("milestone-mlp_without_activation", "milestone_mlp", "models",
     "layers.append(ACTIVATIONS[activation]())", "pass", "training accuracy"),
    ("milestone-softmax_no_update", "milestone_softmax", "training",
     "layer.params[name] -= lr * layer.grads[name]", "layer.params[name] -= 0.0 * layer.grads[name]",
     "the loss did not fall"),
    ("numgrad-forward_difference", "numgrad", "numgrad",
     "        x[i] = old - h\n        minus = f()\n", "        x[i] = old\n        minus = f()\n",
     "central differences"),
    ("numgrad-x_not_restored", "numgrad", "numgrad",
     "        x[i] = old\n        grad[i]", "        grad[i]", "put each entry back"),
    ("numgrad-flat_index_only", "numgrad", "numgrad",
     "for i in np.ndindex(x.shape):", "for i in range(x.shape[0]):", "numerical_gradient on shape"),
    ("numgrad-relative_error_mean", "numgrad", "numgrad", "return float(np.max(", "return float(np.mean(",
     "relative_error"),
    ("numgrad-relative_error_no_floor", "numgrad", "numgrad",
     "np.maximum(1e-8, np.abs(a) + np.abs(b))", "(np.abs(a) + np.abs(b) + 1e-300)", "zeros"),
]


@pytest.mark.parametrize("exercise, module, old, new, phrase",
                         [pytest.param(*row[1:], id=row[0]) for row in BUGS])
def test_planted_bug_is_caught(tmp_path, exercise, module, old, new, phrase):
    assert_caught(tmp_path, exercise, module, old, new, phrase)
