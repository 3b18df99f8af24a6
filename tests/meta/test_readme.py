"""The README's promises: a two-command quick start that CI runs, and a complete curriculum map."""
import re
import subprocess

from grader import catalog
from grader.implementation import ROOT

README = (ROOT / "README.md").read_text()


def quick_start_commands():
    section = README.split("## Quick start", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands_install_then_grade_then_test():
    first, second = quick_start_commands()
    assert "pip install" in first and first.endswith("python -m grader")
    assert "pip install" in second and second.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    script = ROOT / ".ci" / "run"
    extract = re.search(r"test_command=\$\((.*)\)\n", script.read_text()).group(1)
    got = subprocess.run(["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True)
    assert got.stdout.strip() == quick_start_commands()[1]


def test_curriculum_map_lists_every_exercise_in_teaching_order():
    table = README.split("## Curriculum", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"`([a-z_0-9]+)`", "\n".join(
        line.split("|")[1] for line in table.splitlines() if line.startswith("| `")))
    assert listed == [e.id for e in catalog.exercises()]


def test_the_gradient_check_snippet_runs_and_passes_on_a_solved_copy():
    """The README shows a student how to check their own Linear with their own numgrad."""
    import sys
    code = re.search(r"### Check your own gradients first.*?```python\n(.*?)```", README, re.S).group(1)
    assert "from exercises." in code
    done = subprocess.run([sys.executable, "-c", code.replace("from exercises.", "from solutions.")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    errors = [float(line) for line in done.stdout.split()]
    assert done.returncode == 0 and len(errors) == 2 and max(errors) < 1e-7, done.stdout + done.stderr
