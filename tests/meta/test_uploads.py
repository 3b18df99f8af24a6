"""grader.uploads: one way to read an upload, for ``batch`` and ``gradescope-run`` alike."""
import json
import shutil

import pytest

from grader import batch, gradescope, uploads
from grader.implementation import NAMED
from tests.meta.test_gradescope import scores

SOLVED, STUB = NAMED["solutions"], NAMED["exercises"]


def put(root, files):
    """Write ``files`` ({upload path: source file or text}) under ``root``; returns root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            shutil.copyfile(content, path)
    return root


def graded_text(read, module):
    return (read.folder / module).read_text()


@pytest.mark.parametrize("where", ["", "exercises/", "sophia-main/exercises/", "my work/"],
                         ids=["loose", "exercises_folder", "repository_zip", "any_folder"])
def test_a_module_is_found_wherever_the_upload_holds_it(tmp_path, where):
    upload = put(tmp_path / "upload", {f"{where}layers.py": SOLVED / "layers.py"})
    read = uploads.assemble(upload, tmp_path / "package")
    assert read.used == [f"{where}layers.py"]
    assert graded_text(read, "layers.py") == (SOLVED / "layers.py").read_text()
    assert graded_text(read, "losses.py") == (STUB / "losses.py").read_text(), "not uploaded: the stub"
    assert read.notes[0] == f"files graded: {where}layers.py"


def test_the_shallowest_copy_wins_and_the_deeper_ones_are_noted(tmp_path):
    upload = put(tmp_path / "upload", {"sophia-main/tests/meta/alternatives/layers.py": "# deep\n",
                                       "sophia-main/exercises/layers.py": "# shallow\n"})
    read = uploads.assemble(upload, tmp_path / "package")
    assert graded_text(read, "layers.py") == "# shallow\n"
    assert ("sophia-main/tests/meta/alternatives/layers.py",
            "sophia-main/exercises/layers.py is graded (the shallowest)") in read.ignored


def test_files_under_solutions_are_never_graded_and_the_notes_say_so(tmp_path):
    upload = put(tmp_path / "upload", {"solutions/layers.py": SOLVED / "layers.py",
                                       "exercises/layers.py": STUB / "layers.py",
                                       "solutions/losses.py": SOLVED / "losses.py"})
    read = uploads.assemble(upload, tmp_path / "package")
    assert read.used == ["exercises/layers.py"]
    assert graded_text(read, "layers.py") == (STUB / "layers.py").read_text()
    assert graded_text(read, "losses.py") == (STUB / "losses.py").read_text()
    assert "ignored solutions/layers.py: files under solutions/ are never graded" in read.notes
    assert "ignored solutions/losses.py: files under solutions/ are never graded" in read.notes


def test_the_pristine_init_is_always_used(tmp_path):
    upload = put(tmp_path / "upload", {"exercises/__init__.py": "raise SystemExit('mine')\n",
                                       "exercises/layers.py": SOLVED / "layers.py"})
    read = uploads.assemble(upload, tmp_path / "package")
    assert graded_text(read, "__init__.py") == (STUB / "__init__.py").read_text()
    assert ("exercises/__init__.py", uploads.INIT) in read.ignored
    assert "ignored exercises/__init__.py: the pristine __init__.py is always used" in read.notes


def test_a_tie_at_the_same_depth_is_decided_by_name_and_noted(tmp_path):
    # written b first: the choice must not depend on the order the file system lists them in
    upload = put(tmp_path / "upload", {"b/layers.py": "# b\n", "a/layers.py": "# a\n"})
    read = uploads.assemble(upload, tmp_path / "package")
    assert graded_text(read, "layers.py") == "# a\n"
    assert any(note.startswith("layers.py: 2 copies at the same depth; graded a/layers.py")
               and "b/layers.py" in note for note in read.notes), read.notes


def test_stray_files_and_symbolic_links_are_listed_not_graded(tmp_path):
    upload = put(tmp_path / "upload", {"README.md": "hi", "notes/plan.txt": "x", "helpers.py": "x = 1\n",
                                       "__pycache__/layers.cpython-311.pyc": "junk"})
    (upload / "layers.py").symlink_to(SOLVED / "layers.py")
    read = uploads.assemble(upload, tmp_path / "package")
    assert read.used == [] and read.notes[0] == "files graded: none (no module of the package found)"
    assert read.stray == ["README.md", "helpers.py", "notes/plan.txt"]
    assert read.notes[-1] == "not modules of the package, not graded: README.md, helpers.py, notes/plan.txt"
    assert ("layers.py", "symbolic links are never graded") in read.ignored
    assert graded_text(read, "layers.py") == (STUB / "layers.py").read_text()


def test_the_same_files_score_the_same_in_batch_and_on_gradescope(tmp_path):
    # a repository's layout for one, loose files in a folder for the other: same modules
    files = {"layers.py": SOLVED / "layers.py", "activations.py": SOLVED / "activations.py",
             "losses.py": "def oops(:\n"}
    student = put(tmp_path / "class" / "ada", {f"ada-main/exercises/{k}": v for k, v in files.items()})
    upload = put(tmp_path / "submission", files)
    row, _ = batch.grade_one(student, 3, "version")
    gradescope.grade_upload(upload, tmp_path / "results.json", seed=3)
    tests = json.loads((tmp_path / "results.json").read_text())["tests"]
    on_gradescope = scores({"tests": tests})
    in_batch = {k: row[k] for k in on_gradescope}
    assert in_batch == on_gradescope
    assert in_batch["linear"] == 6 and in_batch["cross_entropy"] == 0 and 0 < row["score"] < row["max_score"]


def test_the_command_line_grades_an_upload_as_the_platforms_do(tmp_path, capsys):
    from grader import cli
    upload = put(tmp_path / "up", {"sophia-main/exercises/layers.py": SOLVED / "layers.py",
                                   "sophia-main/exercises/__init__.py": "raise SystemExit",
                                   "sophia-main/solutions/losses.py": SOLVED / "losses.py"})
    assert cli.main(["check", "linear", "cross_entropy", "--upload", str(upload)]) == 0
    captured = capsys.readouterr()
    assert "files graded: sophia-main/exercises/layers.py" in captured.err
    assert "ignored sophia-main/solutions/losses.py: files under solutions/ are never graded" in captured.err
    assert "linear         passed" in captured.out and "cross_entropy  not started" in captured.out
    assert cli.main(["--upload", str(tmp_path / "nowhere")]) == 2
    assert "upload folder not found" in capsys.readouterr().err
