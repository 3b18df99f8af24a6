"""``grader.train_cli``: trains the solutions to the target and draws the PNG;
names the missing exercise (no traceback) on the pristine stubs."""
import re
import subprocess
import sys

from grader.implementation import ROOT


def planted(tmp_path, module, old, new):
    from tests.meta.planting import plant
    return plant(tmp_path, module, old, new)


def train(impl, *args):
    return subprocess.run([sys.executable, "-m", "grader", "train", *args, f"--impl={impl}"],
                          cwd=ROOT, check=False, capture_output=True, text=True, timeout=120)


def final_accuracy(stdout):
    last = stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"accuracy: (\d\.\d{3}) \(the milestone asks for 0\.\d+: (reached|not yet)\)", last)
    assert match, f"last line is not 'accuracy: 0.xxx (the milestone asks for ...)': {last!r}"
    return float(match.group(1))


def test_train_mlp_solutions_reaches_target_and_plots(tmp_path):
    png = tmp_path / "mlp.png"
    done = train("solutions", "mlp", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    assert final_accuracy(done.stdout) >= 0.98
    assert re.search(r"step +\d+/1000 +loss \d", done.stdout), "no progress lines"
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
    assert "[Linear(20) > Tanh] × 2 > Linear > Softmax" in done.stdout
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


def test_plot_into_a_missing_folder_fails_before_training(tmp_path):
    done = train("solutions", "mlp", "--plot", str(tmp_path / "no" / "such" / "out.png"))
    assert done.returncode == 2 and "step" not in done.stdout
    assert done.stderr.strip().count("\n") == 0 and "does not exist" in done.stderr, done.stderr


def test_a_rising_loss_asks_about_the_update_sign(tmp_path):
    folder = planted(tmp_path, "training", "layer.params[name] -= lr * layer.grads[name]",
                     "layer.params[name] += lr * layer.grads[name]")
    done = train(folder, "mlp", "--steps", "200", "--lr", "0.1")
    assert done.returncode == 1, done.stdout
    assert "update sign?" in done.stdout and "python -m grader check training" in done.stdout


def test_the_summary_describes_the_model_the_code_built(tmp_path):
    folder = planted(tmp_path, "models", "layers.append(ACTIVATIONS[activation]())",
                     "layers.append(ACTIVATIONS['relu']())")
    done = train(folder, "mlp", "--activation", "tanh", "--steps", "50")
    assert "Linear(100) > ReLU > Linear > Softmax: trained in" in done.stdout, done.stdout


def test_train_with_adam_reaches_its_target_and_validates(tmp_path):
    png = tmp_path / "adam.png"
    done = train("solutions", "mlp", "--optim", "adam", "--validate", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    assert "batches of 100, adam" in done.stdout
    assert final_accuracy(done.stdout) >= 0.97
    assert "(the milestone asks for 0.97: reached)" in done.stdout
    report = re.search(r"validation: 60 held-out points \(20%, stratified\), accuracy (\d\.\d+)\n"
                       r" +class +precision +recall +f1 +support\n((?: +\d .*\n){3})"
                       r" +macro .*\n *weighted .*\n"
                       r"confusion matrix \(rows: true class, columns: predicted\):\n"
                       r"((?: +\d+ +\d+ +\d+\n){3})",
                       done.stdout)
    assert report, done.stdout
    assert float(report.group(1)) >= 0.9
    counts = [[int(c) for c in row.split()] for row in report.group(3).splitlines()]
    assert [sum(row) for row in counts] == [20, 20, 20], "rows are the true classes, 20 each"
    assert png.stat().st_size > 30_000           # boundary, loss and confusion matrix


def test_every_optimizer_and_schedule_trains(tmp_path):
    png = tmp_path / "compare.png"
    done = train("solutions", "mlp", "--optim", "all", "--steps", "600", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    lines = re.findall(r"^(\w+) +accuracy (\d\.\d{3}) +final loss", done.stdout, re.M)
    assert [name for name, _ in lines] == ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]
    assert all(float(acc) >= 0.9 for _, acc in lines), lines
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for schedule in ("step", "exponential", "cosine", "warmup"):
        done = train("solutions", "mlp", "--optim", "momentum", "--schedule", schedule, "--steps", "600")
        assert done.returncode == 0 and f"momentum with a {schedule} schedule" in done.stdout, done.stdout
        assert final_accuracy(done.stdout) >= 0.9, (schedule, done.stdout)


def test_a_rising_loss_with_an_optimizer_names_its_exercise(tmp_path):
    folder = planted(tmp_path, "optim", "        p -= lr * m_hat / (np.sqrt(v_hat) + self.eps)",
                     "        p += lr * m_hat / (np.sqrt(v_hat) + self.eps)")
    done = train(folder, "mlp", "--optim", "adam", "--steps", "300")
    assert done.returncode == 1, done.stdout
    assert "update sign?" in done.stdout and "python -m grader check adam" in done.stdout


def test_train_with_batchnorm_and_dropout():
    done = train("solutions", "mlp", "--batchnorm", "--dropout", "0.2", "--steps", "300")
    assert done.returncode == 0, done.stderr
    assert "Linear(100) > BatchNorm1d > ReLU > Dropout > Linear > Softmax: trained in" in done.stdout
    assert final_accuracy(done.stdout) >= 0.9, done.stdout
    done = train("solutions", "mlp", "--layernorm", "--lr", "0.3", "--steps", "300")
    assert done.returncode == 0 and "Linear(100) > LayerNorm > ReLU > Linear" in done.stdout, done.stdout
    done = train("solutions", "mlp", "--dropout", "1.5")
    assert done.returncode == 2 and "expected a probability in [0, 1), got '1.5'" in done.stderr


def test_deep_sigmoid_network_trains_with_batchnorm_only(tmp_path):
    png = tmp_path / "norm.png"
    done = train("solutions", "deep", "--compare-norm", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    runs = dict(re.findall(r"^(no norm|batchnorm) +accuracy (\d\.\d{3})", done.stdout, re.M))
    assert float(runs["batchnorm"]) >= 0.95 and float(runs["no norm"]) <= 0.8, done.stdout
    assert "[Linear(32) > BatchNorm1d > Sigmoid] × 4 > Linear > Softmax: trained in" in done.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_loss_that_falls_then_blows_up_asks_for_a_lower_lr():
    done = train("solutions", "mlp", "--layernorm")        # lr 1.0 is too large with LayerNorm here
    assert done.returncode == 1, done.stdout
    assert "the loss rose again" in done.stdout and "lower --lr" in done.stdout
    assert "update sign?" not in done.stdout


def test_train_cnn_on_the_digits_reaches_its_target_and_draws_what_it_learned(tmp_path):
    png = tmp_path / "cnn.png"
    done = train("solutions", "cnn", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    assert "training cnn on 1437 digits (360 held out)" in done.stdout
    assert ("Conv2d(16, 3×3) > ReLU > MaxPool2d > Conv2d(32, 3×3) > ReLU > MaxPool2d > Flatten > "
            "Linear > Softmax: trained in") in done.stdout
    assert final_accuracy(done.stdout) >= 0.95, done.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 40_000
    done = train("exercises", "cnn")
    assert done.returncode == 1 and "not written yet" in done.stdout, done.stdout


def test_train_lstm_learns_the_text_and_samples_it(tmp_path):
    png = tmp_path / "lstm.png"
    done = train("solutions", "lstm", "--steps", "300", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    samples = re.findall(r"^sample at temperature (0\.3|0\.7|1\.2): '(.*)'$", done.stdout, re.M)
    assert [t for t, _ in samples] == ["0.3", "0.7", "1.2"], done.stdout
    assert all(text.startswith("Four score") and len(text) >= 160 for _, text in samples)  # \\n shown as 2
    assert final_accuracy(done.stdout) >= 0.9, done.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    done = train("exercises", "rnn")
    assert done.returncode == 1 and "not written yet" in done.stdout, done.stdout
