"""Alternative solution blocks of solutions/optim.py (see tests/meta/test_alternatives.py):
only the BEGIN/END SOLUTION blocks, in the class and def headers that name them; the given code
and the names they use come from solutions/optim.py when the blocks are spliced into it."""
# ruff: noqa: F821


class SGD(Optimizer):
    def update(self, p, g, state, lr):
        # BEGIN SOLUTION
        # entry by entry; the velocity is a float64 buffer, and "started" says it holds one
        mu, wd = self.momentum, self.weight_decay
        if mu and "buffer" not in state:
            state["buffer"], state["started"] = np.zeros(p.shape), False
        for index in np.ndindex(*p.shape):
            direction = float(g[index]) + wd * float(p[index])
            if mu:
                buffer = state["buffer"]
                buffer[index] = mu * buffer[index] + direction if state["started"] else direction
                if self.nesterov:
                    direction = direction + mu * buffer[index]
                else:
                    direction = buffer[index]
            p[index] = p[index] - lr * direction
        if mu:
            state["started"] = True
        # END SOLUTION


class RMSprop(Optimizer):
    def update(self, p, g, state, lr):
        # BEGIN SOLUTION
        # the running average moved towards g**2 by a fraction (1 - alpha) of the gap
        if "square_avg" not in state:
            state["square_avg"] = np.zeros(p.shape)
        avg = state["square_avg"]
        avg += (1.0 - self.alpha) * (np.power(g, 2) - avg)
        np.subtract(p, lr * np.divide(g, np.add(np.power(avg, 0.5), self.eps)), out=p, casting="unsafe")
        # END SOLUTION


class Adam(Optimizer):
    def update(self, p, g, state, lr):
        # BEGIN SOLUTION
        # PyTorch's arrangement: the corrections folded into the step size and the denominator
        if "step" not in state:
            state["step"], state["exp_avg"], state["exp_avg_sq"] = 0, np.zeros(p.shape), np.zeros(p.shape)
        state["step"] += 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1.0 - self.beta1) * (g - exp_avg)
        exp_avg_sq *= self.beta2
        exp_avg_sq += (1.0 - self.beta2) * np.square(g)
        correction1 = 1.0 - np.power(self.beta1, state["step"])
        correction2 = 1.0 - np.power(self.beta2, state["step"])
        denominator = np.sqrt(exp_avg_sq) / math.sqrt(correction2) + self.eps
        np.subtract(p, (lr / correction1) * exp_avg / denominator, out=p, casting="unsafe")
        # END SOLUTION


class AdamW(Adam):
    def update(self, p, g, state, lr):
        # BEGIN SOLUTION
        np.subtract(p, lr * self.weight_decay * p, out=p, casting="unsafe")
        Adam.update(self, p, g, state, lr)
        # END SOLUTION


def clip_grad_norm(parameters, max_norm):
    # BEGIN SOLUTION
    total = 0.0
    for layer, name in parameters:
        for x in np.nditer(layer.grads[name]):
            total += float(x) * float(x)
    norm = total ** 0.5
    if norm > max_norm:
        factor = max_norm / norm
        for layer, name in parameters:
            np.multiply(layer.grads[name], factor, out=layer.grads[name], casting="unsafe")
    return float(norm)
    # END SOLUTION


def step_lr(t, lr, step_size, gamma=0.1):
    # BEGIN SOLUTION
    rate = float(lr)
    for _ in range(int(t) // int(step_size)):
        rate *= gamma
    return rate
    # END SOLUTION


def exponential_lr(t, lr, gamma):
    # BEGIN SOLUTION
    return float(lr) * math.pow(gamma, t)
    # END SOLUTION


def cosine_lr(t, lr, total_steps, min_lr=0.0):
    # BEGIN SOLUTION
    if t >= total_steps:
        return float(min_lr)
    return min_lr + (lr - min_lr) * math.cos(math.pi * t / (2.0 * total_steps)) ** 2
    # END SOLUTION


def linear_warmup(t, lr, warmup_steps, start_factor=1.0 / 3.0):
    # BEGIN SOLUTION
    if t >= warmup_steps:
        return float(lr)
    start = lr * start_factor
    return start + (lr - start) * t / warmup_steps
    # END SOLUTION
