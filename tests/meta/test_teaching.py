"""The exercises teach: docstrings give definitions and shapes, never the answer.

A backward docstring says what to compute (dx = dL/dx) and the shapes; the
derivation is the student's, and the hints (gentle to specific) carry it.
"""
import ast

import pytest

from grader import catalog
from grader.implementation import NAMED

# what a formula for a gradient looks like in a docstring: an operator applied to dout,
# a transpose, or one of the closed forms the old docstrings gave away
FORMULA = ("@", ".T", "*", "onehot", "reg * W", "sign(W)", "1 - out", "(1 - s)")


def docstrings(package, where):
    """(qualified name, docstring) of every function in ``package`` that ``where`` selects."""
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef) and where(child):
                    owner = f"{node.name}." if isinstance(node, ast.ClassDef) else ""
                    yield f"{path.name}:{owner}{child.name}", ast.get_docstring(child) or ""


def gradient_docs(package):
    """Backward passes, and the losses and penalties (whose second result is a gradient)."""
    losses = {"softmax_cross_entropy", "hinge_loss", "l2_regularization", "l1_regularization"}
    return list(docstrings(package, lambda f: f.name == "backward" or f.name in losses))


@pytest.mark.parametrize("package", ["exercises", "solutions"])
def test_no_gradient_docstring_gives_its_formula(package):
    found = gradient_docs(NAMED[package])
    assert len(found) >= 11, [name for name, _ in found]
    for name, doc in found:
        # the first line of a loss or penalty defines its value: only the rest is about gradients
        text = doc.split("\n", 1)[1] if not name.endswith("backward") and "\n" in doc else doc
        leaked = [piece for piece in FORMULA if piece in text]
        assert not leaked, f"{name}: the docstring gives the gradient away ({leaked}):\n{doc}"
        assert "d" in text and "/d" in text, f"{name}: say what to compute (dx = dL/dx):\n{doc}"


def test_gradient_checking_comes_before_the_first_layer():
    order = [e.id for e in catalog.exercises()]
    assert order.index("numgrad") < order.index("linear")
    assert "numerical_gradient" in " ".join(catalog.get("linear").hints)


def test_hints_go_from_gentle_to_the_derivation():
    """Every exercise with a backward pass has three hints or more, and the first hint of a
    layer does not give the derivative away."""
    for exercise in catalog.exercises():
        if exercise.module in ("activations", "layers"):
            assert len(exercise.hints) >= 3, exercise.id
            first = exercise.hints[0]
            assert not any(piece in first for piece in ("derivative is", "1 - tanh", "s (1 - s)",
                                                        "dout @", "x.T")), (exercise.id, first)


# What the checks enforce beyond the definition, and where its docstring must say so:
# (file, qualified name or "" for the module, a phrase of the requirement)
REQUIREMENTS = [
    ("layers.py", "", "never accumulated"),                    # backward twice, same grads
    ("layers.py", "", "float32 stays float32"),                # the float32 checks
    ("layers.py", "", "Neither modifies its input"),           # the inputs-unchanged checks
    ("layers.py", "", "is not accepted as the answer"),        # backward is analytic
    ("activations.py", "Sigmoid", "without overflow"),         # stable at large inputs
    ("activations.py", "Swish", "without overflow"),
    ("losses.py", "", "modifies its inputs"),
    ("training.py", "train", "is left in it"),                 # train leaves training mode on
    ("training.py", "train", "never np.random"),               # the global-RNG check
    ("optim.py", "", "which it never modifies"),               # gradients unchanged
    ("optim.py", "", "in place"),                              # p -= ..., not p = p - ...
    ("optim.py", "", "separate state"),                        # state per parameter
    ("optim.py", "clip_grad_norm", "in place"),
    ("metrics.py", "train_early_stopping", "in place"),        # restored into the same arrays
    ("metrics.py", "precision_recall_f1", "never NaN"),
]


@pytest.mark.parametrize("file, name, phrase", REQUIREMENTS,
                         ids=[f"{f.removesuffix('.py')}.{n or 'module'}" for f, n, _ in REQUIREMENTS])
def test_docstrings_state_what_the_checks_enforce(file, name, phrase):
    tree = ast.parse((NAMED["exercises"] / file).read_text())
    doc = ast.get_docstring(tree) if not name else next(
        ast.get_docstring(node) for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name)
    assert phrase in " ".join((doc or "").split()), f"exercises/{file} {name or '(module)'}: say {phrase!r}"
