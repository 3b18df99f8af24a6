"""``handout``: the student copy holds no solution, no answer, and works as its README says."""
import os
import re
import shutil
import subprocess
import sys
import venv

import pytest

from grader import catalog, handout
from grader.build import generated_files
from grader.implementation import NAMED, ROOT


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handout") / "course"
    handout.write(folder)
    return folder


def grade(folder, *args):
    """``python -m grader ARGS`` run inside the handout ``folder``: (exit status, output)."""
    done = subprocess.run([sys.executable, "-m", "grader", *args], cwd=folder,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(folder)))
    return done.returncode, done.stdout + done.stderr


def files_of(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts and ".sophia" not in p.parts)


def test_no_line_of_any_solution_block_is_in_the_handout(copy):
    answers = handout.solution_lines()
    # the scan sees real answers: a line from deep inside a backward, and hundreds in all
    assert len(answers) > 250
    assert any("grads" in line for line in answers)
    found = []
    for name in files_of(copy):
        text = (copy / name).read_bytes().decode(errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if handout._statement(line) in answers:
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "solution lines in the handout:\n" + "\n".join(found)


def test_the_handout_leaves_out_the_solutions_the_self_tests_and_the_hidden_checks(copy):
    names = files_of(copy)
    assert not [n for n in names if n.startswith(("solutions/", "tests/meta/", "tests/hidden/", ".git/"))]
    assert not (copy / ".git").exists() and "grader/mutants_allowed.toml" not in names
    stubs = dict(generated_files(NAMED["solutions"]))
    assert {n for n in names if n.startswith("exercises/")} == {f"exercises/{p}" for p in stubs}
    for relative, text in stubs.items():
        assert (copy / "exercises" / relative).read_text() == text
        assert (copy / handout.PRISTINE / relative).read_text() == text
    assert "tests/suites/test_linear.py" in names and "grader/runner.py" in names


def test_a_solution_line_planted_in_a_check_stops_the_handout(tmp_path):
    kit = tmp_path / "kit"
    for name in ("grader", "tests", "data"):
        shutil.copytree(ROOT / name, kit / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, kit / name)
    answer = next(line for line in handout.solution_lines() if "grads" in line)
    with open(kit / "tests" / "checks.py", "a") as f:
        f.write(f"\n# {answer}\ndef oracle(self, dout):\n    {answer}\n")
    with pytest.raises(handout.HandoutError, match=r"tests/checks\.py:\d+: " + re.escape(answer)):
        handout.write(tmp_path / "out", root=kit)
    assert not (tmp_path / "out").exists()


def test_handout_refuses_a_folder_with_files_in_it(tmp_path):
    (tmp_path / "work.py").write_text("mine")
    with pytest.raises(handout.HandoutError, match="not an empty folder"):
        handout.write(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["work.py"]


def test_in_the_handout_the_stubs_grade_zero_and_a_solved_copy_full(copy, tmp_path):
    status, out = grade(copy)
    most = sum(e.points for e in catalog.exercises())
    assert status == 0 and f"score: 0 / {most:g} (0 %)" in out
    table = [line.split() for line in out.splitlines() if line.startswith("  ") and "/" in line]
    statuses = {row[0]: " ".join(row[1:-2]) for row in table if row[0] in catalog.by_id()}
    assert set(statuses) == set(catalog.by_id()) and set(statuses.values()) == {"not started"}
    assert "next: init_basic" in out
    solved = tmp_path / "solved"
    shutil.copytree(NAMED["solutions"], solved, ignore=shutil.ignore_patterns("__pycache__"))
    status, out = grade(copy, "--submission", str(solved))
    assert status == 0 and f"score: {most:g} / {most:g} (100 %)" in out, out[-2000:]


def test_in_the_handout_check_hint_reset_watch_and_train_work(copy, tmp_path):
    layers = copy / "exercises" / "layers.py"
    pristine = layers.read_text()
    layers.write_text((NAMED["solutions"] / "layers.py").read_text())
    try:
        status, out = grade(copy, "check", "linear")
        assert status == 0 and "score: 6 / 6 (100 %)" in out
        status, out = grade(copy, "reset", "linear")
        assert status == 0 and "reset Linear.forward, Linear.backward" in out
        assert "raise NotImplementedError(\"Linear.forward\")" in layers.read_text()
        status, out = grade(copy, "hint", "linear")
        assert status == 0 and "hint 1/" in out
        status, out = grade(copy, "watch", "--rounds", "1")
        assert status == 0 and "init_basic" in out
        status, out = grade(copy, "train", "softmax", "--steps", "5")
        assert status != 0 and "not written yet: he_normal" in out
        solved = tmp_path / "solved"
        shutil.copytree(NAMED["solutions"], solved, ignore=shutil.ignore_patterns("__pycache__"))
        status, out = grade(copy, "train", "softmax", "--steps", "50", "--submission", str(solved))
        assert status == 0 and "accuracy" in out, out[-2000:]
    finally:
        layers.write_text(pristine)


@pytest.mark.parametrize("command", ["build-exercises", "validate"])
def test_instructor_commands_stop_in_the_handout_and_change_nothing(copy, command):
    def state():
        stubs = {p: p.read_bytes() for p in copy.glob("exercises/*")}
        return stubs | {p: b"" for p in copy.glob(".sophia/**/*")}
    before = state()
    status, out = grade(copy, command)
    assert status == 2 and f"'{command}' works from the reference solutions" in out
    assert state() == before


def test_the_handout_readme_is_for_students(copy):
    readme = (copy / "README.md").read_text()
    assert readme.startswith("# Sophia") and "## Quick start" in readme and "## Curriculum" in readme
    assert "## For instructors" not in readme and "build-exercises" not in readme
    assert "python -m pytest tests/suites --impl exercises --exercise linear" in readme
    assert "solutions/" not in readme


def quick_start(readme):
    """The command of the README's quick start (the first line of its first code block)."""
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    return block.strip().splitlines()[0]


def test_the_handout_quick_start_works_as_written_in_a_new_venv(copy, tmp_path):
    """In a new virtual environment that sees this one's packages (no network needed)."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    site = next(env_dir.glob("lib/python3*/site-packages"))
    here = [p for p in sys.path if p.endswith("site-packages")]
    (site / "outer.pth").write_text("\n".join(here) + "\n")     # numpy, pytest, ... from here
    command = quick_start((copy / "README.md").read_text())
    assert command == "python -m pip install -e . && python -m grader"
    work = tmp_path / "course"
    shutil.copytree(copy, work)
    env = dict(os.environ, PATH=f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
               VIRTUAL_ENV=str(env_dir))
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "score: 0 /" in done.stdout and "next: init_basic" in done.stdout
