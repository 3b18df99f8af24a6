"""GitHub Classroom: the workflow template parses, grades with the kit's own checks (never the
student's copy) and reports the points the reporter posts, on a simulated runner."""
import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader import catalog, classroom, runner, scoring
from grader.implementation import NAMED, ROOT

KEY = re.compile(r"""^("[^"]*"|'[^']*'|[^\s"'#][^:#]*?):(?:\s+(.*))?$""")
QUOTED = re.compile(r"""^("[^"]*"|'[^']*')\s*(#.*)?$""")


def parse_yaml(text):
    """The subset of YAML a workflow uses (block mappings and sequences, plain and quoted
    scalars, ``|`` literal blocks, comments), without a YAML library."""
    lines = [[len(line) - len(line.lstrip(" ")), line.strip(), line] for line in text.splitlines()]
    at = 0

    def skip():
        nonlocal at
        while at < len(lines) and (not lines[at][1] or lines[at][1].startswith("#")):
            at += 1

    def scalar(value):
        quoted = QUOTED.match(value)
        if quoted:
            return quoted.group(1)[1:-1]
        return value.split(" #")[0].strip()

    def node(indent):
        skip()
        return sequence(indent) if lines[at][1].startswith("- ") else mapping(indent)

    def literal(indent):
        nonlocal at
        block = []
        while at < len(lines) and (not lines[at][1] or lines[at][0] > indent):
            block.append(lines[at][2])
            at += 1
        while block and not block[-1].strip():
            block.pop()
        margin = min(len(b) - len(b.lstrip(" ")) for b in block if b.strip())
        return "\n".join(b[margin:] for b in block) + "\n"

    def mapping(indent):
        nonlocal at
        found = {}
        while True:
            skip()
            if at >= len(lines) or lines[at][0] < indent:
                return found
            assert lines[at][0] == indent, f"line {at + 1}: indented {lines[at][0]}, expected {indent}"
            match = KEY.match(lines[at][1])
            assert match, f"line {at + 1}: not 'key: value': {lines[at][1]!r}"
            key, value = scalar(match.group(1)), match.group(2) or ""
            assert key not in found, f"line {at + 1}: '{key}' twice"
            at += 1
            if value == "|":
                found[key] = literal(indent)
            elif value and not value.startswith("#"):
                found[key] = scalar(value)
            else:
                skip()
                assert at < len(lines) and lines[at][0] > indent, f"'{key}' has no value"
                found[key] = node(lines[at][0])

    def sequence(indent):
        nonlocal at
        items = []
        while True:
            skip()
            if at >= len(lines) or lines[at][0] != indent or not lines[at][1].startswith("- "):
                return items
            rest = lines[at][1][2:]
            if KEY.match(rest):           # "- key: value" opens a mapping two columns in
                lines[at][0], lines[at][1] = indent + 2, rest
                items.append(mapping(indent + 2))
            else:
                items.append(scalar(rest))
                at += 1

    result = node(0)
    skip()
    assert at == len(lines), f"line {at + 1} was not read: {lines[at][2]!r}"
    return result


@pytest.fixture(scope="module")
def workflow():
    return parse_yaml(classroom.WORKFLOW.read_text())


def steps_of(workflow):
    (job,) = workflow["jobs"].values()
    return job["steps"]


def step(workflow, name):
    return next(s for s in steps_of(workflow) if s.get("name") == name)


def test_the_parser_reads_what_it_is_given():
    text = 'a: 1  # one\n"on":\n  - push\nlist:\n  - k: "v # not a comment"\n    m: |\n      x\n        y\n'
    assert parse_yaml(text) == {"a": "1", "on": ["push"], "list": [{"k": "v # not a comment",
                                                                    "m": "x\n  y\n"}]}
    with pytest.raises(AssertionError):
        parse_yaml("a:\n  b: 1\n c: 2\n")


def test_the_workflow_is_a_classroom_autograding_workflow(workflow):
    assert workflow["name"] == "Autograding Tests"       # the check run the reporter updates
    assert "push" in workflow["on"] and workflow["permissions"]["checks"] == "write"
    assert {"SOPHIA_KIT_REPO", "SOPHIA_KIT_REF"} <= set(workflow["env"])
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest" and "github-classroom[bot]" in job["if"]
    reporter = steps_of(workflow)[-1]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    runner_id = reporter["with"]["runners"]
    assert runner_id == classroom.RUNNER and step(workflow, "Sophia")["id"] == runner_id
    assert reporter["env"] == {f"{runner_id.upper()}_RESULTS": f"${{{{ steps.{runner_id}.outputs.result }}}}"}


def test_the_kit_is_checked_out_apart_from_the_students_files(workflow):
    steps = steps_of(workflow)
    names = [s.get("name") for s in steps]
    student = step(workflow, "Check out the student's repository")
    kit = step(workflow, "Check out the instructor's kit")
    assert "repository" not in student.get("with", {}) and "path" not in student.get("with", {})
    assert kit["with"]["repository"] == "${{ env.SOPHIA_KIT_REPO }}"
    assert kit["with"]["ref"] == "${{ env.SOPHIA_KIT_REF }}"
    folder = kit["with"]["path"]
    assert folder.strip("./") and not folder.startswith(("exercises", "/"))
    removal = step(workflow, "Remove any copy of the kit from the student's files")
    assert f'rm -rf "$GITHUB_WORKSPACE/{folder}"' in removal["run"]
    assert names.index(student["name"]) < names.index(removal["name"]) < names.index(kit["name"])
    grading = step(workflow, "Sophia")
    assert grading["working-directory"] == folder
    assert step(workflow, "Install the kit in its own virtual environment")["working-directory"] == folder
    command = grading["run"]
    assert '.venv/bin/python -m grader --upload "$GITHUB_WORKSPACE/exercises"' in command
    assert "--format classroom" in command
    # the student's repository gives the package under test and nothing else
    assert set(re.findall(r"\$GITHUB_WORKSPACE/([\w.-]+)", command)) == {"exercises"}


def run_step(workflow, name, workspace, temp):
    """Run a step's script the way a GitHub-hosted runner does (bash -eo pipefail); returns
    (the finished process, what it wrote to $GITHUB_OUTPUT)."""
    script, output = temp / "step.sh", temp / "github_output"
    script.write_text(step(workflow, name)["run"])
    output.write_text("")
    folder = step(workflow, name).get("working-directory")
    env = {"PATH": os.environ["PATH"], "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(temp),
           "GITHUB_OUTPUT": str(output), **workflow["env"]}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                          cwd=workspace / folder if folder else workspace, env=env,
                          capture_output=True, text=True, timeout=300)
    return done, output.read_text()


def student_repository(root):
    """A student's repository: the handout's layout, initializers.py solved, and a grader/ and a
    .sophia-kit/ of the student's own that would give full marks if they were run."""
    shutil.copytree(NAMED["exercises"], root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(NAMED["solutions"] / "initializers.py", root / "exercises" / "initializers.py")
    for fake in (root / "grader", root / ".sophia-kit" / "grader"):
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text("")
        (fake / "__main__.py").write_text("print('Points 999/999')\n")
    return root


def test_the_workflow_grades_a_partly_solved_repository_with_the_kits_checks(workflow, tmp_path):
    workspace, temp = student_repository(tmp_path / "workspace"), tmp_path / "temp"
    temp.mkdir()
    folder = step(workflow, "Check out the instructor's kit")["with"]["path"]
    done, _ = run_step(workflow, "Remove any copy of the kit from the student's files", workspace, temp)
    assert done.returncode == 0 and not (workspace / folder).exists()
    (workspace / folder).symlink_to(ROOT)            # the kit's checkout, with its .venv installed
    done, output = run_step(workflow, "Sophia", workspace, temp)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "999" not in done.stdout and "Sophia: grading" in done.stdout
    (line,) = [line for line in output.splitlines() if line.startswith("result=")]
    result = json.loads(base64.b64decode(line.removeprefix("result=")))
    # what notify-classroom.js posts: the tests' scores summed, over max_score
    posted = f"Points {sum(t['score'] for t in result['tests']):g}/{result['max_score']:g}"
    solved = sum(e.points for e in catalog.exercises() if e.module == "initializers")
    assert posted == f"Points {solved:g}/{scoring.max_total():g}"
    by_id = {t["name"].split(":")[0]: t for t in result["tests"]}
    assert by_id["xavier"]["status"] == "pass" and by_id["linear"]["status"] == "fail"
    assert "NotImplementedError" in by_id["linear"]["message"] and result["status"] == "fail"


def test_the_workflow_refuses_symbolic_links_in_exercises(workflow, tmp_path):
    workspace, temp = student_repository(tmp_path / "workspace"), tmp_path / "temp"
    temp.mkdir()
    (workspace / "exercises" / "layers.py").unlink()
    (workspace / "exercises" / "layers.py").symlink_to(ROOT / "exercises" / "layers.py")
    shutil.rmtree(workspace / ".sophia-kit")
    (workspace / ".sophia-kit").symlink_to(ROOT)
    done, output = run_step(workflow, "Sophia", workspace, temp)
    assert done.returncode == 1 and "symbolic links are never graded" in done.stdout
    assert "result=" not in output


def test_format_classroom_gives_each_exercise_its_partial_points(tmp_path):
    outcomes = ["passed"] * 2 + ["failed"] * 5           # 3 points * 2/7 = 0.857...
    checks = [runner.Check(f"t::c{n}", "xavier", f"c{n}", outcome,
                           "" if outcome == "passed" else "wrong scale. Got 2.")
              for n, outcome in enumerate(outcomes)]
    run = runner.Run(folder=Path("package"), seed=0, checks=checks)
    data = classroom.results_json(run, scoring.summarize(run, ["xavier", "he"]))
    xavier, he = data["tests"]
    assert xavier["score"] == 0.86 and xavier["status"] == "fail" and "wrong scale" in xavier["message"]
    assert he["score"] == 0 and he["status"] == "error"        # no check reported: the run failed
    assert data["max_score"] == 5 and data["version"] == 1
