"""``batch``: a class graded in parallel, joined to a roster, cached, broken submissions included."""
import csv
import io
import json
import re
import shutil

import pytest

from grader import batch, batch_cache, batch_table, catalog, cli, report, roster, scoring
from grader.implementation import NAMED

IGNORE = shutil.ignore_patterns("__pycache__")
ROSTER = "SID,Full Name,Email,Section\nsolved,Ada L,ada@uni.edu,1\nstub,Bo K,bo@uni.edu,1\n" \
         "broken,Cy D,cy@uni.edu,2\nzoe,Zoe M,zoe@uni.edu,2\n"


def make_class(root):
    """solved/ (the package), stub/ (a folder holding exercises/), broken/, empty/, a stray file."""
    shutil.copytree(NAMED["solutions"], root / "solved", ignore=IGNORE)
    shutil.copytree(NAMED["exercises"], root / "stub" / "exercises", ignore=IGNORE)
    shutil.copytree(NAMED["solutions"], root / "broken", ignore=IGNORE)
    (root / "broken" / "numgrad.py").write_text("def oops(:\n")
    (root / "empty").mkdir()
    (root / "notes.txt").write_text("not a submission")
    return root


def read_csv(path):
    with open(path, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once (cache filled), then again from the cache.

    The grader's version is frozen for these runs: other work on the kit's checks while
    this runs would rightly empty the cache (test_grader_version_follows_the_checks).
    """
    tmp = tmp_path_factory.mktemp("batch")
    root = make_class(tmp / "class")
    (tmp / "roster.csv").write_text(ROSTER)
    options = dict(jobs=2, seed=5, json_dir=tmp / "json", roster_path=tmp / "roster.csv",
                   cache_dir=tmp / "cache")
    first_log, again_log = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch_cache, "grader_version", lambda: "frozen")
        first = batch.batch(root, tmp / "first.csv", progress=first_log, **options)
        again = batch.batch(root, tmp / "again.csv", progress=again_log, **options)
    return dict(tmp=tmp, root=root, options=options, first=first, again=again,
               first_log=first_log.getvalue(), again_log=again_log.getvalue())


def test_one_row_per_student_joined_to_the_roster(graded):
    table = read_csv(graded["tmp"] / "first.csv")
    assert sorted(table) == ["broken", "empty", "solved", "stub", "zoe"]
    solved, stub, broken, empty, zoe = (table[k] for k in ("solved", "stub", "broken", "empty", "zoe"))
    assert (solved["name"], solved["email"]) == ("Ada L", "ada@uni.edu")
    assert solved["score"] == report.points(scoring.max_total()) and solved["percent"] == "100", solved
    assert all(solved[e.id] == report.points(e.points) and solved[f"{e.id}_status"] == "passed"
               for e in catalog.exercises())
    assert stub["score"] == "0" and stub["status"] == "graded" and stub["linear_status"] == "not started"
    assert broken["numgrad"] == "0" and broken["numgrad_status"] == "error" and broken["linear"] == "6"
    assert zoe["status"] == "missing" and zoe["score"] == "0" and zoe["name"] == "Zoe M"
    assert zoe["linear_status"] == "missing"
    assert empty["status"] == "empty" and "not in the roster" in empty["note"]
    assert {row["seed"] for name, row in table.items() if name != "zoe"} == {"5"}


def test_strays_unknown_and_missing_students_are_reported(graded):
    first = graded["first"]
    assert first.stray == ["notes.txt"] and first.unknown == ["empty"]
    text = "\n".join(batch_table.summary(first))
    assert "stray files in the submissions folder (not graded): notes.txt" in text
    assert "1 submissions not in the roster: empty" in text
    assert "1 students in the roster without a submission" in text
    assert "4 submissions, 1 with errors, 0 from the cache" in text and text.count("|") == 10
    assert len(graded["first_log"].splitlines()) == 4 and "4/4 " in graded["first_log"]


def test_every_submission_gets_a_results_file_errored_ones_too(graded):
    json_dir = graded["tmp"] / "json"
    assert sorted(p.name for p in json_dir.iterdir()) == ["broken.json", "empty.json", "solved.json",
                                                          "stub.json"]
    assert "no module of the package found" in (json_dir / "empty.json").read_text()
    assert json.loads((json_dir / "solved.json").read_text())["score"] == scoring.max_total()
    assert json.loads((json_dir / "empty.json").read_text())["score"] == 0
    stub = json.loads((json_dir / "stub.json").read_text())["output"]
    assert "files graded: exercises/activations.py" in stub


def test_points_have_at_most_two_decimals_everywhere(graded, tmp_path):
    cells = [v for row in read_csv(graded["tmp"] / "first.csv").values() for v in row.values()]
    assert not [v for v in cells if re.fullmatch(r"-?\d+\.\d{3,}", v)]
    row = {"student": "x", "seed": 0, "status": "graded", "note": "", "score": 4.384615,
           "max_score": 147, "linear": 4.384615, "linear_status": "in progress"}
    batch_table.write_csv(tmp_path / "g.csv", [row])
    written = read_csv(tmp_path / "g.csv")["x"]
    assert (written["score"], written["linear"], written["percent"]) == ("4.38", "4.38", "2.98")


def test_a_rerun_takes_unchanged_submissions_from_the_cache(graded):
    again = graded["again"]
    assert again.cached == 3 and "(cached)" in graded["again_log"]
    assert "3 from the cache" in "\n".join(batch_table.summary(again))
    assert read_csv(graded["tmp"] / "again.csv") == read_csv(graded["tmp"] / "first.csv")


def test_a_changed_submission_is_graded_again(graded, monkeypatch):
    monkeypatch.setattr(batch_cache, "grader_version", lambda: "frozen")
    shutil.copyfile(NAMED["solutions"] / "layers.py", graded["root"] / "stub" / "exercises" / "layers.py")
    result = batch.batch(graded["root"], graded["tmp"] / "third.csv", progress=None, **graded["options"])
    assert result.cached == 2
    stub = read_csv(graded["tmp"] / "third.csv")["stub"]
    assert stub["linear"] == "6" and stub["linear_status"] == "passed"


def test_the_cache_key_follows_the_files_the_seed_and_the_grader(tmp_path):
    for name in ("a", "b"):
        shutil.copytree(NAMED["exercises"], tmp_path / name, ignore=IGNORE)
    same = batch_cache.key(tmp_path / "a", 0, "v1")
    assert batch_cache.key(tmp_path / "b", 0, "v1") == same, "the same files elsewhere: the same key"
    assert batch_cache.key(tmp_path / "a", 1, "v1") != same
    assert batch_cache.key(tmp_path / "a", 0, "v2") != same
    (tmp_path / "b" / "layers.py").write_text("# changed\n")
    assert batch_cache.key(tmp_path / "b", 0, "v1") != same


def test_grader_version_follows_the_checks_not_the_kits_self_tests(tmp_path):
    for name in ("grader", "tests/suites", "tests/meta", "data"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "x.py").write_text("# one\n")
    (tmp_path / "pyproject.toml").write_text("")
    before = batch_cache.grader_version(tmp_path)
    (tmp_path / "tests" / "meta" / "x.py").write_text("# two\n")
    assert batch_cache.grader_version(tmp_path) == before
    (tmp_path / "tests" / "suites" / "x.py").write_text("# two\n")
    assert batch_cache.grader_version(tmp_path) != before


def test_a_roster_without_an_email_column_says_so(tmp_path):
    (tmp_path / "roster.csv").write_text("id,name\nada,Ada\n")
    with pytest.raises(roster.RosterError, match="no 'email' column"):
        roster.read(tmp_path / "roster.csv")
    (tmp_path / "class").mkdir()
    assert cli.main(["batch", str(tmp_path / "class"), "--csv", str(tmp_path / "g.csv"),
                     "--roster", str(tmp_path / "roster.csv")]) == 2


def test_batch_command_prints_the_summary_and_caches_beside_the_csv(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch_cache, "grader_version", lambda: "frozen")
    root = tmp_path / "class"
    shutil.copytree(NAMED["exercises"], root / "only", ignore=IGNORE)     # the stubs grade fastest
    out_csv = tmp_path / "g.csv"
    command = ["batch", str(root), "--csv", str(out_csv), "--seed", "2", "--json-dir", str(tmp_path / "json")]
    assert cli.main(command) == 0
    out = capsys.readouterr().out
    assert "1 submissions, 0 with errors, 0 from the cache; mean 0.0 %" in out and "(seed 2)" in out
    assert "seed 2" in (tmp_path / "json" / "only.json").read_text()
    assert any((tmp_path / ".sophia" / "batch-cache").glob("*.json"))
    assert cli.main(command) == 0
    assert "1 from the cache; mean 0.0 %" in capsys.readouterr().out
