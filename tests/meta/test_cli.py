"""The student's commands: bad input, hint, reset, watch, seed and --fail-under.

Grading commands run on copies of the solutions and stubs in tmp_path; the kit's
own folders are never written.
"""
import shutil

import pytest

from grader import catalog, cli, hints, runner, watch
from grader.build import BEGIN, END
from grader.implementation import NAMED


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("SOPHIA_STATE", str(tmp_path / "state"))
    return tmp_path / "state"


def copy_of(name, tmp_path):
    folder = tmp_path / name
    shutil.copytree(NAMED[name], folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("argv, phrase", [
    (["hnit", "linear"], "unknown command 'hnit' (did you mean 'hint'?)"),
    (["check", "lineer"], "unknown exercise 'lineer' (did you mean 'linear'?)"),
    (["hint", "sigmod"], "unknown exercise 'sigmod' (did you mean 'sigmoid'?)"),
    (["reset", "tahn"], "unknown exercise 'tahn' (did you mean 'tanh'?)"),
    (["check", "linear", "--submission", "/no/such/folder"], "submission folder not found"),
    (["--impl", "/no/such/folder"], "submission folder not found"),
    (["check", "linear", "--sed", "3"], "unrecognized arguments: --sed"),
    (["batch", "/no/such/folder", "--csv", "x.csv"], "submissions folder not found"),
    (["batch", "."], "the following arguments are required: --csv"),
    (["watch", "--rounds", "0"], "expected a whole number >= 1"),
    (["validate", "--exercise", "lnear"], "did you mean 'linear'"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, phrase):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and phrase in err, err


def test_hints_get_more_specific_and_are_remembered_outside_the_package(capsys, state):
    exercise = catalog.get("linear")
    before = tree(NAMED["exercises"])
    for asked in range(1, len(exercise.hints) + 2):
        assert cli.main(["hint", "linear"]) == 0
        out = capsys.readouterr().out
        shown = min(asked, len(exercise.hints))
        assert out.count("  hint ") == shown
        assert exercise.hints[shown - 1] in out
    assert hints.load() == {"linear": len(exercise.hints)}
    assert (state / "hints.json").is_file() and tree(NAMED["exercises"]) == before
    assert cli.main(["hint", "linear", "--reset"]) == 0 and hints.load() == {}


def test_a_damaged_hint_file_counts_as_empty(capsys, state):
    state.mkdir()
    (state / "hints.json").write_text("{not json")
    assert cli.main(["hint", "linear"]) == 0
    assert "hint 1/" in capsys.readouterr().out


def solution_lines(module):
    text, inside, lines = (NAMED["solutions"] / f"{module}.py").read_text(), False, []
    for line in text.splitlines():
        inside = bool(BEGIN.match(line)) or (inside and not END.match(line))
        if inside and len(line.split("#")[0].strip()) > 30:
            lines.append(line.split("#")[0].strip())
    return lines


@pytest.mark.parametrize("exercise", catalog.exercises(), ids=lambda e: e.id)
def test_no_hint_pastes_a_line_of_the_solution(exercise):
    pasted = [line for line in solution_lines(exercise.module)
              for hint in exercise.hints if line in hint]
    assert not pasted, f"a hint of {exercise.id} contains solution code: {pasted}"


def test_reset_restores_only_the_exercise_and_keeps_a_backup(tmp_path, capsys, state):
    folder = copy_of("solutions", tmp_path)
    original = (folder / "activations.py").read_text()
    assert cli.main(["reset", "sigmoid", "--submission", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "reset Sigmoid.forward, Sigmoid.backward in" in out
    text = (folder / "activations.py").read_text()
    assert 'raise NotImplementedError("Sigmoid.forward")' in text
    assert 'raise NotImplementedError("Tanh.forward")' not in text
    (backup,) = (state / "backups").iterdir()
    assert backup.read_text() == original
    result = runner.run(folder, exercises=["sigmoid", "tanh"])
    outcomes = {(c.exercise, c.outcome) for c in result.checks}
    assert outcomes == {("sigmoid", "not_started"), ("tanh", "passed")}


def test_reset_of_the_only_exercise_of_a_file_gives_the_pristine_stub(tmp_path, capsys):
    folder = copy_of("solutions", tmp_path)
    assert cli.main(["reset", "linear", "--submission", str(folder)]) == 0
    assert (folder / "layers.py").read_text() == (NAMED["exercises"] / "layers.py").read_text()


def test_reset_of_a_file_that_does_not_parse_changes_nothing(tmp_path, capsys, state):
    """Other exercises' code in the file is never reset behind the student's back."""
    folder = copy_of("solutions", tmp_path)
    broken = (folder / "layers.py").read_text() + "\ndef broken(:\n"
    (folder / "layers.py").write_text(broken)
    assert cli.main(["reset", "linear", "--submission", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "nothing changed" in err and "does not parse (line" in err and "--whole-file" in err, err
    assert (folder / "layers.py").read_text() == broken
    assert cli.main(["reset", "linear", "--whole-file", "--submission", str(folder)]) == 0
    assert "reset the whole module" in capsys.readouterr().out
    assert (folder / "layers.py").read_text() == (NAMED["exercises"] / "layers.py").read_text()
    (kept,) = (state / "backups").iterdir()
    assert kept.read_text() == broken


def test_backups_list_in_time_order_and_restore(tmp_path, capsys, state):
    folder = copy_of("solutions", tmp_path)
    solved = (folder / "activations.py").read_text()
    assert cli.main(["reset", "sigmoid", "--submission", str(folder)]) == 0
    assert cli.main(["reset", "tanh", "--submission", str(folder)]) == 0
    capsys.readouterr()
    assert cli.main(["reset", "--list"]) == 0
    names = [line for line in capsys.readouterr().out.splitlines() if line.endswith(".py")]
    assert len(names) == 2 and names == sorted(names) and all(n.endswith("-activations.py") for n in names)
    assert cli.main(["reset", "--restore", names[0], "--submission", str(folder)]) == 0
    assert (folder / "activations.py").read_text() == solved
    assert len(list((state / "backups").iterdir())) == 3          # the file it replaced, kept too
    assert cli.main(["reset", "--restore", "nope.py", "--submission", str(folder)]) == 2


def test_reset_refuses_the_solutions(capsys):
    assert cli.main(["reset", "linear", "--impl", "solutions"]) == 2
    assert "refusing" in capsys.readouterr().err


def test_grading_never_writes_into_the_submission(tmp_path, capsys):
    folder = copy_of("exercises", tmp_path)
    before = tree(folder)
    assert cli.main(["check", "linear", "--submission", str(folder), "--no-colour"]) == 0
    assert tree(folder) == before


def test_seed_is_in_the_terminal_report_and_the_json(tmp_path, capsys):
    out_json = tmp_path / "results.json"
    assert cli.main(["check", "linear", "--impl", "solutions", "--seed", "7",
                     "--json", str(out_json), "--no-colour"]) == 0
    assert "(seed 7)" in capsys.readouterr().out
    assert "seed 7" in out_json.read_text()


def test_fail_under(capsys):
    assert cli.main(["check", "linear", "--impl", "solutions", "--fail-under", "100"]) == 0
    assert cli.main(["check", "linear", "--impl", "exercises", "--fail-under", "1"]) == 1


def test_watch_stays_on_the_current_exercise_and_moves_on_when_it_passes(tmp_path, monkeypatch):
    folder = copy_of("solutions", tmp_path)
    path = folder / "layers.py"
    solved = path.read_text()
    path.write_text(solved.replace("x.T @ dout", "dout.T @ x"))
    calls, written = [], []
    real_run = runner.run

    def spy(impl, exercises=None, **kw):
        calls.append(exercises)
        return real_run(impl, exercises=exercises, **kw)

    def fix_it(seconds):
        path.write_text(solved)
    monkeypatch.setattr(watch.runner, "run", spy)
    before = set(tree(folder))
    assert watch.watch(folder, rounds=3, write=written.append, clear=True, colour=False,
                       sleep=fix_it) == 0
    rounds = "".join(written).split(watch.CLEAR)[1:]
    assert calls[0] is None and calls[1] == ["linear"] and calls[2] is None
    assert "next: linear:" in rounds[0] and "transposed?" in rounds[0]
    assert rounds[1].startswith("linear passes: on to the next exercise.")
    assert "next: nothing left, every exercise passes" in rounds[1]
    assert set(tree(folder)) == before


def test_a_grading_is_cancelled_when_a_file_changes():
    import time
    started = time.monotonic()
    with pytest.raises(runner.Cancelled):
        runner.run("solutions", cancel=lambda: time.monotonic() - started > 0.5)
    assert time.monotonic() - started < 5


def test_outcomes_reach_the_progress_display_while_the_judge_runs():
    from pathlib import Path

    def judges():
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                found += [cmdline] if b"--sophia-events" in cmdline.read_bytes() else []
            except OSError:          # a process that ended meanwhile
                continue
        return found
    seen = []
    runner.run("solutions", exercises=["linear"], on_check=lambda check: seen.append(bool(judges())))
    assert len(seen) > 1 and seen[0], "the first outcome came after its judge had ended"


def test_check_takes_several_ids_and_file_names(monkeypatch, capsys):
    graded = []
    monkeypatch.setattr(runner, "run", lambda impl, exercises=None, **kw: graded.append(exercises)
                        or runner.Run(folder=NAMED["exercises"], seed=0))
    cli.main(["check", "layers.py", "relu", "--no-colour"])
    cli.main(["check", "exercises/losses.py", "--no-colour"])
    capsys.readouterr()
    assert graded == [["linear", "relu"], ["cross_entropy", "hinge", "regularization"]]
    assert cli.main(["check", "layer.py"]) == 2
    assert "unknown exercise 'layer.py'" in capsys.readouterr().err


def test_a_passing_check_does_not_claim_everything_is_done(capsys):
    cli.main(["check", "linear", "--impl", "solutions", "--no-colour"])
    out = capsys.readouterr().out
    assert "nothing left" not in out
    assert "every exercise checked here passes; 'python -m grader' grades them all" in out


def test_points_read_the_same_everywhere_and_next_names_the_file():
    from grader import report, scoring
    checks = [runner.Check(f"n{i}", "cross_entropy", f"c{i}", "passed" if i < 7 else "failed", "x")
              for i in range(8)]                              # 7/8 of 5 points: 4.375
    run = runner.Run(folder=NAMED["exercises"], seed=0, checks=checks)
    results = scoring.summarize(run, ["cross_entropy"])
    text = report.terminal(run, results, colour=False)
    assert " 4.38/5 " in text and "score: 4.38 / 5 " in text, text
    assert "(in exercises/losses.py;" in text


def test_build_exercises_never_overwrites_a_student_s_work_unasked(tmp_path, capsys, state, monkeypatch):
    solutions, exercises = copy_of("solutions", tmp_path), copy_of("exercises", tmp_path)
    monkeypatch.setitem(NAMED, "solutions", solutions)
    monkeypatch.setitem(NAMED, "exercises", exercises)
    solved = (solutions / "layers.py").read_text()
    (exercises / "layers.py").write_text(solved)                 # a student's finished Linear
    assert cli.main(["build-exercises"]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite work in exercises/" in err and "Linear.forward" in err, err
    assert (exercises / "layers.py").read_text() == solved
    assert cli.main(["build-exercises", "--force"]) == 0
    assert "backup of exercises/layers.py" in capsys.readouterr().out
    assert 'raise NotImplementedError("Linear.forward")' in (exercises / "layers.py").read_text()
    (kept,) = (state / "backups").iterdir()
    assert kept.read_text() == solved


def test_build_exercises_updates_stale_stubs_without_asking(tmp_path, capsys, state, monkeypatch):
    solutions, exercises = copy_of("solutions", tmp_path), copy_of("exercises", tmp_path)
    monkeypatch.setitem(NAMED, "solutions", solutions)
    monkeypatch.setitem(NAMED, "exercises", exercises)
    path = solutions / "layers.py"
    path.write_text(path.read_text().replace('"""out = x @ W + b.', '"""out = x @ W + b (affine).', 1))
    assert cli.main(["build-exercises"]) == 0
    assert "updated exercises/layers.py" in capsys.readouterr().out
    assert "(affine)" in (exercises / "layers.py").read_text()
