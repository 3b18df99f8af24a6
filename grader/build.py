"""Generate the student package from the reference one.

    python -m grader build-exercises            # write exercises/ from solutions/
    python -m grader build-exercises --check    # exit 1 if exercises/ is stale

Every block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes a
``# TODO:`` line and ``raise NotImplementedError("Qualname")``; all else is copied.
"""
import ast
import re
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")


class MarkerError(ValueError):
    """A BEGIN/END SOLUTION pair is unbalanced or outside a function."""


def function_spans(source):
    """{qualname: (first line, last line)} of every function (1-based), decorators included."""
    spans, lines = {}, source.splitlines()

    def end_of(child):          # trailing comments indented inside the function belong to it
        end = child.end_lineno
        while end < len(lines) and lines[end].lstrip().startswith("#") and \
                len(lines[end]) - len(lines[end].lstrip()) > child.col_offset:
            end += 1
        return end

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                    spans[qual] = (first, end_of(child))
                visit(child, qual + ".")
    visit(ast.parse(source), "")
    return spans


def _qualnames(source):
    """Map each line number inside a function to the innermost function's qualified name."""
    names = {}
    for qual, (first, last) in function_spans(source).items():   # outer before inner
        names.update(dict.fromkeys(range(first, last + 1), qual))
    return names


def strip_solutions(source, filename="<source>"):
    """Return ``source`` with every marked solution block replaced by a stub."""
    names = _qualnames(source)
    out, inside = [], None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        begin = BEGIN.match(line)
        if begin:
            if inside is not None:
                raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside another block")
            if number not in names:
                raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION outside a function")
            indent, inside = begin["indent"], names[number]
            out.append(f"{indent}# TODO: implement {inside} (see the docstring)\n")
            out.append(f'{indent}raise NotImplementedError("{inside}")\n')
        elif END.match(line):
            if inside is None:
                raise MarkerError(f"{filename}:{number}: END SOLUTION without BEGIN")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise MarkerError(f"{filename}: BEGIN SOLUTION in {inside} is never closed")
    return "".join(out)


def generated_files(solutions_dir):
    """Yield (relative path, generated text) for every .py file of the reference package."""
    solutions_dir = Path(solutions_dir)
    for path in sorted(solutions_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(solutions_dir)
        yield rel, strip_solutions(path.read_text(), str(path))


def stale_files(solutions_dir, exercises_dir):
    """Relative paths whose exercises/ copy differs from what the generator makes."""
    exercises_dir = Path(exercises_dir)
    expected = dict(generated_files(solutions_dir))
    stale = [rel for rel, text in expected.items()
             if not (exercises_dir / rel).is_file() or (exercises_dir / rel).read_text() != text]
    extra = [p.relative_to(exercises_dir) for p in exercises_dir.rglob("*.py")
             if "__pycache__" not in p.parts and p.relative_to(exercises_dir) not in expected]
    return sorted(stale + extra)


def student_work(solutions_dir, exercises_dir):
    """``file: function`` for every stub of exercises/ that holds something else now (a
    student's work), or ``file`` when it does not even parse: what a rebuild would destroy."""
    exercises_dir, found = Path(exercises_dir), []
    for rel, generated in generated_files(solutions_dir):
        path = exercises_dir / rel
        if not path.is_file() or path.read_text() == generated:
            continue
        text = path.read_text()
        try:
            spans = function_spans(text)
        except SyntaxError:
            found.append(f"{rel} (does not parse)")
            continue
        lines = text.splitlines()
        for qual in sorted(_stubs(generated)):
            if qual in spans:
                first, last = spans[qual]
                if f'raise NotImplementedError("{qual}")' not in "\n".join(lines[first - 1:last]):
                    found.append(f"{rel}: {qual}")
    return found


def _stubs(generated):
    """The functions of a generated file whose body is a stub."""
    return set(re.findall(r'raise NotImplementedError\("([\w.]+)"\)', generated))


def build(solutions_dir, exercises_dir):
    """Make exercises/ what the generator makes from solutions/: write stale files and
    delete modules solutions/ no longer has; returns the relative paths changed."""
    exercises_dir = Path(exercises_dir)
    expected = dict(generated_files(solutions_dir))
    changed = stale_files(solutions_dir, exercises_dir)
    for rel in changed:
        target = exercises_dir / rel
        if rel in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(expected[rel])
        else:
            target.unlink()
    return changed
