"""The instructor's self-test of the kit.

    python -m grader validate [--seeds 0 1 2] [-j N] [--exercise ID ...] [--no-mutants]

1. solutions/ scores 100 % on every seed (no flaky check);
2. the pristine exercises/ scores 0 %, every check "not started";
3. exercises/ is exactly what build-exercises makes from solutions/;
4. mutation self-test (grader/mutate.py): each planted bug must fail a check of
   its exercise; survivors listed, except the equivalent ones accepted in
   grader/mutants_allowed.toml (with the reason).
Exit status 0 when 1-3 hold and no mutant survives outside the allow-list.
"""
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
from collections import Counter

from . import catalog, mutate, report, runner, sandbox
from .build import stale_files
from .implementation import NAMED, ROOT


def _start_worker(scratch):
    # TMPDIR: the mutant copies of a killed worker are removed with ``scratch``
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", TMPDIR=scratch,
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    worker = subprocess.Popen([sys.executable, "-m", "grader.mutate"], cwd=ROOT, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    sandbox.apply_limits(worker.pid)
    return worker


def _run_chunk(chunk, outcomes, timeout, on_done, scratch, fresh=False):
    """Test the mutants of ``chunk`` in one worker, restarting it after a hang or crash.

    ``fresh``: a new worker for every mutant (no state can leak between mutants).
    """
    todo, broken_pipes = list(chunk), 0
    while todo:
        if broken_pipes >= 3:
            raise RuntimeError("the mutation worker died 3 times before reading a mutant; "
                               "try: python -m grader.mutate < /dev/null")
        process = _start_worker(scratch)
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        try:
            while todo:
                mutant = todo[0]
                process.stdin.write(json.dumps(mutate.job(mutant)) + "\n")
                process.stdin.flush()
                line = process.stdout.readline() if selector.select(timeout) else ""
                todo.pop(0)
                # pytest's 5: no check ran, which neither catches a mutant nor passes a control
                outcomes[id(mutant)] = {"0": "survived", "5": "no checks"}.get(line.strip(),
                                                                               "caught")
                on_done()
                if not line or fresh:
                    break          # hung or crashed: caught; a fresh worker takes the rest
        except (BrokenPipeError, OSError):
            broken_pipes += 1      # died before reading: the same mutant again, a few times
        finally:
            selector.close()
            sandbox.kill_everything(process)


def run_mutants(mutants, jobs=1, timeout=mutate.TIMEOUT, progress=None, fresh=False):
    """{id(mutant): 'caught' | 'survived'} for every mutant, ``jobs`` workers in parallel."""
    outcomes, lock, done = {}, threading.Lock(), [0]

    def on_done():
        with lock:
            done[0] += 1
            if progress and progress.isatty():
                progress.write(f"\r  mutants tested: {done[0]}/{len(mutants)}")
                progress.flush()
    chunks = [mutants[i::max(1, jobs)] for i in range(max(1, jobs))]
    with tempfile.TemporaryDirectory(prefix="sophia-mutants-") as scratch:
        threads = [threading.Thread(target=_run_chunk,
                                    args=(c, outcomes, timeout, on_done, scratch, fresh))
                   for c in chunks if c]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if progress and progress.isatty():
        progress.write("\r\033[K")
    return outcomes


def controls(exercise_ids):
    """Unmutated copies, one per exercise: each must pass, or the mutation test is void."""
    return [mutate.Mutant(e.module, e.functions[0], 0, "", "",
                          (NAMED["solutions"] / f"{e.module}.py").read_text())
            for e in catalog.exercises() if e.functions and
            (not exercise_ids or e.id in exercise_ids)]


def check_solutions(seeds, write):
    ok = True
    for seed in seeds:
        run = runner.run(NAMED["solutions"], seed=seed)
        bad = [c for c in run.checks if c.outcome != "passed"]
        ok &= bool(run.checks) and not bad
        write(f"  solutions, seed {seed}: {len(run.checks) - len(bad)}/{len(run.checks)} passed")
        for check in bad[:10]:
            write(f"    x {check.name} [{check.outcome}]: {report.summary_line(check.message)}")
    return ok


def check_stubs(write):
    run = runner.run(NAMED["exercises"])
    bad = [c for c in run.checks if c.outcome != "not_started"]
    write(f"  exercises: {len(run.checks) - len(bad)}/{len(run.checks)} checks not started")
    for check in bad[:10]:
        write(f"    x {check.name} is {check.outcome}, not 'not started'")
    return bool(run.checks) and not bad


def check_fresh(write):
    stale = stale_files(NAMED["solutions"], NAMED["exercises"])
    write(f"  exercises/ up to date with solutions/: {'yes' if not stale else 'NO'}")
    for path in stale:
        write(f"    stale: exercises/{path} (run: python -m grader build-exercises)")
    return not stale


def check_mutants(exercise_ids, jobs, write, limit=None, progress=None):
    """Plant, test and report; returns (ok, {exercise: (caught, planted)})."""
    modules = sorted({e.module for e in catalog.exercises()})
    planted = [m for module in modules for m in mutate.mutants(module)
               if not exercise_ids or m.exercise in exercise_ids]
    if limit:
        per, kept = Counter(), []
        for mutant in planted:
            per[mutant.exercise] += 1
            if per[mutant.exercise] <= limit:
                kept.append(mutant)
        planted = kept
    control = controls(exercise_ids)
    outcomes = run_mutants(control + planted, jobs, progress=progress)
    broken = [c.exercise for c in control if outcomes.get(id(c)) != "survived"]
    if broken:
        write(f"  the unmutated solutions fail the checks of {', '.join(broken)} "
              f"in the mutation worker: mutation test void")
        return False, {}
    again = [m for m in planted if outcomes.get(id(m)) != "caught"]
    outcomes.update(run_mutants(again, jobs, fresh=True))   # survivors: confirmed in isolation
    accepted, used, score = mutate.allowed(), {}, {}
    survivors = []
    for m in planted:
        key = (m.module, m.function, m.original, m.mutated)
        caught = outcomes.get(id(m)) == "caught"
        hit = score.setdefault(m.exercise or f"({m.module})", [0, 0, 0])
        hit[0] += caught
        hit[1] += 1
        if not caught and key in accepted:
            used[key] = used.get(key, 0) + 1
            hit[2] += 1
        elif not caught:
            survivors.append(m)
    for exercise, (got, total, same) in score.items():
        note = f" ({same} equivalent)" if same else ""
        write(f"  mutants {exercise:<20} caught {got:>3}/{total:<3}{note}")
    got, total = (sum(v[i] for v in score.values()) for i in (0, 1))
    write(f"  mutation score: {got}/{total} caught, {sum(used.values())} accepted as equivalent, "
          f"{len(survivors)} unexplained survivors")
    for m in survivors:
        write(f"    survived: {m}")
    for key in sorted(used):
        write(f"    accepted: {key[0]}.py {key[1]}: `{key[2]}` -> `{key[3]}`: {accepted[key]}")
    score = {exercise: v[:2] for exercise, v in score.items()}
    return not survivors, score


def validate(seeds=(0, 1, 2), jobs=1, exercise_ids=None, mutants=True, write=print,
             limit=None, progress=None):
    """Run every step, printing as it goes; True when the kit is sound."""
    write("validate: solutions pass on every seed")
    ok = check_solutions(seeds, write)
    write("validate: stubs start at 0 %, every check not started")
    ok &= check_stubs(write)
    write("validate: exercises/ regenerated from solutions/ is unchanged")
    ok &= check_fresh(write)
    if mutants:
        write(f"validate: mutation self-test ({jobs} workers)")
        ok &= check_mutants(exercise_ids, jobs, write, limit, progress)[0]
    write("validate: " + ("OK" if ok else "FAILED"))
    return ok


def main(argv):
    from .cli import Parser, needs_solutions, positive
    parser = Parser(prog="python -m grader validate", description="Self-test the kit.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("-j", "--jobs", type=positive, default=os.cpu_count() or 1,
                        help="mutation workers (default: one per CPU)")
    parser.add_argument("--exercise", action="append", default=[], help="mutate only these")
    parser.add_argument("--limit", type=positive, help="at most this many mutants per exercise")
    parser.add_argument("--no-mutants", action="store_true", help="skip the mutation test")
    options = parser.parse_args(argv)
    needs_solutions("validate")
    for exercise in options.exercise:
        catalog.get(exercise)
    ok = validate(options.seeds, options.jobs, options.exercise, not options.no_mutants,
                  limit=options.limit, progress=sys.stderr)
    return 0 if ok else 1
