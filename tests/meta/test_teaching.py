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
