"""A character-level language model from the student's layers, for ``python -m grader train lstm``.

    model = CharModel(impl, "lstm", vocabulary=36, rng=rng)
    model.loss(x, y)                 # x, y: (N, T) character codes, y the next characters
    model.accuracy(codes)            # next-character accuracy over a whole text
    model.sample(prompt, 200, temperature=0.7, rng=rng)

Embedding(V, E) > LSTM or RNN (E, H) > Linear(H, V) at every step > temporal softmax
cross-entropy: every piece is the student's code, joined here.
"""
import time

import numpy as np

from data.text import load_text


class CharModel:
    def __init__(self, impl, cell, vocabulary, rng, embed=16, hidden=64):
        self.impl, self.kind = impl, cell
        self.embedding = impl.recurrent.Embedding(vocabulary, embed, rng)
        self.cell = {"lstm": impl.recurrent.LSTM, "rnn": impl.recurrent.RNN}[cell](embed, hidden, rng)
        self.out = impl.layers.Linear(hidden, vocabulary, rng, weight_init=impl.initializers.xavier_normal)
        self.layers = [self.embedding, self.cell, self.out]

    def parameters(self):
        return [(layer, name) for layer in self.layers for name in layer.params]

    def scores(self, x):
        """(N, T) codes -> (N, T, V) scores for the next character at every position."""
        hs = self.cell.forward(self.embedding.forward(x))                     # (N, T, H)
        n, t, h = hs.shape
        return self.out.forward(hs.reshape(n * t, h)).reshape(n, t, -1)

    def loss(self, x, y):
        """The mean cross-entropy of the next characters; fills every layer's grads."""
        scores = self.scores(x)
        loss, dscores = self.impl.recurrent.temporal_softmax_cross_entropy(scores, y)
        n, t, v = dscores.shape
        dhs = self.out.backward(dscores.reshape(n * t, v)).reshape(n, t, -1)
        self.embedding.backward(self.cell.backward(dhs))
        return float(loss)

    def accuracy(self, codes):
        """How often the most likely next character is the text's, over the whole text."""
        predicted = self.scores(codes[None, :-1])[0].argmax(axis=1)
        return float(np.mean(predicted == codes[1:]))

    def sample(self, prompt_codes, length, temperature, rng):
        """The prompt, then ``length`` characters drawn one at a time from softmax(scores / T)."""
        W = self.embedding.params["W"]
        h = np.zeros((1, self.cell.hidden_size))
        c, out = np.zeros_like(h), list(prompt_codes)
        for k in range(len(prompt_codes) + length - 1):
            x = W[out[k]][None]
            if self.kind == "lstm":
                h, c, _ = self.cell.step(x, h, c)
            else:
                h, _ = self.cell.step(x, h)
            if k + 1 >= len(prompt_codes):
                z = self.out.forward(h)[0] / temperature
                p = np.exp(z - z.max())
                out.append(int(rng.choice(len(p), p=p / p.sum())))
        return out


def windows(codes, n, t, rng):
    """n random windows of t characters and the characters that follow each: x, y (n, t)."""
    starts = rng.integers(0, len(codes) - t - 1, size=n)
    index = starts[:, None] + np.arange(t)
    return codes[index], codes[index + 1]


def fit_text(impl, cell, *, steps, lr, seed=0, batch=32, length=32, hidden=64, on_step=None):
    """Train a CharModel on data/text.py's text with the student's Adam.

    Returns (model, losses, accuracy, seconds, alphabet)."""
    codes, alphabet = load_text()
    rng = np.random.default_rng(seed)
    model = CharModel(impl, cell, len(alphabet), rng, hidden=hidden)
    optimizer = impl.optim.Adam(model.parameters(), lr=lr)
    losses, started = [], time.perf_counter()
    for step in range(1, steps + 1):
        x, y = windows(codes, batch, length, rng)
        losses.append(model.loss(x, y))
        optimizer.step()
        if on_step is not None:
            on_step(step, losses[-1])
    seconds = time.perf_counter() - started
    return model, losses, model.accuracy(codes), seconds, alphabet
