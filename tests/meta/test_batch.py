"""``batch``: a class graded in parallel, one CSV row each, broken submissions included."""
import csv
import io
import shutil

from grader import batch, catalog, cli
from grader.implementation import NAMED


def make_class(root):
    """solved/ (the package), stub/ (a folder holding exercises/), broken/, empty/."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(NAMED["solutions"], root / "solved", ignore=ignore)
    shutil.copytree(NAMED["exercises"], root / "stub" / "exercises", ignore=ignore)
    shutil.copytree(NAMED["solutions"], root / "broken", ignore=ignore)
    (root / "broken" / "numgrad.py").write_text("def oops(:\n")
    (root / "empty").mkdir()
    (root / "notes.txt").write_text("not a submission")
    return root


def test_batch_writes_one_row_per_student_and_survives_broken_ones(tmp_path):
    root = make_class(tmp_path / "class")
    progress = io.StringIO()
    rows = batch.batch(root, tmp_path / "grades.csv", jobs=2, seed=5, progress=progress)
    with open(tmp_path / "grades.csv", newline="") as f:
        table = {row["student"]: row for row in csv.DictReader(f)}
    assert [r["student"] for r in rows] == sorted(table) == ["broken", "empty", "solved", "stub"]
    most = sum(e.points for e in catalog.exercises())
    solved, stub, broken, empty = (table[k] for k in ("solved", "stub", "broken", "empty"))
    assert float(solved["score"]) == most and float(solved["percent"]) == 100.0
    assert all(float(solved[e.id]) == e.points for e in catalog.exercises())
    assert float(stub["score"]) == 0 and stub["status"] == "graded"
    assert float(broken["numgrad"]) == 0 and float(broken["linear"]) == 6
    assert 0 < float(broken["score"]) < most
    assert empty["status"] == "error" and "not a package folder" in empty["note"]
    assert {row["seed"] for row in table.values()} == {"5"}
    assert len(progress.getvalue().splitlines()) == 4 and "4/4 " in progress.getvalue()
    text = "\n".join(batch.summary(rows))
    assert "4 submissions, 1 with errors" in text and "median" in text
    assert text.count("|") == 10


def test_batch_command_prints_the_summary_and_the_seed(tmp_path, capsys):
    root = tmp_path / "class"
    shutil.copytree(NAMED["solutions"], root / "only", ignore=shutil.ignore_patterns("__pycache__"))
    out_csv = tmp_path / "g.csv"
    assert cli.main(["batch", str(root), "--csv", str(out_csv), "-j", "1", "--seed", "2",
                     "--json-dir", str(tmp_path / "json")]) == 0
    out = capsys.readouterr().out
    assert "1 submissions, 0 with errors; mean 100.0 %" in out and "(seed 2)" in out
    assert "seed 2" in (tmp_path / "json" / "only.json").read_text()
