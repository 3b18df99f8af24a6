"""Kit self-test: the frozen known answers of the visible suites agree with the references.

The visible checks (tests/suites) hold literal numbers where a reference would give the answer
away: the values after each optimizer step, the outputs of a normalization or an LSTM on
inputs written by hand, and what each named slip gives on them. The slips' values are never
compared with anything when the suites grade the reference solution (only a student's wrong
answer meets them), and the right answers only to the check's tolerance. Here each frozen
table is recomputed from the trusted references of tests/hidden (or, where none exists, by a
trusted computation in this file) and must agree to the digits it was frozen with; a
disagreement names the table and the entry. Never shipped to students (tests/meta).
"""
import ast
import inspect
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest

from tests.hidden import test_conv as conv_ref
from tests.hidden import test_lstm as lstm_ref
from tests.hidden import test_metrics as metrics_ref
from tests.hidden import test_models as models_ref
from tests.hidden import test_normalization as norm_ref
from tests.hidden import test_optim as optim_ref
from tests.hidden import test_pooling as pool_ref
from tests.suites import test_conv as conv
from tests.suites import test_lstm as lstm
from tests.suites import test_metrics as metrics
from tests.suites import test_models as models
from tests.suites import test_normalization as norm
from tests.suites import test_optim as optim
from tests.suites import test_pooling as pool
from tests.trusted_models import PENALTY, softmax_loss

# ---- comparing a frozen value with its recomputation -------------------------------------------


def assert_frozen(label, frozen, exact, digits=None, decimals=None):
    """Each entry of ``frozen`` is ``exact`` rounded to ``digits`` significant digits (or to
    ``decimals`` places): within half a unit of the last digit kept, and a few units in the last
    place of a float (the reference's own rounding), so that one wrong digit fails. ``label``
    names the table and entry in the message."""
    # full-precision tables (17 digits, from float computations in another order) are held to 14
    frozen, exact = np.asarray(frozen, dtype=np.float64), np.asarray(exact, dtype=np.float64)
    if frozen.shape != exact.shape:
        raise AssertionError(f"{label}: frozen with shape {frozen.shape}, recomputed with shape "
                             f"{exact.shape}.")
    if decimals is None:
        scale = np.maximum(np.abs(exact), 1e-300)
        unit = 10.0 ** (np.floor(np.log10(scale)) - digits + 1)
        rounding = f"{digits} digits"
    else:
        unit, rounding = 10.0 ** -decimals, f"{decimals} decimal places"
    bad = np.abs(frozen - exact) > 0.5 * unit + 4e-15 * np.abs(exact) + 1e-16
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f"[{', '.join(map(str, where))}]" if where else ""
        raise AssertionError(f"{label}{at}: frozen {float(frozen[where])!r}, recomputed "
                             f"{float(exact[where])!r} (frozen to {rounding}); "
                             f"{int(bad.sum())} of {bad.size} entries disagree.")


def assert_same_keys(label, frozen, recomputed):
    """A table holds exactly the entries recomputed here: none unchecked, none missing."""
    missing, unknown = set(recomputed) - set(frozen), set(frozen) - set(recomputed)
    if missing or unknown:
        raise AssertionError(f"{label}: entries not in the frozen table {sorted(missing)}; "
                             f"entries this test does not recompute {sorted(unknown)}.")


def assigned(module, function):
    """The locals a check function assigns without calling the code under test (literal inputs,
    expected arrays, slips' values), evaluated with its module's globals; for inline tables."""
    tree = ast.parse(inspect.getsource(getattr(module, function)))
    namespace = dict(vars(module))
    calls = []
    for node in ast.walk(tree.body[0]):
        if isinstance(node, ast.Assign):
            names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            if not names & {"impl", "layer", "forward", "out", "dx", "got"}:
                exec(compile(ast.Module([node], []), function, "exec"), namespace)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "assert_no_slip":
            calls.append(node)
    slips = []
    for call in calls:          # assert_no_slip(name, got, expected, {cause: wrong})
        table = call.args[3]
        slips.append((eval(compile(ast.Expression(call.args[2]), function, "eval"), namespace),
                      {eval(compile(ast.Expression(k), function, "eval"), namespace):
                       eval(compile(ast.Expression(v), function, "eval"), namespace)
                       for k, v in zip(table.keys, table.values)}))
    return namespace, slips


# ---- optimizers (tests/suites/test_optim.py KNOWN) -----------------------------------------------


def optim_runs():
    """{KNOWN's case: (class, hyperparameters, rates, start, grads, grad scale, extra mistakes,
    shared)}, as the checks of the visible suite run them."""
    runs = {}
    for _, _, cls, hyper in optim.CASES:
        runs[cls] = (cls, hyper, [0.05] * 3, optim.START, optim.GRADS, 1.0, (), False)
        runs[f"{cls}/two layers"] = (cls, hyper, [0.05] * 3, optim.TWO_START, optim.TWO_GRADS, 1.0,
                                     (), True)
        runs[f"{cls}/schedule"] = (cls, hyper, optim.RATES, optim.START, optim.GRADS, 1.0, (), False)
    for variant, hyper in optim.SGD_VARIANTS.items():
        runs[f"SGD/{variant}"] = ("SGD", hyper, [0.05] * 3, optim.START, optim.GRADS, 1.0, (), False)
    for scale, eps in [(1.0, 1e-6), (1e-4, 1e-3)]:
        runs[f"RMSprop/g~{scale:g}"] = ("RMSprop", {"alpha": 0.9, "eps": eps}, [0.05] * 3,
                                        optim.START, optim.GRADS, scale, (), False)
        runs[f"Adam/g~{scale:g}"] = ("Adam", {**optim.ADAM, "eps": eps}, [0.05] * 3, optim.START,
                                     optim.GRADS, scale, (), False)
    runs["AdamW/decoupled"] = ("AdamW", {**optim.ADAM, "weight_decay": 0.5}, [0.1] * 3, optim.START,
                               optim.GRADS, 1.0, optim.SHRUNK_BY_WD, False)
    runs["AdamW/no decay"] = ("AdamW", {**optim.ADAM, "weight_decay": 0.0}, [0.05] * 3, optim.START,
                              optim.GRADS, 1.0, (), False)
    return runs


OPTIM_RUNS = optim_runs()


def test_optim_known_has_every_case():
    assert_same_keys("tests/suites/test_optim.py KNOWN", optim.KNOWN, OPTIM_RUNS)


def assert_steps_frozen(label, frozen_steps, exact_steps, first=1):
    """[[{name: list}] per step] against the trusted [[{name: array}] per step], from step ``first``."""
    assert len(frozen_steps) == len(exact_steps), f"{label}: {len(frozen_steps)} steps frozen"
    for step, (frozen_k, exact_k) in enumerate(zip(frozen_steps, exact_steps), start=first):
        for i, (frozen_h, exact_h) in enumerate(zip(frozen_k, exact_k), start=1):
            assert_same_keys(f"{label} step {step} holder {i}", frozen_h, exact_h)
            for name, values in frozen_h.items():
                assert_frozen(f"{label} step {step} holder {i} {name}", values, exact_h[name], 12)


@pytest.mark.parametrize("case", list(OPTIM_RUNS))
def test_optim_known(case):
    cls, hyper, lrs, start, grads, scale, extra, shared = OPTIM_RUNS[case]
    table, label = optim.KNOWN[case], f"tests/suites/test_optim.py KNOWN[{case!r}]"
    start = optim.arrays(start)
    grads = [optim.arrays(step, scale=scale) for step in grads]

    def steps(**mistake):
        return optim_ref.trusted_steps(optim_ref.UPDATES[cls], start, grads, lrs, **{**hyper, **mistake})

    right = steps()
    assert_steps_frozen(f"{label}['after']", table["after"], right)
    causes = [*optim.MISTAKES[cls](hyper), *extra, *([("shared", {"shared": True})] if shared else [])]
    looked_up = {optim.mistake_key(mistake): (cause, mistake) for cause, mistake in causes}
    unknown = set(table["mistakes"]) - set(looked_up)
    assert not unknown, f"{label}['mistakes']: {sorted(unknown)} are never looked up by the check."
    for key, (cause, mistake) in looked_up.items():
        wrong = steps(**mistake)[-1:]
        if key in table["mistakes"]:
            # a mistake's entry holds the parameters after the last step only
            assert_steps_frozen(f"{label}['mistakes'][{key!r}]", [table["mistakes"][key]], wrong,
                                first=len(grads))
        elif not optim.matches(wrong, right[-1:]):
            # left out of the table, the check cannot name this mistake: only right when the
            # mistake gives the right numbers anyway
            raise AssertionError(f"{label}['mistakes'] lacks {key!r} ({cause}), which changes "
                                 f"the result: the check cannot name it.")


# ---- normalization (tests/suites/test_normalization.py KNOWN) ------------------------------------


def batchnorm_tables():
    x, dout, gamma, beta = norm.BN_X, norm.BN_DOUT, norm.BN_GAMMA, norm.BN_BETA
    backward = norm_ref.batchnorm_backward
    dx, dgamma, dbeta = backward(x, gamma, 1e-3, dout)
    running = norm_ref.running_statistics
    batches = norm.RUN_BATCHES
    stats = {"": running(batches, 0.3), " with momentum 0.7": running(batches, 0.7),
             " with momentum 0.1": running(batches, 0.1), " biased": running(batches, 0.3, [1, 1, 1]),
             " last batch": running(batches[-1:], 1.0)}
    mean, var, eps = norm.RUNNING_MEAN, norm.RUNNING_VAR, 1e-2
    # the training formula's mean and variance terms on the running statistics' x_hat (the slip)
    x_hat = (x - mean) / np.sqrt(var + eps)
    eval_dx = dout * gamma / np.sqrt(var + eps)
    constant = x.copy()
    constant[:, 1] = 2.5
    return {
        "batchnorm backward": {
            "dx": dx, "dgamma": dgamma, "dbeta": dbeta, "dgamma with x": (dout * x).sum(axis=0),
            "dx without mean and variance terms": backward(x, gamma, 1e-3, dout, mean_term=False,
                                                           var_term=False)[0],
            "dx without the variance term": backward(x, gamma, 1e-3, dout, var_term=False)[0],
            "dx without the mean term": backward(x, gamma, 1e-3, dout, mean_term=False)[0],
            "dx without gamma": backward(x, np.ones(3), 1e-3, dout)[0]},
        "batchnorm running": {f"{name}{variant}": values[k] for variant, values in stats.items()
                              for k, name in enumerate(["running_mean", "running_var"])},
        "batchnorm eval": {
            "out": norm_ref.batchnorm_eval(x, gamma, beta, 1e-3, mean, var),
            "out with the batch statistics": norm_ref.batchnorm(x, gamma, beta, 1e-3),
            "one example": norm_ref.batchnorm_eval(x[2:3] + 1.0, gamma, beta, 1e-3, mean, var)},
        "batchnorm eval backward": {
            "dx": eval_dx,
            "dx with the batch statistics": backward(x, gamma, eps, dout)[0],
            "dx with the running statistics": eval_dx - gamma / np.sqrt(var + eps) * (
                dout.mean(axis=0) + x_hat * (dout * x_hat).mean(axis=0))},
        "batchnorm constant feature": {
            "out": norm_ref.batchnorm(constant, gamma, beta, norm.EPS),
            "dx": backward(constant, gamma, norm.EPS, dout)[0]},
    }


def batchnorm2d_tables():
    x, dout, gamma, beta = norm.BN2D_X, norm.BN2D_DOUT, norm.BN2D_GAMMA, norm.BN2D_BETA
    ones, zeros = np.ones(2), np.zeros(2)
    slips = norm_ref.channel_slips(x, norm.EPS)

    def slip(words):
        [cause] = [cause for cause in slips if words in cause]
        return slips[cause]
    dx, dgamma, dbeta = norm_ref.batchnorm2d_backward(x, gamma, 1e-3, dout)
    values = norm_ref.channel_values(x)
    flat_dx = norm_ref.batchnorm_backward(values, gamma, 1e-3, dout.reshape(-1, 2))[0]
    columns = [norm_ref.channel_values(batch) for batch in norm.BN2D_BATCHES]
    running = norm_ref.running_statistics
    stats = {"": running(columns, 0.3), " with N / (N - 1)": running(columns, 0.3, [2 / 1, 2 / 1]),
             " biased": running(columns, 0.3, [1, 1])}
    mean, var = stats[""]
    first_row = x[:, :, :1]
    return {
        "batchnorm2d forward": {
            "out": norm_ref.batchnorm2d(x, ones, zeros, norm.EPS),
            "over the batch only": slip("over the batch only"),
            "over the last axis": slip("over the last axis"),
            "instance norm": slip("instance norm"),
            "reshaped without moving C": slip("x.reshape(-1, C) without moving"),
            "output reshaped straight": slip("output was reshaped straight")},
        "batchnorm2d backward": {
            "out": norm_ref.batchnorm2d(x, gamma, beta, 1e-3), "dx": dx, "dgamma": dgamma,
            "dbeta": dbeta,
            "dout reshaped without moving C": norm_ref.from_channel_values(flat_dx, x.shape),
            "dx reshaped straight": norm_ref.batchnorm_backward(
                values, gamma, 1e-3, norm_ref.channel_values(dout))[0].reshape(x.shape)},
        "batchnorm2d running": {
            **{f"{name}{variant}": stat[k] for variant, stat in stats.items()
               for k, name in enumerate(["running_mean", "running_var"])},
            "eval out": norm_ref.from_channel_values(norm_ref.batchnorm_eval(
                norm_ref.channel_values(first_row), gamma, beta, norm.EPS, mean, var), first_row.shape)},
    }


def layernorm_tables():
    x, dout, gamma, beta = norm.LN_X, norm.LN_DOUT, norm.LN_GAMMA, norm.LN_BETA
    backward = norm_ref.layernorm_backward
    dx, dgamma, dbeta = backward(x, gamma, 1e-3, dout)
    hand = assigned(norm, "test_layernorm_forward_known_answer")[0]      # its x, gamma and beta
    return {
        "layernorm known answer": {
            "over the batch axis": norm_ref.batchnorm(hand["x"], hand["gamma"], hand["beta"], 0.5)},
        "layernorm forward": {
            "out 1d": norm_ref.layernorm(norm.LN_ROW, np.linspace(-1.0, 2.0, 5), np.ones(5), 1e-3),
            "out 3d": norm_ref.layernorm(x, gamma, beta, 1e-3)},
        "layernorm backward": {
            "out": norm_ref.layernorm(x, gamma, beta, 1e-3), "dx": dx, "dgamma": dgamma, "dbeta": dbeta,
            "dgamma with x": (dout * x).reshape(-1, 3).sum(axis=0),
            "dx without mean and variance terms": backward(x, gamma, 1e-3, dout, mean_term=False,
                                                           var_term=False)[0],
            "dx without the variance term": backward(x, gamma, 1e-3, dout, var_term=False)[0],
            "dx without the mean term": backward(x, gamma, 1e-3, dout, mean_term=False)[0],
            "dx without gamma": backward(x, np.ones(3), 1e-3, dout)[0]},
    }


NORMALIZATION = {"batchnorm": batchnorm_tables, "batchnorm2d": batchnorm2d_tables,
                 "layernorm": layernorm_tables}


def test_normalization_known_has_every_entry():
    recomputed = {entry for tables in NORMALIZATION.values() for entry in tables()}
    assert_same_keys("tests/suites/test_normalization.py KNOWN", norm.KNOWN, recomputed)


@pytest.mark.parametrize("layer", list(NORMALIZATION))
def test_normalization_known(layer):
    for entry, exact in NORMALIZATION[layer]().items():
        label = f"tests/suites/test_normalization.py KNOWN[{entry!r}]"
        assert_same_keys(label, norm.KNOWN[entry], exact)
        for key, values in exact.items():
            assert_frozen(f"{label}[{key!r}]", norm.KNOWN[entry][key], values, 12)


# ---- LSTM (tests/suites/test_lstm.py) ------------------------------------------------------------

LSTM = "tests/suites/test_lstm.py"


def slip_kwargs(label, cause, table):
    """The hidden reference's arguments for a slip named ``cause`` in the visible suite."""
    if cause not in table:
        raise AssertionError(f"{label}: no hidden reference makes the slip {cause!r}.")
    return table[cause]


def lstm_bias_only_step():
    params = [lstm.BIAS_ONLY[k] for k in lstm.PARAMS]
    args = (lstm.X_T, lstm.H_PREV, lstm.C_PREV, *params)
    h, c, _ = lstm_ref.reference_step(*args)
    assert_frozen(f"{LSTM} BIAS_ONLY_C", lstm.BIAS_ONLY_C, c, decimals=15)
    assert_frozen(f"{LSTM} BIAS_ONLY_H", lstm.BIAS_ONLY_H, h, decimals=15)
    for cause, (wrong_h, wrong_c) in lstm.BIAS_ONLY_SLIPS.items():
        label = f"{LSTM} BIAS_ONLY_SLIPS[{cause[:40]!r}...]"
        h, c, _ = lstm_ref.reference_step(*args, **slip_kwargs(label, cause, lstm_ref.STEP_SLIPS))
        assert_frozen(f"{label} h", wrong_h, h[:, 0], decimals=15)
        assert_frozen(f"{label} c", wrong_c, c[:, 0], decimals=15)


def lstm_weighted_step():
    x, h_prev, c_prev = (np.array(a) for a in lstm.WEIGHTED_IN)
    h, c, _ = lstm_ref.reference_step(x, h_prev, c_prev,
                                      *(np.array(lstm.WEIGHTED[k]) for k in lstm.PARAMS))
    assert_frozen(f"{LSTM} WEIGHTED_H", lstm.WEIGHTED_H, h, decimals=15)
    assert_frozen(f"{LSTM} WEIGHTED_C", lstm.WEIGHTED_C, c, decimals=15)


def lstm_step_backward():
    args = (lstm.X_T, lstm.H_PREV, lstm.C_PREV, *(lstm.BIAS_ONLY[k] for k in lstm.PARAMS), lstm.DH, lstm.DC)
    right = lstm_ref.reference_step_backward(*args)
    assert_frozen(f"{LSTM} DB", lstm.DB, right[5], decimals=15)
    assert_frozen(f"{LSTM} DC_PREV", lstm.DC_PREV, right[2][:, 0], decimals=15)
    for cause, (wrong_db, wrong_dc) in lstm.STEP_BACKWARD_SLIPS.items():
        label = f"{LSTM} STEP_BACKWARD_SLIPS[{cause[:40]!r}...]"
        wrong = lstm_ref.reference_step_backward(
            *args, **slip_kwargs(label, cause, lstm_ref.BACKWARD_STEP_SLIPS))
        assert_frozen(f"{label} db", wrong_db, wrong[5], decimals=15)
        assert_frozen(f"{label} dc_prev", wrong_dc, wrong[2][:, 0], decimals=15)


def lstm_sequence():
    x, h0, c0, dhs = lstm.seq_inputs()
    params = {k: np.array(v) for k, v in lstm.SEQ_PARAMS.items()}
    hs = lstm_ref.reference_forward(x, h0, c0, params)
    assert_frozen(f"{LSTM} SEQ_HS", lstm.SEQ_HS, hs.ravel(), decimals=15)
    for cause, wrong in lstm.SEQ_FORWARD_SLIPS.items():
        label = f"{LSTM} SEQ_FORWARD_SLIPS[{cause[:40]!r}...]"
        slip = slip_kwargs(label, cause, lstm_ref.FORWARD_SLIPS)
        hs = lstm_ref.reference_forward(x, h0, c0, params, **slip)
        assert_frozen(label, wrong, hs.ravel(), decimals=15)

    def results(**slip):
        return [a.ravel() for a in lstm.flat(lstm_ref.reference_backward(x, h0, c0, params, dhs, **slip))]
    for k, (frozen, exact) in enumerate(zip(lstm.SEQ_GRADS, results())):
        assert_frozen(f"{LSTM} SEQ_GRADS[{k}] ({lstm.RESULT_NAMES[k]})", frozen, exact, decimals=15)
    for cause, wrong in lstm.SEQ_BACKWARD_SLIPS.items():
        label = f"{LSTM} SEQ_BACKWARD_SLIPS[{cause[:40]!r}...]"
        exact = results(**slip_kwargs(label, cause, lstm_ref.BACKWARD_SLIPS))
        for k, (frozen, value) in enumerate(zip(wrong, exact)):
            assert_frozen(f"{label}[{k}] ({lstm.RESULT_NAMES[k]})", frozen, value, decimals=15)


@pytest.mark.parametrize("table", [lstm_bias_only_step, lstm_weighted_step, lstm_step_backward,
                                   lstm_sequence], ids=lambda f: f.__name__)
def test_lstm_known(table):
    table()


# ---- convolution (tests/suites/test_conv.py KNOWN, KNOWN_BACKWARD) -------------------------------


def assert_slips_frozen(label, frozen_slips, reference_slips, digits=15):
    """Each frozen (cause, value or shape) is what the reference's slip of that cause gives."""
    for cause, wrong in frozen_slips:
        candidates = [value for reason, value in reference_slips if reason == cause]
        name = f"{label} slip {cause[:50]!r}..."
        if not candidates:
            raise AssertionError(f"{name}: no hidden reference makes it.")
        if isinstance(wrong, tuple):
            assert any(np.shape(value) == wrong or (isinstance(value, tuple) and value == wrong)
                       for value in candidates), \
                f"{name}: frozen shape {wrong}, the reference's {[np.shape(v) for v in candidates]}."
            continue
        wrong = conv.image(wrong)
        fits = [value for value in candidates if np.shape(value) == wrong.shape]
        errors = []
        for value in fits:          # a cause may have several values (STRIDE_IGNORED: cut or not)
            try:
                assert_frozen(name, wrong, value, digits)
                break
            except AssertionError as error:
                errors.append(str(error))
        else:
            raise AssertionError("; ".join(errors) or f"{name}: no reference value of shape {wrong.shape}.")


@pytest.mark.parametrize("case", [c[0] for c in conv.KNOWN])
def test_conv_forward_known(case):
    [(_, rows, stride, padding, expected, slips)] = [c for c in conv.KNOWN if c[0] == case]
    x, W, b = conv.image(rows), conv.image(conv.KERNEL), np.array([conv.BIAS])
    label = f"tests/suites/test_conv.py KNOWN[{case!r}]"
    assert_frozen(f"{label} expected", conv.image(expected),
                  conv_ref.conv_forward(x, W, b, stride, padding), 15)
    assert_slips_frozen(label, slips, conv_ref.forward_slips(x, W, b, stride, padding))


@pytest.mark.parametrize("case", [c[0] for c in conv.KNOWN_BACKWARD])
def test_conv_backward_known(case):
    [(_, stride, padding, dx, dW, dx_slips, dW_slips)] = [c for c in conv.KNOWN_BACKWARD if c[0] == case]
    x, W, dout = conv.image(conv.X3), conv.image(conv.KERNEL), conv.image(conv.DOUT)
    label = f"tests/suites/test_conv.py KNOWN_BACKWARD[{case!r}]"
    right = conv_ref.conv_backward(x, W, dout, stride, padding)
    assert_frozen(f"{label} dx", conv.image(dx), right[0], 15)
    assert_frozen(f"{label} dW", conv.image(dW), right[1], 15)
    slips = conv_ref.backward_slips(x, W, dout, stride, padding)
    assert_slips_frozen(f"{label} dx", dx_slips, slips["dx"])
    assert_slips_frozen(f"{label} dW", dW_slips, slips["W"])


# ---- pooling (tests/suites/test_pooling.py: the slips' values in the known-answer checks) --------

# check: (pooling, pass, kernel, stride, the names of its x and dout)
POOL_CHECKS = {
    "test_maxpool_forward_known_answer": ("max", "forward", 2, None, "KNOWN_X", None),
    "test_maxpool_backward_known_answer": ("max", "backward", 2, None, "KNOWN_X", "KNOWN_DOUT"),
    "test_maxpool_tie_goes_to_the_first_maximum": ("max", "backward", 2, None, "x", "dout"),
    "test_avgpool_forward_known_answer": ("avg", "forward", 2, None, "AVG_X", None),
    "test_avgpool_backward_known_answer": ("avg", "backward", 2, None, "AVG_X", "dout"),
    "test_avgpool_overlapping_windows_add_their_gradients": ("avg", "backward", 3, 2, "x", "dout"),
}


def plain(cause):
    """A slip's cause without the window size a reference spells out, "(KH, KW) = (2, 2)"."""
    return re.sub(r" = \(\d+, \d+\)", "", cause)


@pytest.mark.parametrize("check", list(POOL_CHECKS))
def test_pooling_known(check):
    kind, direction, kernel, stride, x_name, dout_name = POOL_CHECKS[check]
    namespace, calls = assigned(pool, check)
    x, dout = namespace[x_name], namespace.get(dout_name)
    if direction == "forward":
        right = pool_ref.pool(x, kernel, stride, pool_ref.maximum if kind == "max" else pool_ref.mean)
        slips = (pool_ref.max_forward_slips if kind == "max"
                 else pool_ref.avg_forward_slips)(x, kernel, stride)
    else:
        share = pool_ref.first_maximum if kind == "max" else pool_ref.equal_shares
        right = pool_ref.route(x, kernel, stride, dout, share)
        slips = (pool_ref.max_backward_slips if kind == "max" else pool_ref.avg_backward_slips)(
            x, kernel, stride, dout)
    slips = {plain(cause): value for cause, value in slips.items()}
    assert calls, f"tests/suites/test_pooling.py {check}: no assert_no_slip to check."
    for expected, frozen in calls:
        label = f"tests/suites/test_pooling.py {check}"
        assert_frozen(f"{label} expected", expected, right, 15)
        for cause, wrong in frozen.items():
            if plain(cause) not in slips:
                raise AssertionError(f"{label} slip {cause[:50]!r}...: no hidden reference makes it.")
            assert_frozen(f"{label} slip {cause[:50]!r}...", wrong, slips[plain(cause)], 15)


# ---- models (tests/suites/test_models.py WORKED_LOSSES) ------------------------------------------


@pytest.mark.parametrize("case", [pytest.param(p, id=p.id) for p in models.WORKED_LOSSES])
def test_models_worked_losses(case):
    head, penalty, loss, grads, slips = case.values
    layers = [SimpleNamespace(params={"W": np.array(W), "b": np.array(b)})
              for W, b in ((models.W1, models.B1), (models.W2, models.B2))]
    exact_loss, exact, _ = models_ref.trusted_two_linear(layers, models.X, models.Y, 0.3, penalty, head)
    label = f"tests/suites/test_models.py WORKED_LOSSES[{case.id}]"
    assert_frozen(f"{label} loss", loss, exact_loss, 14)
    assert_same_keys(label, grads, exact)
    for name, values in grads.items():
        assert_frozen(f"{label} {name}", values, exact[name], 14)
    value = PENALTY[penalty][0]
    penalties = [value(layer.params["W"], 0.3) for layer in layers]
    wrong = {0: exact_loss - penalties[0], 1: exact_loss - penalties[1],
             "b": exact_loss + sum(value(layer.params["b"], 0.3) for layer in layers),
             "all": exact_loss - sum(penalties)}
    assert_same_keys(f"{label} slips", slips, wrong)
    for slip, frozen in slips.items():
        assert_frozen(f"{label} slip {slip!r}", frozen, wrong[slip], 14)


# ---- metrics (tests/suites/test_metrics.py) ------------------------------------------------------

METRICS = "tests/suites/test_metrics.py"


def descent(steps, lr=0.5):
    """(W, b) after each step of full-batch gradient descent on the mean softmax loss of the
    Linear(2, 2) of es_model, from (ES_W, ES_B); the gradient of the scores by complex steps."""
    W, b, after = metrics.ES_W.copy(), metrics.ES_B.copy(), []
    for _ in range(steps):
        _, dscores = softmax_loss(metrics.ES_X @ W + b, metrics.ES_Y)
        W, b = W - lr * metrics.ES_X.T @ dscores, b - lr * dscores.sum(axis=0)
        after.append((W, b))
    return after


def test_metrics_early_stopping_thresholds():
    after = descent(len(metrics.THRESHOLDS))
    assert_frozen(f"{METRICS} THRESHOLDS", metrics.THRESHOLDS, [b[0] - b[1] for _, b in after], 12)
    for r, (w10, b0) in enumerate(metrics.ROUNDS_OF_4, start=1):
        W, b = after[4 * r - 1]
        label = f"{METRICS} ROUNDS_OF_4[{r - 1}]"
        assert_frozen(f"{label} W[1, 0]", w10, W[1, 0], 12)
        assert_frozen(f"{label} b[0]", b0, b[0], 12)
        # the shapes the table leaves out: W[0] = [0, 1], W[1, 1] = 0.1 - W[1, 0], b[1] = -b[0]
        assert_frozen(f"{label} (W, b) as round_of_4 rebuilds them", np.concatenate(
            [*metrics.round_of_4(r)[0], metrics.round_of_4(r)[1]]), np.concatenate([*W, b]), 11)


def early_stopping(counts, patience, slip=None, extra=4):
    """(rounds that run, best round) of early stopping on the accuracies ``counts`` (which stay at
    the last past the script, for ``extra`` more rounds at most), or with a slip of SLIPS."""
    best, best_round, waiting = -math.inf, 0, 0
    limit = patience + {"late": 1, "early": -1}.get(slip, 0)
    for r in range(1, len(counts) + extra + 1):
        accuracy = counts[min(r, len(counts)) - 1]
        if accuracy > best or (slip == "tie" and accuracy == best):
            best, best_round = accuracy, r
            waiting = waiting if slip == "no reset" else 0
        else:
            waiting += 1
        if waiting >= limit:
            return r, best_round
    return len(counts) + extra, best_round


@pytest.mark.parametrize("script", [pytest.param(p, id=p.id) for p in metrics.SCRIPTS])
def test_metrics_early_stopping_scripts(script):
    counts, patience, _, rounds, best, slipped = script.values
    label = f"{METRICS} SCRIPTS[{script.id}]"
    assert early_stopping(counts, patience) == (rounds, best), \
        f"{label}: frozen (rounds, best) {(rounds, best)}, recomputed {early_stopping(counts, patience)}."
    assert_same_keys(f"{label} slips", slipped, metrics.SLIPS)
    for slip, result in slipped.items():
        exact = early_stopping(counts, patience, slip)
        assert tuple(result) == exact, f"{label}[{slip!r}]: frozen {result}, recomputed {exact}."


def test_metrics_random_search_draws():
    assert_frozen(f"{METRICS} DRAWN", metrics.DRAWN, metrics_ref.drawn(metrics.SEED, len(metrics.DRAWN)), 12)
    by_cause = {why: slip for slip, why in metrics_ref.DRAW_SLIPS}
    assert_same_keys(f"{METRICS} DRAWN_BY_SLIPS", metrics.DRAWN_BY_SLIPS, by_cause)
    for why, wrong in metrics.DRAWN_BY_SLIPS.items():
        assert_frozen(f"{METRICS} DRAWN_BY_SLIPS[{why[:40]!r}...]", wrong,
                      metrics_ref.drawn(metrics.SEED, len(wrong), **by_cause[why]), 12)


# ---- recurrent network (tests/suites/test_sequences.py) ------------------------------------------

SEQUENCES = "tests/suites/test_sequences.py"


def test_sequences_rnn_step_backward():
    from tests.hidden import test_sequences as seq_ref
    from tests.suites import test_sequences as seq

    def grads(**slip):
        return seq_ref.step_grads(seq.STEP_X, seq.STEP_H, seq.STEP_PARAMS, seq.STEP_DH, **slip)
    assert_same_keys(f"{SEQUENCES} STEP_BACKWARD", seq.STEP_BACKWARD, grads())
    for name, values in seq.STEP_BACKWARD.items():
        assert_frozen(f"{SEQUENCES} STEP_BACKWARD[{name!r}]", values, grads()[name], decimals=15)
    made = {seq.AT_INPUT: {"kind": "input"}, seq.TANH_AGAIN: {"kind": "again"},
            seq.DWH_OUTPUT: {"dwh_from": "h"}}
    assert_same_keys(f"{SEQUENCES} STEP_BACKWARD_SLIPS", seq.STEP_BACKWARD_SLIPS, made)
    for cause, table in seq.STEP_BACKWARD_SLIPS.items():
        wrong = grads(**made[cause])
        for name, values in table.items():
            assert_frozen(f"{SEQUENCES} STEP_BACKWARD_SLIPS[{cause[:40]!r}...][{name!r}]", values,
                          wrong[name], decimals=15)


def test_sequences_rnn_through_time():
    from tests.hidden import test_sequences as seq_ref
    from tests.suites import test_sequences as seq
    params = seq.SEQ_PARAMS
    x, h0 = np.array(seq.SEQ_X).reshape(1, 3, 1), np.array([[seq.SEQ_H0]])
    dhs = np.array(seq.SEQ_DHS).reshape(1, 3, 1)
    assert_frozen(f"{SEQUENCES} SEQ_HS", seq.SEQ_HS,
                  seq_ref.rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"]).ravel(), decimals=15)
    assert_frozen(f"{SEQUENCES} SEQ_FROM_H0", seq.SEQ_FROM_H0,
                  seq_ref.steps_from_h0(x, h0, params).ravel(), decimals=15)
    right = seq_ref.bptt(x, h0, params, dhs)
    assert_same_keys(f"{SEQUENCES} SEQ_GRADS", seq.SEQ_GRADS, right)
    assert_same_keys(f"{SEQUENCES} SEQ_SLIPS", seq.SEQ_SLIPS, right)
    for target, values in seq.SEQ_GRADS.items():
        assert_frozen(f"{SEQUENCES} SEQ_GRADS[{target!r}]", values, np.ravel(right[target]), decimals=15)
        slips = seq_ref.bptt_slips(x, h0, params, dhs, target)
        assert_same_keys(f"{SEQUENCES} SEQ_SLIPS[{target!r}]", seq.SEQ_SLIPS[target], slips)
        for cause, wrong in seq.SEQ_SLIPS[target].items():
            assert_frozen(f"{SEQUENCES} SEQ_SLIPS[{target!r}][{cause[:40]!r}...]", wrong,
                          np.ravel(slips[cause]), decimals=15)


# ---- activations (tests/suites/test_activations.py KNOWN) ----------------------------------------


def activation_keys():
    from tests.suites import test_activations as act
    return list(act.KNOWN)


@pytest.mark.parametrize("key", activation_keys())
def test_activations_known(key):
    from tests.hidden import test_activations as act_ref
    from tests.suites import test_activations as act
    known, spec = act.KNOWN[key], act.SPECS[key]
    label = f"tests/suites/test_activations.py KNOWN[{key!r}]"
    assert_frozen(f"{label}.out", known.out, act_ref.reference(spec, "forward", known.x), 14)
    assert_frozen(f"{label}.dx", known.dx, act_ref.reference(spec, "backward", known.x, known.dout), 14)
    slips = {what: act_ref.slips(spec, what, known.x, known.dout) for what in ("forward", "backward")}
    for cause, wrong in known.slips.items():
        for part, what in enumerate(("forward", "backward")):
            if wrong[part] is None:
                continue
            if cause not in slips[what]:
                raise AssertionError(f"{label}.slips[{cause[:40]!r}...] ({what}): no hidden "
                                     f"reference makes it.")
            assert_frozen(f"{label}.slips[{cause[:40]!r}...] ({what})", wrong[part],
                          slips[what][cause], 14)
