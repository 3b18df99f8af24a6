"""``grader.train_cli``: trains the solutions to the target and draws the PNG;
names the missing exercise (no traceback) on the pristine stubs."""
import re
import subprocess
import sys

from grader.implementation import ROOT


def train(impl, *args):
    return subprocess.run([sys.executable, "-m", "grader", "train", *args, f"--impl={impl}"],
                          cwd=ROOT, check=False, capture_output=True, text=True, timeout=120)


def final_accuracy(stdout):
    last = stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"accuracy: (\d\.\d{3})", last)
    assert match, f"last line is not 'accuracy: 0.xxx': {last!r}"
    return float(match.group(1))


def test_train_mlp_solutions_reaches_target_and_plots(tmp_path):
    png = tmp_path / "mlp.png"
    done = train("solutions", "mlp", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    assert final_accuracy(done.stdout) >= 0.98
    assert re.search(r"step +\d+/2000 +loss \d", done.stdout), "no progress lines"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_train_linear_models_about_one_half():
    for pipeline in ("softmax", "svm"):
        done = train("solutions", pipeline, "--steps", "200")
        assert done.returncode == 0, done.stderr
        assert 0.45 <= final_accuracy(done.stdout) <= 0.6, done.stdout


def test_train_options(tmp_path):
    done = train("solutions", "mlp", "--hidden", "20", "20", "--activation", "tanh", "--steps", "300",
                 "--lr", "0.5", "--reg", "0", "--seed", "3", "--points", "50", "--batch-size", "32",
                 "--init", "xavier_normal")
    assert done.returncode == 0, done.stderr
    assert "Linear(20) > Tanh > Linear(20) > Tanh > Linear > Softmax" in done.stdout
    assert final_accuracy(done.stdout) > 0.6


def test_train_on_stubs_names_the_missing_exercise():
    done = train("exercises", "mlp")
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "not written yet: build_mlp, part of exercise 'mlp'" in done.stdout
    assert "python -m grader check mlp" in done.stdout
    done = train("exercises", "softmax")
    assert done.returncode == 1 and "python -m grader check" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_train_diverging_loss_is_reported():
    done = train("solutions", "mlp", "--lr", "1e6", "--steps", "50")
    assert done.returncode == 1
    assert "lower --lr" in done.stdout and "Traceback" not in done.stderr
