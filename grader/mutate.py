"""Mutation self-test: plant small bugs in copies of solutions/ and see the checks catch them.

    python -m grader validate                      # runs it as its last step
    python -m grader mutate [EXERCISE ...] [-j N] [--limit K] [--list]

Mutants are made only inside ``# BEGIN SOLUTION`` / ``# END SOLUTION`` blocks, on
the AST: operator swaps (+ -, * /, @ operands, comparisons, += -=), constants
(0 -> 1, c -> 2c), keyword arguments dropped (axis, keepdims, dtype, ...), reductions
(sum <-> mean, max <-> min), dropped ``.T`` and unary minus, deleted statements.
Each mutant is written into a fresh copy of solutions/ and the owning exercise's
checks run on it with ``pytest -x``; a mutant is caught when any check fails.
Survivors known to be equivalent are listed, with the reason, in
grader/mutants_allowed.toml.
"""
import ast
import copy
import shutil
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import catalog
from .build import BEGIN, END, function_spans
from .implementation import NAMED, ROOT

ALLOWED_PATH = Path(__file__).with_name("mutants_allowed.toml")
BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.Pow: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.Mult}
CMPOPS = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
          ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
NAMES = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "maximum": "minimum",
         "minimum": "maximum", "argmax": "argmin", "argmin": "argmax"}
PERFORMANCE_ONLY = {"copy"}   # keywords whose removal cannot change a value
TIMEOUT = 60.0


@dataclass
class Mutant:
    module: str
    function: str
    line: int
    original: str
    mutated: str
    source: str          # the whole mutated module

    @property
    def exercise(self):
        owner = catalog.owner_of(self.function)
        return owner.id if owner else None

    def __str__(self):
        where = f"{self.module}.py:{self.line} {self.function}"
        return f"{where}: `{self.original}` -> `{self.mutated}`"


def solution_lines(source):
    """Line numbers (1-based) strictly inside BEGIN/END SOLUTION blocks."""
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            lines.add(number)
    return lines


def variants(node):
    """Mutated copies of one AST node (expression or statement)."""
    def swap(**changes):
        new = copy.deepcopy(node)
        for key, value in changes.items():
            setattr(new, key, value)
        return new
    if isinstance(node, ast.BinOp):
        if type(node.op) in BINOPS:
            yield swap(op=BINOPS[type(node.op)]())
        if isinstance(node.op, ast.MatMult):
            yield swap(left=node.right, right=node.left)
    elif isinstance(node, ast.AugAssign) and type(node.op) in BINOPS:
        yield swap(op=BINOPS[type(node.op)]())
    elif isinstance(node, ast.Compare) and type(node.ops[0]) in CMPOPS:
        yield swap(ops=[CMPOPS[type(node.ops[0])]()] + node.ops[1:])
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        yield swap(value=1 if node.value == 0 else type(node.value)(node.value * 2))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield node.operand
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield node.value
    elif isinstance(node, ast.Attribute) and node.attr in NAMES:
        yield swap(attr=NAMES[node.attr])
    elif isinstance(node, ast.Call):
        for i, kw in enumerate(node.keywords):
            if kw.arg not in PERFORMANCE_ONLY:     # axis, keepdims, dtype, size, ...
                yield swap(keywords=node.keywords[:i] + node.keywords[i + 1:])
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.Expr)) and not (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        yield ast.Pass()


def _replace(source, node, text):
    lines = source.splitlines(keepends=True)
    start = sum(len(line) for line in lines[:node.lineno - 1]) + len(
        lines[node.lineno - 1].encode()[:node.col_offset].decode())
    end = sum(len(line) for line in lines[:node.end_lineno - 1]) + len(
        lines[node.end_lineno - 1].encode()[:node.end_col_offset].decode())
    return source[:start] + text + source[end:]


def _text(node):
    text = ast.unparse(node)
    atom = isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.stmt)) or (
        isinstance(node, ast.Constant) and not str(text).startswith("-"))
    return text if atom else f"({text})"


def mutants(module, source=None):
    """Every mutant of solutions/<module>.py, in source order, duplicates removed."""
    source = source if source is not None else (NAMED["solutions"] / f"{module}.py").read_text()
    inside, spans, seen = solution_lines(source), function_spans(source), set()
    tree = ast.parse(source)
    for node in sorted(ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0),
                                                      getattr(n, "col_offset", 0))):
        if getattr(node, "lineno", None) not in inside or node.end_lineno not in inside:
            continue
        function = max((q for q, (a, b) in spans.items() if a <= node.lineno <= b),
                       key=lambda q: spans[q][0], default="?")
        for new in variants(node):
            text = _text(new) if not isinstance(new, ast.Pass) else "pass"
            mutated = _replace(source, node, text)
            if mutated in seen or mutated == source:
                continue
            seen.add(mutated)
            try:
                compile(mutated, module, "exec")
            except SyntaxError:
                continue
            original = ast.get_source_segment(source, node).splitlines()[0]
            yield Mutant(module, function, node.lineno, original[:70], text.splitlines()[0][:70],
                         mutated)


def allowed():
    """{(module, function, original, mutated): reason} of accepted equivalent mutants."""
    with open(ALLOWED_PATH, "rb") as f:
        return {(a["module"], a["function"], a["original"], a["mutant"]): a["reason"]
                for a in tomllib.load(f).get("allowed", [])}


def suite_files(exercise_ids):
    """The suite files that mention an exercise id in quotes (all suites if none do)."""
    files = sorted((ROOT / "tests" / "suites").glob("test_*.py"))
    chosen = [str(f) for f in files if any(f'"{e}"' in f.read_text() or f"'{e}'" in f.read_text()
                                           for e in exercise_ids)]
    return chosen or [str(ROOT / "tests" / "suites")]


def job(mutant):
    """What a worker needs to test one mutant (JSON-able)."""
    chosen = [mutant.exercise] if mutant.exercise else catalog.of_modules([mutant.module])
    return {"module": mutant.module, "source": mutant.source, "exercises": chosen,
            "files": suite_files(chosen)}


def worker():
    """Test mutants read as JSON lines on stdin; print each pytest exit code on its own line.

    One process runs many mutants (pytest in-process), to pay Python's start-up once.
    """
    import io
    import json
    import os

    import pytest
    results = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    for line in sys.stdin:
        task = json.loads(line)
        with tempfile.TemporaryDirectory(prefix="sophia-mutant-") as tmp:
            folder = Path(tmp) / "pkg"
            shutil.copytree(NAMED["solutions"], folder,
                            ignore=shutil.ignore_patterns("__pycache__"))
            (folder / f"{task['module']}.py").write_text(task["source"])
            for name in [m for m in sys.modules if m.split(".")[0] == "sophia_impl"]:
                del sys.modules[name]
            args = task["files"] + ["-x", "-q", "-p", "no:cacheprovider", f"--impl={folder}",
                                    "-o", "addopts=", "-W", "ignore", "--no-header"]
            for exercise in task["exercises"]:
                args += ["--exercise", exercise]
            sys.stderr = io.StringIO()
            code = int(pytest.main(args))
            sys.stderr = sys.__stderr__
        results.write(f"{code}\n")
        results.flush()


if __name__ == "__main__":
    worker()
