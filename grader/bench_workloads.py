"""The workloads of ``python -m grader bench``: every layer of the kit, forward + backward, an
Adam step, and the training milestones' steps, each as the kit's code and as PyTorch's.

A workload draws its float64 data once from a seeded generator; ``kit(package, *data)`` and
``torch(torch, *data)`` each build a *step* (a function of no argument) on that same data, and
grader.bench times the steps. Upstream gradients are random normal, never all ones.
"""
import functools

import numpy as np

# The dimensions, by name. "full": the sizes of the per-topic scripts this command replaced
# (benchmarks/bench_*.py) and of the milestones' presets; "tiny": for the kit's own tests,
# where only the structure of the table matters.
SIZES = {
    "full": {"dense": (256, 512), "out": 512, "scores": (512, 100), "maps": (32, 16, 32, 32),
             "images": (50, 3, 32, 32), "filters": 32, "pooled": (50, 32, 32, 32),
             "vocabulary": 5000, "sequence": (20, 32, 64, 128), "mlp": (784, 256, 256, 10),
             "spirals": (100, 10_000), "digits": 64, "text": (32, 32)},
    "tiny": {"dense": (4, 6), "out": 5, "scores": (5, 4), "maps": (2, 3, 4, 4),
             "images": (2, 2, 6, 6), "filters": 3, "pooled": (2, 3, 4, 4),
             "vocabulary": 7, "sequence": (3, 2, 4, 5), "mlp": (6, 5, 4, 3),
             "spirals": (5, 7), "digits": 4, "text": (2, 5)},
}


class Workload:
    def __init__(self, name, size, data, kit, torch):
        self.name, self.size, self.data, self.kit, self.torch = name, size, data, kit, torch


def dims(shape):
    return "x".join(map(str, shape))


def weights(shape, rng):
    """The Linear's weights for the layer benchmark: not the student's initializer, which
    belongs to another exercise."""
    return 0.05 * rng.standard_normal(shape)


def layer_step(layer, x, dout):
    def step():
        layer.forward(x)
        layer.backward(dout)
    return step


def torch_layer_step(module, x, dout):
    import torch
    xt, dt = torch.from_numpy(x), torch.from_numpy(dout)
    if xt.is_floating_point():
        xt.requires_grad_()

    def step():
        xt.grad = None
        module.zero_grad(set_to_none=True)
        out = module(xt)
        (out[0] if isinstance(out, tuple) else out).backward(dt)       # RNN, LSTM: (outputs, state)
    return step


def layer(name, x_shape, out_shape, kit, torch, inputs=None, size=None):
    """``kit(package, rng)`` and ``torch(torch)`` build the layer, run forward + backward."""
    def data(rng):
        x = 2.0 * rng.standard_normal(x_shape) + 1.0 if inputs is None else inputs(rng)
        return x, rng.standard_normal(out_shape)
    return Workload(name, size or dims(x_shape), data,
                    lambda pkg, x, dout: layer_step(kit(pkg, np.random.default_rng(1)), x, dout),
                    lambda torch_, x, dout: torch_layer_step(torch(torch_).double(), x, dout))


def loss(name, shape, kit, torch):
    """``kit(package)(scores, y)`` gives the loss and dscores; ``torch(F)(scores, y)`` the loss."""
    def data(rng):
        return 3.0 * rng.standard_normal(shape), rng.integers(0, shape[1], size=shape[0])

    def torch_step(torch_, scores, y):
        st, yt = torch_.from_numpy(scores).requires_grad_(), torch_.from_numpy(y)
        function = torch(torch_.nn.functional)

        def step():
            st.grad = None
            function(st, yt).backward()
        return step
    return Workload(name, dims(shape), data,
                    lambda pkg, scores, y: functools.partial(kit(pkg), scores, y), torch_step)


def layers(s):
    n, d = s["dense"]
    h = s["out"]
    _, channels, side, _ = s["images"]
    t, batch, inputs, hidden = s["sequence"]
    pooled = s["pooled"]
    half = (*pooled[:2], pooled[2] // 2, pooled[3] // 2)
    rows = [layer("Linear", (n, d), (n, h),
                  lambda pkg, rng: pkg.layers.Linear(d, h, rng, weight_init=weights),
                  lambda torch: torch.nn.Linear(d, h))]
    for kind, theirs in (("Sigmoid", "Sigmoid"), ("Tanh", "Tanh"), ("ReLU", "ReLU"), ("Swish", "SiLU")):
        rows.append(layer(kind, (n, d), (n, d), lambda pkg, rng, kind=kind: getattr(pkg.activations, kind)(),
                          lambda torch, theirs=theirs: getattr(torch.nn, theirs)()))
    rows += [
        layer("Softmax", (n, d), (n, d), lambda pkg, rng: pkg.activations.Softmax(),
              lambda torch: torch.nn.Softmax(dim=1)),
        loss("softmax CE", s["scores"], lambda pkg: pkg.losses.softmax_cross_entropy,
             lambda F: F.cross_entropy),
        loss("hinge", s["scores"], lambda pkg: pkg.losses.hinge_loss,       # torch's divides by C too
             lambda F: F.multi_margin_loss),
        layer("Dropout", (n, d), (n, d), lambda pkg, rng: pkg.dropout.Dropout(0.5, rng),
              lambda torch: torch.nn.Dropout(0.5)),
        layer("BatchNorm1d", (n, d), (n, d), lambda pkg, rng: pkg.normalization.BatchNorm1d(d),
              lambda torch: torch.nn.BatchNorm1d(d)),
        layer("BatchNorm2d", s["maps"], s["maps"],
              lambda pkg, rng: pkg.normalization.BatchNorm2d(s["maps"][1]),
              lambda torch: torch.nn.BatchNorm2d(s["maps"][1])),
        layer("LayerNorm", (n, d), (n, d), lambda pkg, rng: pkg.normalization.LayerNorm(d),
              lambda torch: torch.nn.LayerNorm(d)),
        layer("Conv2d", s["images"], (s["images"][0], s["filters"], side, side),
              lambda pkg, rng: pkg.conv.Conv2d(channels, s["filters"], 3, rng, padding=1),
              lambda torch: torch.nn.Conv2d(channels, s["filters"], 3, padding=1)),
        layer("MaxPool2d", pooled, half, lambda pkg, rng: pkg.conv.MaxPool2d(2),
              lambda torch: torch.nn.MaxPool2d(2)),
        layer("AvgPool2d", pooled, half, lambda pkg, rng: pkg.conv.AvgPool2d(2),
              lambda torch: torch.nn.AvgPool2d(2)),
        layer("Embedding", (batch, t), (batch, t, inputs),
              lambda pkg, rng: pkg.recurrent.Embedding(s["vocabulary"], inputs, rng),
              lambda torch: torch.nn.Embedding(s["vocabulary"], inputs),
              inputs=lambda rng: rng.integers(0, s["vocabulary"], size=(batch, t)),
              size=f"{dims((batch, t))} of {s['vocabulary']}"),
        layer("RNN", (batch, t, inputs), (batch, t, hidden),
              lambda pkg, rng: pkg.recurrent.RNN(inputs, hidden, rng),
              lambda torch: torch.nn.RNN(inputs, hidden, batch_first=True)),
        layer("LSTM", (batch, t, inputs), (batch, t, hidden),
              lambda pkg, rng: pkg.recurrent.LSTM(inputs, hidden, rng),
              lambda torch: torch.nn.LSTM(inputs, hidden, batch_first=True)),
    ]
    return rows


class Holder:
    """params and grads, as a layer keeps them: what an optimizer's (layer, name) pairs point at."""

    def __init__(self, W, dW):
        self.params, self.grads = {"W": W}, {"W": dW}


def adam(s):
    """One Adam step over the parameters of an MLP s["mlp"] (weights and biases), random grads."""
    sizes = s["mlp"]
    shapes = [shape for a, b in zip(sizes, sizes[1:]) for shape in ((a, b), (b,))]

    def data(rng):
        return ([0.05 * rng.standard_normal(shape) for shape in shapes],
                [rng.standard_normal(shape) for shape in shapes])

    def kit(pkg, params, grads):
        return pkg.optim.Adam([(Holder(p.copy(), g), "W") for p, g in zip(params, grads)], lr=1e-3).step

    def torch_step(torch, params, grads):
        tensors = [torch.tensor(p, requires_grad=True) for p in params]
        for tensor, g in zip(tensors, grads):
            tensor.grad = torch.from_numpy(g)
        return torch.optim.Adam(tensors, lr=1e-3).step
    return Workload("Adam step", f"MLP {'-'.join(map(str, sizes))}", data, kit, torch_step)


def mlp(per_class):
    """The spiral milestone's step: hidden 100, ReLU, softmax, L2 1e-3, full batch, SGD lr 1."""
    def data(rng):
        from data.spiral import make_spirals
        return make_spirals(per_class, rng=rng)

    def kit(pkg, X, y):
        model = pkg.models.build_mlp(2, (100,), 3, np.random.default_rng(1), activation="relu", reg=1e-3)
        params = model.parameters()

        def step():
            model.loss(X, y)
            for holder, name in params:
                holder.params[name] -= 1.0 * holder.grads[name]
        return step

    def torch_step(torch, X, y):
        torch.manual_seed(0)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        W1 = torch.randn(2, 100, dtype=torch.float64).requires_grad_()
        W2 = (torch.randn(100, 3, dtype=torch.float64) * 0.14).requires_grad_()
        b1, b2 = (torch.zeros(k, dtype=torch.float64, requires_grad=True) for k in (100, 3))
        params = [W1, b1, W2, b2]

        def step():
            scores = torch.relu(Xt @ W1 + b1) @ W2 + b2
            penalty = 0.5e-3 * ((W1 ** 2).sum() + (W2 ** 2).sum())
            value = torch.nn.functional.cross_entropy(scores, yt) + penalty
            for p in params:
                p.grad = None
            value.backward()
            with torch.no_grad():
                for p in params:
                    p -= 1.0 * p.grad
        return step
    return Workload(f"MLP step {3 * per_class:,}", "spirals, hidden 100", data, kit, torch_step)


def torch_training_step(torch, model, x, y, lr):
    """Forward, cross-entropy over the last axis, backward, one Adam step: torch's training step."""
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step():
        optimizer.zero_grad(set_to_none=True)
        scores = model(xt)
        torch.nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]), yt.reshape(-1)).backward()
        optimizer.step()
    return step


def kit_training_step(pkg, model, x, y, lr):
    optimizer = pkg.optim.Adam(model.parameters(), lr=lr)

    def step():
        model.loss(x, y)
        optimizer.step()
    return step


def cnn(batch):
    """The CNN milestone's step: build_cnn (16, 32) on a batch of 8 x 8 digits, Adam lr 0.01."""
    def data(rng):
        from data.digits import load_digits
        X, y = load_digits()
        chosen = rng.choice(len(X), size=batch, replace=False)
        return X[chosen], y[chosen]

    def kit(pkg, X, y):
        model = pkg.models.build_cnn(1, 8, 10, np.random.default_rng(1), channels=(16, 32))
        return kit_training_step(pkg, model, X, y, 0.01)

    def torch_step(torch, X, y):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 2 * 2, 10)).double()
        return torch_training_step(torch, model, X, y, 0.01)
    return Workload("CNN step", f"{batch} digits 1x8x8", data, kit, torch_step)


def char_lstm(windows, length):
    """The char-LSTM milestone's step: Embedding 16 > LSTM 64 > Linear, Adam lr 0.01."""
    def data(rng):
        from data.text import load_text

        from .char_model import windows as draw
        codes, alphabet = load_text()
        return (*draw(codes, windows, length, rng), len(alphabet))

    def kit(pkg, x, y, vocabulary):
        from .char_model import CharModel
        return kit_training_step(pkg, CharModel(pkg, "lstm", vocabulary, np.random.default_rng(1)),
                                 x, y, 0.01)

    def torch_step(torch, x, y, vocabulary):
        nn = torch.nn

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed, self.lstm = nn.Embedding(vocabulary, 16), nn.LSTM(16, 64, batch_first=True)
                self.out = nn.Linear(64, vocabulary)

            def forward(self, codes):
                return self.out(self.lstm(self.embed(codes))[0])
        return torch_training_step(torch, Model().double(), x, y, 0.01)
    return Workload("char-LSTM step", f"{windows} x {length} characters", data, kit, torch_step)


def workloads(sizes="full"):
    """Every workload, in the order of the curriculum, at ``sizes`` (a key of SIZES)."""
    s = SIZES[sizes]
    small, large = s["spirals"]
    return [*layers(s), adam(s), mlp(small), mlp(large), cnn(s["digits"]), char_lstm(*s["text"])]
