"""``python -m grader train {softmax,svm,mlp}``: train the package under test on the spirals.

    python -m grader train mlp --plot out.png            # your exercises/
    python -m grader train softmax --impl solutions      # the reference
    python -m grader train mlp --hidden 100 50 --activation tanh --steps 3000
    python -m grader train mlp --points 1000 --batch-size 300 --steps 4000 --lr 0.5 --reg 1e-4

Ends with the line ``accuracy: 0.987 (the milestone asks for 0.95: reached)`` (training
accuracy). A body you have not
written yet stops the run with the exercise to do next, not a traceback.
"""
import argparse
import functools
import math
from pathlib import Path

import numpy as np

from . import catalog
from .cli import Parser, UsageError, add_target, folder_of, positive
from .fitting import (
    DIGITS_HELD_OUT,
    OPTIM_LR,
    OPTIM_STEPS,
    OPTIM_TARGET,
    PRESETS,
    VAL_FRACTION,
    default_batch,
    default_steps,
    fit,
    fit_cnn,
)
from .implementation import Implementation

INITS = ("he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "small_normal")
SCHEDULES = ("constant", "step", "exponential", "cosine", "warmup")   # optim.make_schedule's names


class Diverged(ArithmeticError):
    """The loss became NaN or infinite, or kept rising."""


RISING_AFTER = 20   # steps after which a loss above 1.5 times its first value is an error


def at_least_two(text):
    value = positive(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 2, got '{text}'")
    return value


def probability(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1), got '{text}'")
    return value


def parser():
    p = Parser(prog="python -m grader train",
               description="Train your network on the spirals (CS231n).")
    p.add_argument("pipeline", choices=sorted(PRESETS),
                   help="Linear > Softmax, Linear > SVM, an MLP, deep: four sigmoid layers "
                        "with BatchNorm (all on the spirals), or cnn: a CNN on the digits")
    p.add_argument("--hidden", type=positive, nargs="*", metavar="H",
                   help="hidden layer sizes (mlp default: 100; none for a linear model)")
    p.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "swish"],
                   help="hidden activation (default relu; deep: sigmoid)")
    p.add_argument("--init", default="he_normal", choices=INITS, help="weight initializer")
    p.add_argument("--steps", type=positive,
                   help=f"training steps (softmax/svm 300, mlp 1000, deep 600; with --optim {OPTIM_STEPS})")
    p.add_argument("--lr", type=float, help="learning rate (default 1.0; with --optim, its own)")
    p.add_argument("--reg", type=float, help="L2 strength (default 1e-3)")
    p.add_argument("--points", type=at_least_two, default=100, help="points per class (3 classes)")
    p.add_argument("--batch-size", type=positive,
                   help="mini-batch size (default: the whole data set; with --optim, 100)")
    p.add_argument("--optim", choices=[*OPTIM_LR, "all"],
                   help="train with your optimizer from optim.py instead of train's own SGD "
                        "(learning rates: " + ", ".join(f"{k} {v:g}" for k, v in OPTIM_LR.items())
                        + "); all: compare them, one loss curve each")
    p.add_argument("--schedule", choices=SCHEDULES, default="constant",
                   help="learning-rate schedule for --optim (default: constant)")
    p.add_argument("--validate", action="store_true",
                   help="hold out 20 %% of the points (your train_val_split, stratified), report "
                        "precision/recall/F1 and the confusion matrix on them")
    norms = p.add_mutually_exclusive_group()
    norms.add_argument("--batchnorm", dest="norm", action="store_const", const="batchnorm",
                       default="preset",
                       help="your BatchNorm1d after every hidden Linear (deep: the default)")
    norms.add_argument("--layernorm", dest="norm", action="store_const", const="layernorm",
                       help="your LayerNorm after every hidden Linear")
    norms.add_argument("--no-norm", dest="norm", action="store_const", const=None,
                       help="no normalization layer")
    norms.add_argument("--compare-norm", action="store_true",
                       help="train without and with BatchNorm: one loss curve each")
    p.add_argument("--dropout", type=probability, default=0.0, metavar="P",
                   help="your Dropout(P) after every hidden activation")
    add_target(p)          # --impl/--submission, and --seed: the seed of the data and weights
    p.add_argument("--plot", metavar="FILE",
                   help="write the decision boundary and loss curve as PNG")
    return p


def missing_exercise(error):
    """One line naming the exercise that owns the unwritten body, and how to check it."""
    qualname = error.args[0] if error.args else "?"
    owner = catalog.owner_of(qualname)
    if owner is None:
        return f"not written yet: {qualname} (raises NotImplementedError)"
    return (f"not written yet: {qualname}, part of exercise '{owner.id}' ({owner.title}); "
            f"check it with: python -m grader check {owner.id}")


def watchdog(steps, update_exercise):
    """on_step(step, loss): prints progress, raises Diverged on a loss that explodes or rises."""
    every, first, lowest = max(1, steps // 10), [], [math.inf]

    def on_step(step, loss):
        if not first:
            first.append(loss)
        lowest[0] = min(lowest[0], loss)
        if not math.isfinite(loss) or loss > 1000 * max(1.0, first[0]):
            raise Diverged(f"the loss diverged (loss {loss:.4g} at step {step}, {first[0]:.4g} at "
                           f"step 1): lower --lr, or check your gradients "
                           f"(python -m grader check sequential)")
        if step >= RISING_AFTER and loss > 1.5 * first[0]:
            if lowest[0] < 0.5 * first[0]:          # it learned, then blew up: steps too large
                raise Diverged(f"the loss rose again (loss {loss:.4g} at step {step}, after "
                               f"{lowest[0]:.4g}; {first[0]:.4g} at step 1): the steps are too "
                               f"large for this model: lower --lr")
            raise Diverged(f"the loss rises (loss {loss:.4g} at step {step}, {first[0]:.4g} at step 1): "
                           f"update sign? each step must move every parameter against its gradient "
                           f"(python -m grader check {update_exercise})")
        if step == 1 or step % every == 0:
            print(f"step {step:>6}/{steps}  loss {loss:.4f}", flush=True)
    return on_step


def update_exercise(optim):
    """The exercise whose code moves the parameters: train's SGD, or the optimizer's update."""
    if not optim:
        return "training"
    owner = catalog.owner_of({"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "rmsprop": "RMSprop",
                              "adam": "Adam", "adamw": "AdamW"}[optim] + ".update")
    return owner.id


def runs_of(args):
    """[(label, fit options)]: one run, or one per optimizer (--optim all), or without and with
    BatchNorm (--compare-norm)."""
    if args.optim == "all":
        return [(name, {"optim": name}) for name in OPTIM_LR]
    if args.compare_norm:
        return [(norm or "no norm", {"optim": args.optim, "norm": norm})
                for norm in (None, "batchnorm")]
    return [(None, {"optim": args.optim, "norm": args.norm})]


def main(argv):
    """python -m grader train PIPELINE [options]: the exit status."""
    args = parser().parse_args(argv)
    if args.plot and not Path(args.plot).resolve().parent.is_dir():
        raise UsageError(f"--plot {args.plot}: the folder {Path(args.plot).resolve().parent} does "
                         f"not exist (nothing was trained)")
    impl = Implementation(folder_of(args))
    data = PRESETS[args.pipeline].get("data", "spirals")
    trainer = {"spirals": train_spirals, "digits": train_cnn, "text": train_text}[data]
    try:
        with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported by on_step
            return trainer(args, impl)
    except NotImplementedError as error:
        print(missing_exercise(error), flush=True)
    except Diverged as error:
        print(str(error), flush=True)
    return 1


def train_spirals(args, impl):
    """softmax, svm, mlp, deep: one run, or a comparison, on the spirals."""
    options = dict(hidden=args.hidden, activation=args.activation, lr=args.lr, reg=args.reg,
                   seed=args.seed, points=args.points, batch_size=args.batch_size,
                   weight_init=args.init, schedule=args.schedule, validate=args.validate,
                   dropout=args.dropout)
    if args.optim == "all" and args.reg is None:
        options["reg"] = 0.0     # the curves compare optimization, not the penalty's floor
    results = {}
    for label, run in runs_of(args):
        steps = args.steps or default_steps(args.pipeline, run["optim"])
        batch = args.batch_size or default_batch(args.pipeline, run["optim"])
        batch = "full batch" if not batch or batch >= 3 * args.points else f"batches of {batch}"
        how = "".join(f", {part}" for part in (run["optim"], label if args.compare_norm else None) if part)
        how += f" with a {args.schedule} schedule" if args.schedule != "constant" and run["optim"] else ""
        where = f"{3 * args.points} spiral points" + (f" less {VAL_FRACTION:.0%} held out"
                                                     if args.validate else "")
        print(f"training {args.pipeline} on {where}, {steps} steps, "
              f"{batch}{how} ({impl.folder})", flush=True)
        results[label] = fit(impl, args.pipeline, steps=steps, **run, **options,
                             on_step=watchdog(steps, update_exercise(run["optim"])))
        result = results[label]
        print(f"{result.description}: trained in {result.seconds:.2f} s", flush=True)
        if args.validate:
            from .classification import classification_report
            print(classification_report(impl, result), flush=True)
    if len(results) > 1:
        return compare(args, results)
    result = results[None]
    if args.plot:
        from .plots import save_training_plot
        predict = functools.partial(impl.training.predict, result.model)
        confusion = None
        if args.validate:
            confusion = impl.metrics.confusion_matrix(result.y_val, predict(result.X_val), 3)
        save_training_plot(args.plot, predict, result.X, result.y, result.history,
                           result.description, accuracy=result.accuracy, confusion=confusion)
        print(f"wrote {args.plot}", flush=True)
    target = OPTIM_TARGET if args.optim else PRESETS[args.pipeline]["target"]
    print(f"accuracy: {result.accuracy:.3f} (the milestone asks for {target:g}: "
          f"{'reached' if result.accuracy >= target else 'not yet'})", flush=True)
    return 0


def train_cnn(args, impl):
    """python -m grader train cnn: build_cnn on the digits with your Adam, judged on held-out digits."""
    preset = PRESETS["cnn"]
    steps = args.steps or preset["steps"]
    print(f"training cnn on {1797 - DIGITS_HELD_OUT} digits ({DIGITS_HELD_OUT} held out), {steps} "
          f"steps, batches of {args.batch_size or preset['batch']}, {preset['optim']} "
          f"({impl.folder})", flush=True)
    result = fit_cnn(impl, steps=steps, lr=args.lr, seed=args.seed, batch_size=args.batch_size,
                     batchnorm=args.norm == "batchnorm",
                     on_step=watchdog(steps, update_exercise(preset["optim"])))
    print(f"{result.description}: trained in {result.seconds:.2f} s; training accuracy "
          f"{result.accuracy:.3f}, validation accuracy {result.val_accuracy:.3f} on "
          f"{len(result.y_val)} held-out digits", flush=True)
    if args.plot:
        from .plots import save_cnn_plot
        labels = impl.training.predict(result.model, result.X_val)
        save_cnn_plot(args.plot, result.model, result.history, result.X_val, result.y_val, labels,
                      result.description)
        print(f"wrote {args.plot}", flush=True)
    target = preset["target"]
    print(f"accuracy: {result.val_accuracy:.3f} (the milestone asks for {target:g}: "
          f"{'reached' if result.val_accuracy >= target else 'not yet'})", flush=True)
    return 0


def train_text(args, impl):
    """python -m grader train lstm|rnn: a character-level model of data/text.py, then samples."""
    from .char_model import fit_text
    preset = PRESETS[args.pipeline]
    steps = args.steps or preset["steps"]
    print(f"training a character-level {args.pipeline.upper()} on data/gettysburg.txt, {steps} steps "
          f"of 32 windows of 32 characters, adam ({impl.folder})", flush=True)
    model, losses, accuracy, seconds, alphabet = fit_text(
        impl, preset["cell"], steps=steps, lr=args.lr or preset["lr"], seed=args.seed,
        on_step=watchdog(steps, update_exercise("adam")))
    rng = np.random.default_rng(args.seed)
    prompt = [alphabet.index(ch) for ch in "Four score"]
    samples = {t: "".join(alphabet[k] for k in model.sample(prompt, 150, t, rng))
               for t in (0.3, 0.7, 1.2)}
    print(f"Embedding > {args.pipeline.upper()} > Linear: trained in {seconds:.2f} s", flush=True)
    for temperature, text in samples.items():
        print(f"sample at temperature {temperature}: {text!r}", flush=True)
    if args.plot:
        from .plots import save_comparison_plot
        save_comparison_plot(args.plot, {args.pipeline: losses},
                             f"character-level {args.pipeline.upper()} on the Gettysburg Address")
        print(f"wrote {args.plot}", flush=True)
    target = preset["target"]
    print(f"accuracy: {accuracy:.3f} (the milestone asks for {target:g}: "
          f"{'reached' if accuracy >= target else 'not yet'})", flush=True)
    return 0


def compare(args, results):
    """--optim all or --compare-norm: one line per run, their loss curves in one picture."""
    width = max(len(name) for name in results)
    for name, result in results.items():
        print(f"{name:<{width}}  accuracy {result.accuracy:.3f}  final loss "
              f"{result.history.loss[-1]:.4f}  {result.seconds:.2f} s", flush=True)
    if args.plot:
        from .plots import save_comparison_plot
        what = "optimizers" if args.optim == "all" else "normalizations"
        save_comparison_plot(args.plot, {name: r.history.loss for name, r in results.items()},
                             f"{what} compared: {next(iter(results.values())).description}")
        print(f"wrote {args.plot}", flush=True)
    best = max(results, key=lambda name: results[name].accuracy)
    worst = min(results, key=lambda name: results[name].accuracy)
    print(f"accuracy: {results[worst].accuracy:.3f} to {results[best].accuracy:.3f} "
          f"(lowest {worst}, highest {best})", flush=True)
    return 0
