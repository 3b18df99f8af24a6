"""Sophia: neural networks from scratch in numpy.

Modules, in teaching order: initializers, losses, numgrad, layers, activations,
models, training, then part 2: optim, metrics, dropout, normalization, conv,
recurrent (inputs holds the input checks every module shares).
Each student-written body sits between BEGIN/END SOLUTION markers; the
exercises package is generated from this one by ``python -m grader build-exercises``.
"""
