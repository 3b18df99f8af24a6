"""Alternative solution blocks of solutions/numgrad.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/numgrad.py when the blocks are spliced into it."""
# ruff: noqa: F821


def numerical_gradient(f, x, h=1e-5):
    # BEGIN SOLUTION
    grad = np.empty_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        saved = x[i].copy()
        x[i] = saved + h
        up = f()
        x[i] = saved - h
        down = f()
        x[i] = saved                            # put it back before the next entry
        grad[i] = (up - down) / (2 * h)
        it.iternext()
    return grad
    # END SOLUTION


def relative_error(a, b):
    # BEGIN SOLUTION
    worst = 0.0
    for ai, bi in zip(a.ravel().tolist(), b.ravel().tolist()):
        worst = max(worst, abs(ai - bi) / max(1e-8, abs(ai) + abs(bi)))
    return worst
    # END SOLUTION
