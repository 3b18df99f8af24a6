"""`python -m grader bench`: the table's rows and columns, what a cell says when the code is a stub,
raises, or is not there (no reference, no torch), and the picture. On the tiny workloads (one call
timed per column): structure only, never a timing."""
import re
import shutil
import subprocess
import sys

import pytest

from grader import bench, cli
from grader.bench_workloads import workloads
from grader.build import build
from grader.implementation import ROOT

NAMES = [w.name for w in workloads("tiny")]


def table(capsys, *argv):
    """{workload name: [reference, torch, ratio..., student]} and the lines up to the column names,
    cut at the columns' widths (a cell may hold words: "not installed")."""
    assert bench.main(["--tiny", *argv]) == 0
    lines = capsys.readouterr().out.splitlines()
    name, size, cell = bench.WIDTHS
    start = name + 1 + size
    columns = next(k for k, line in enumerate(lines) if line.startswith("workload "))
    student = lines[columns].index("student ms") - (cell - len("student ms")) - 2
    sizes = {w.name: w.size for w in workloads("tiny")}
    rows = {}
    for line in lines[columns + 1:]:
        if line.startswith("plot: "):
            continue
        workload = line[:name].rstrip()
        assert workload in sizes and line[name + 1:start].rstrip() == sizes[workload], line
        rows[workload] = [line[k + 1:k + 1 + cell].strip() for k in range(start, student, cell + 1)]
        rows[workload].append(line[student:].strip())
    return rows, lines[:columns + 1]


def is_number(cell):
    try:
        return float(cell) >= 0
    except ValueError:
        return False


@pytest.fixture
def torch_absent(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)         # `import torch` raises ImportError


@pytest.fixture
def torch_threads():
    """torch's thread count, put back after a test that sets it in this process."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def broken(tmp_path):
    """The reference with an error planted in Linear.forward."""
    folder = tmp_path / "broken"
    shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    layers = folder / "layers.py"
    old = '        return x @ self.params["W"] + self.params["b"]\n'
    assert layers.read_text().count(old) == 1
    layers.write_text(layers.read_text().replace(old, '        raise ValueError("planted in forward")\n'))
    return folder


def test_every_workload_has_a_row_with_the_three_timings_and_both_ratios(capsys):
    rows, header = table(capsys, "--impl", "solutions")
    assert list(rows) == NAMES, "a workload is missing from the table or out of order."
    assert header[-1].split() == ["workload", "size", "reference", "ms", "torch", "ms",
                                  "student/ref", "ref/torch", "student", "ms"]
    torch_installed = "torch not installed" not in header[0]
    for name, cells in rows.items():
        assert all(map(is_number, (cells[0], cells[2], cells[-1]))), f"{name}: {cells}"
        assert is_number(cells[1]) == torch_installed, f"{name}: the torch cell says {cells[1]}"
        assert is_number(cells[3]) == torch_installed and (cells[3] == "-") != torch_installed, \
            f"{name}: reference/torch: {cells[3]}"
        for shown, top, bottom in ((cells[2], cells[-1], cells[0]), (cells[3], cells[0], cells[1])):
            if shown != "-":      # the ratio of the times printed, to their rounding
                expected = float(top) / float(bottom)
                assert abs(float(shown) - expected) <= 0.005 + 0.011 * expected, f"{name}: {cells}"


def test_the_header_names_the_date_machine_versions_blas_and_threads(capsys, torch_threads):
    _, header = table(capsys, "--impl", "solutions", "--only", "ReLU", "--threads", "1")
    for word in ("cores", "python 3.", "numpy 2.", "openblas", "thread", "torch"):
        assert word in header[0].lower(), f"{word!r} is missing from the header: {header[0]}"
    assert re.search(r"torch (\S+ \(1 thread\)|not installed)", header[0]), \
        f"torch.set_num_threads not called? {header[0]}"
    assert header[0][:4].isdigit() and "median of 1 runs" in header[1]


def test_stubs_say_not_written_in_every_student_cell(capsys, tmp_path):
    build(ROOT / "solutions", tmp_path / "stubs")
    rows, _ = table(capsys, "--impl", str(tmp_path / "stubs"))
    assert list(rows) == NAMES
    for name, cells in rows.items():
        assert cells[-1] == bench.NOT_WRITTEN and cells[2] == "-", f"{name}: {cells}"
        assert is_number(cells[0]), f"{name}: the reference cell says {cells[0]}"


def test_an_error_in_the_students_layer_shows_in_its_cell_and_the_run_goes_on(capsys, broken):
    rows, _ = table(capsys, "--impl", str(broken), "--only", "linear", "relu", "MLP")
    assert rows["Linear"][-1] == "ValueError: planted in forward"
    assert rows["MLP step 15"][-1] == "ValueError: planted in forward"
    assert is_number(rows["ReLU"][-1]) and is_number(rows["Linear"][0])


def test_without_torch_its_column_says_not_installed(capsys, torch_absent):
    rows, header = table(capsys, "--impl", "solutions", "--only", "norm", "LSTM")
    assert "torch not installed" in header[0]
    assert set(rows) == {"BatchNorm1d", "BatchNorm2d", "LayerNorm", "LSTM", "char-LSTM step"}
    for name, cells in rows.items():
        assert cells[1] == "not installed", f"{name}: {cells}"
        assert cells[3] == "-" and is_number(cells[2]), f"{name}: {cells}"


def test_without_the_reference_the_student_is_timed_against_torch(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "REFERENCE", tmp_path / "no-solutions")
    rows, header = table(capsys, "--impl", "solutions", "--only", "Conv2d", "Adam")
    assert "reference: absent" in header[1] and "student/torch" in header[-1].split()
    for name, cells in rows.items():
        assert cells[0] == "absent" and is_number(cells[-1]), f"{name}: {cells}"
        assert is_number(cells[2]) or cells[1] == "not installed", f"{name}: student/torch: {cells}"


def test_plot_writes_a_png(capsys, tmp_path):
    picture = tmp_path / "bench.png"
    table(capsys, "--impl", "solutions", "--only", "pool", "--plot", str(picture))
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_an_unknown_name_is_a_usage_error(capsys):
    assert cli.main(["bench", "--tiny", "--only", "transformer"]) == 2
    assert "no workload named like transformer" in capsys.readouterr().err


def test_the_command_line_sets_the_same_thread_count_for_numpy_and_torch():
    done = subprocess.run([sys.executable, "-m", "grader", "bench", "--tiny", "--threads", "1",
                           "--impl", "solutions", "--only", "ReLU"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    counts = re.findall(r"(\d+) threads?\)", first)       # numpy's BLAS, and torch's when installed
    assert counts and set(counts) == {"1"}, first


def test_a_cold_first_call_does_not_size_the_runs():
    # a step whose first call is slow (PyTorch's is, starting its threads) must still run often
    # enough to fill the cell's time: sized by that first call, it ran once a turn
    import time
    calls = []

    def step():
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.05)
    bench.measure({"cold start": step}, repeats=1, seconds=0.05)
    assert len(calls) > 100
