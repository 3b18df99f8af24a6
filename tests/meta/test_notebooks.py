"""The chapters of notebooks/ run, against the reference, in a Jupyter kernel and as plain scripts.

Every notebooks/NN_*.py (found by glob) is executed with nbclient in a ``python3`` kernel of
this environment, with SOPHIA_IMPL=solutions, MPLBACKEND=Agg and the kit's root as the
working folder, and run as ``python notebooks/NN_*.py``. Its check cells pass on the reference
and fail on a copy of the solutions with one planted bug; its text survives a jupytext round
trip; it has no magics and no shell lines, which a plain run could not execute.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbclient
import nbformat
import pytest
from ipykernel.kernelspec import install as install_kernelspec
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient.exceptions import CellExecutionError

from grader import catalog
from grader.implementation import NAMED, ROOT
from tests.meta.planting import plant

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
IDS = [p.stem for p in NOTEBOOKS]
KERNEL = "python3"
CHAPTERS = 10                # the curriculum's chapters (DESIGN.md)
CHECK = re.compile(r"""^check\(\s*["'](\w+)["']""", re.MULTILINE)

# One realistic bug per exercise a chapter checks first: (module, old, new), old unique in the module.
PLANTED = {
    "init_basic": ("initializers", "return np.zeros(shape, dtype=dtype)",
                   "return np.ones(shape, dtype=dtype)"),
    "cross_entropy": ("losses", "loss = -log_probs[rows, y].mean()", "loss = -log_probs[rows, y].sum()"),
    "numgrad": ("numgrad", "grad[i] = (plus - minus) / (2 * h)", "grad[i] = (plus - minus) / h"),
    "linear": ("layers", 'self.grads["b"] = dout.sum(axis=0)', 'self.grads["b"] = dout.mean(axis=0)'),
    "heads": ("models", "return scores.argmax(axis=1).astype(np.int64)",
              "return scores.argmin(axis=1).astype(np.int64)"),
    "sgd": ("optim", "p -= lr * d", "p += lr * d"),
    "split": ("metrics", "return perm[n_val:].astype(np.int64), perm[:n_val].astype(np.int64)",
              "return perm[:n_val].astype(np.int64), perm[n_val:].astype(np.int64)"),
    "dropout": ("dropout", "scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)", "scale = 1.0"),
    "conv_naive": ("conv", "np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b",
                   "np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3]))"),
    "embedding": ("recurrent", "np.add.at(dW, self.cache, dout)", "dW[self.cache] += dout"),
}


def kernel_env(impl):
    return {**os.environ, "SOPHIA_IMPL": str(impl), "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


def runs_this_python(spec):
    """Does the kernelspec start this interpreter? ("python" is: jupyter_client puts sys.executable.)"""
    python = spec.argv[0]
    return (python in {"python", "python3", "python%d.%d" % sys.version_info[:2]}
            or Path(python).absolute() == Path(sys.executable).absolute())


@pytest.fixture(scope="module")
def kernel():
    """The name of a kernel that runs this interpreter: the venv's own ``python3``.

    The venv's kernelspec (ipykernel ships one) is preferred to one in the user's home; when
    there is none, or it runs another Python, ipykernel installs one into sys.prefix (never $HOME).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
        try:
            spec = KernelSpecManager().get_kernel_spec(KERNEL)
        except NoSuchKernel:
            spec = None
        if spec is None or not runs_this_python(spec):
            install_kernelspec(kernel_name=KERNEL, prefix=sys.prefix)
            spec = KernelSpecManager().get_kernel_spec(KERNEL)
        assert runs_this_python(spec), f"the {KERNEL} kernel runs {spec.argv[0]}, not {sys.executable}"
        yield KERNEL


def execute(path, kernel, impl):
    """Run the notebook of ``path`` in a fresh kernel with SOPHIA_IMPL=impl; the executed notebook."""
    notebook = jupytext.read(path, fmt="py:percent")
    client = nbclient.NotebookClient(notebook, kernel_name=kernel, timeout=120,
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute(env=kernel_env(impl))
    return notebook


def first_check(path):
    found = CHECK.findall(path.read_text())
    assert found, f"{path.name} has no check(\"...\") cell: each chapter checks its exercises"
    return found[0]


def test_every_chapter_has_a_notebook():
    numbers = sorted(int(name[:2]) for name in IDS)
    assert numbers == list(range(1, CHAPTERS + 1)), (
        f"one notebook per chapter, numbered 01 to {CHAPTERS:02d}; notebooks/ holds {IDS}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_check_cells_name_exercises(path):
    unknown = [name for name in CHECK.findall(path.read_text()) if name not in catalog.by_id()]
    assert not unknown, f"{path.name} checks exercises the catalog does not know: {unknown}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_in_a_kernel_and_as_a_script(path, kernel):
    # the plain run goes on in its own process while the kernel executes the notebook: half the wait
    plain = subprocess.Popen([sys.executable, str(path)], cwd=ROOT, env=kernel_env("solutions"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures = []
    try:
        notebook = execute(path, kernel, "solutions")
    except CellExecutionError as error:
        failures.append(f"{path.name} fails on the reference, in a kernel:\n{error}")
    else:
        printed = [o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                   for o in cell.get("outputs", [])]
        if not any("100 %" in text for text in printed):
            failures.append(f"{path.name}: no check cell printed a report (score ... 100 %) on the "
                            f"reference, in a kernel")
    finally:
        _, stderr = plain.communicate(timeout=120)
    if plain.returncode:
        failures.append(f"python {path.relative_to(ROOT)} exits with {plain.returncode} on the "
                        f"reference:\n{stderr[-3000:]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_check_cell_fails_on_a_planted_bug(path, kernel, tmp_path):
    exercise = first_check(path)
    if exercise in PLANTED:
        folder = plant(tmp_path, *PLANTED[exercise])
    else:                              # no bug listed here: the exercise's module left unwritten (its stub)
        module = catalog.get(exercise).module
        folder = tmp_path / "planted"
        shutil.copytree(NAMED["solutions"], folder, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(NAMED["exercises"] / f"{module}.py", folder / f"{module}.py")
    try:
        execute(path, kernel, folder)
    except CellExecutionError as error:
        failed = error
    else:
        pytest.fail(f"{path.name} runs to its end with a bug planted in {exercise}: its check cell "
                    f"does not stop it")
    named = re.findall(r"\w+", failed.evalue.split("(")[0])
    assert failed.ename == "NotPassed" and exercise in named, (
        f"{path.name} with a bug in {exercise}: the run stops, but not at its check cell with "
        f"NotPassed naming {exercise} ({failed.ename}: {failed.evalue}):\n{str(failed)[-2000:]}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_jupytext_round_trip(path):
    text = path.read_text()
    notebook = jupytext.reads(text, fmt="py:percent")
    nbformat.validate(nbformat.reads(jupytext.writes(notebook, fmt="ipynb"), as_version=4))
    assert notebook.metadata.get("kernelspec", {}).get("name") == KERNEL, (
        f"{path.name}: its jupytext header names no python3 kernelspec")
    assert jupytext.writes(notebook, fmt="py:percent") == text, (
        f"{path.name} changes when jupytext reads and writes it back: run "
        f"`jupytext --to py:percent {path.relative_to(ROOT)}` and keep its layout")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_magics_or_shell_lines(path):
    notebook = jupytext.read(path, fmt="py:percent")
    bad = [line for cell in notebook.cells if cell.cell_type == "code"
           for line in cell.source.splitlines()
           if re.match(r"\s*#?\s*[%!]", line) or "get_ipython" in line]
    assert not bad, f"{path.name}: magics or shell lines break `python {path.name}`: {bad}"


@pytest.fixture
def chapters(tmp_path, monkeypatch):
    """``python -m grader notebook`` over a copy of two chapters, in a folder of its own."""
    from grader import notebook_cli
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for path in NOTEBOOKS[:2]:
        (folder / path.name).write_text(path.read_text())
    monkeypatch.setattr(notebook_cli, "NOTEBOOKS", folder)
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.mark.parametrize("name", ["2", "02", NOTEBOOKS[1].stem, NOTEBOOKS[1].stem[3:], NOTEBOOKS[1].name])
def test_notebook_command_writes_the_ipynb(chapters, name, capsys):
    from grader.cli import main
    assert main(["notebook", name]) == 0
    written = chapters / f"{NOTEBOOKS[1].stem}.ipynb"
    notebook = nbformat.read(written, as_version=4)
    assert [c.source for c in notebook.cells] == [
        c.source for c in jupytext.read(NOTEBOOKS[1], fmt="py:percent").cells]
    assert f"jupyter lab notebooks/{written.name}" in capsys.readouterr().out


def test_notebook_command_keeps_a_newer_ipynb(chapters, capsys):
    from grader.cli import main
    script = chapters / NOTEBOOKS[0].name
    target = script.with_suffix(".ipynb")
    target.write_text("my edits")
    os.utime(script, (1, 1))                              # the script is older than the .ipynb
    assert main(["notebook", "1"]) == 2
    assert target.read_text() == "my edits"
    assert "newer" in capsys.readouterr().err
    assert main(["notebook", "1", "--force"]) == 0
    assert nbformat.read(target, as_version=4).cells


def test_notebook_command_names_the_chapters(chapters, capsys):
    from grader.cli import main
    assert main(["notebook", "99"]) == 2
    assert NOTEBOOKS[0].stem in capsys.readouterr().err
