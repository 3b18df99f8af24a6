"""Alternative solution blocks of solutions/layers.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/layers.py when the blocks are spliced into it."""
# ruff: noqa: F821


class Linear(Layer):
    def forward(self, x):
        # BEGIN SOLUTION
        out = np.dot(x, self.params["W"])
        out += self.params["b"][None, :]           # the bias broadcast over the rows
        self.cache = x.copy()
        return out
        # END SOLUTION

    def backward(self, dout):
        # BEGIN SOLUTION
        x, W = self.cache, self.params["W"]
        self.grads["W"] = np.einsum("nd,nm->dm", x, dout)
        self.grads["b"] = np.einsum("nm->m", dout)
        return np.einsum("nm,dm->nd", dout, W)
        # END SOLUTION
