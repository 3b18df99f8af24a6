"""Alternative solution blocks of solutions/dropout.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/dropout.py when the blocks are spliced into it."""
# ruff: noqa: F821


class Dropout(Layer):
    def forward(self, x):
        # BEGIN SOLUTION
        if self.training:
            # one Bernoulli(1 - p) trial per unit: 1 kept, 0 dropped
            keep = self.rng.binomial(1, 1.0 - self.p, size=x.shape).astype(bool)
            scale = 1.0 / (1.0 - self.p) if self.p < 1 else 1.0   # p = 1: nothing left to scale
        else:
            keep, scale = np.ones(x.shape, dtype=bool), 1.0         # evaluation keeps every unit
        self.cache = (keep, scale)
        return np.where(keep, x, 0) * scale                         # a Python float keeps x's dtype
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        keep, scale = self.cache
        return np.where(keep, dout, 0) * scale
        # END SOLUTION
