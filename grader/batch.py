"""Grade a whole class in parallel: one CSV row per submission.

    python -m grader batch SUBMISSIONS/ --csv grades.csv -j 4 [--seed N] [--json-dir DIR]

Each subfolder of SUBMISSIONS/ is one student (its name is the student id) and is
either the package itself (a copy of exercises/ with __init__.py) or a folder that
contains exercises/. Anything else is graded 0 with the reason in the CSV. Each
submission is graded in its own worker process (which runs its own sandboxed
pytest child), so one broken or hostile submission never stops the batch.
"""
import concurrent.futures as futures
import csv
import multiprocessing
import os
import statistics
import sys
from pathlib import Path

from . import catalog, report, runner, scoring
from .implementation import MissingSubmission


def submissions(directory):
    """The student folders of ``directory``, sorted by name (hidden ones skipped)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MissingSubmission(f"submissions folder not found: {directory}")
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))


def grade_one(folder, seed, json_dir=None):
    """A row for one submission; never raises."""
    row = {"student": Path(folder).name, "seed": seed, "status": "graded", "note": ""}
    try:
        run = runner.run(folder, seed=seed)
        results = scoring.summarize(run)
        for result in results:
            row[result.exercise.id] = result.score
        row["score"], row["max_score"] = scoring.total(results)
        if not run.checks:
            row["status"], row["note"] = "error", "no checks ran: " + run.output.strip()[-200:]
    except Exception as error:             # one broken submission never stops the batch
        return error_row(row["student"], seed, f"{type(error).__name__}: {error}")
    if json_dir:
        try:
            report.write_json(Path(json_dir) / f"{row['student']}.json", run, results)
        except OSError as error:           # the grade stands; only its JSON is missing
            row["note"] = f"results.json not written: {error}; " + row["note"]
    return row


def error_row(student, seed, note):
    """The row of a submission that could not be graded: 0 points, and why."""
    return {"student": student, "seed": seed, "status": "error", "note": note[:300],
            "score": 0.0, "max_score": scoring.max_total()}


def columns():
    return ["student", "score", "max_score", "percent", "seed", "status"] + \
        [e.id for e in catalog.exercises()] + ["note"]


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, columns(), restval=0.0, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(dict(row, percent=round(scoring.percent(row["score"],
                                                                      row["max_score"]), 2)))


def bar(done, total, width=30):
    filled = width * done // max(total, 1)
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def summary(rows):
    """Mean, median and a histogram (10 % bins) of the totals, as lines of text."""
    if not rows:
        return ["no submissions"]
    pct = [scoring.percent(r["score"], r["max_score"]) for r in rows]
    lines = [f"{len(rows)} submissions, {sum(r['status'] != 'graded' for r in rows)} with errors;"
             f" mean {statistics.mean(pct):.1f} %, median {statistics.median(pct):.1f} %"]
    for low in range(0, 100, 10):
        count = sum(low <= p < low + 10 or (low == 90 and p == 100) for p in pct)
        label = f"{low:>3}-{low + 10}%" if low < 90 else " 90-100%"
        lines.append(f"  {label} | {'#' * count} {count}")
    return lines


def batch(directory, csv_path, jobs=1, seed=0, json_dir=None, progress=sys.stderr):
    """Grade every submission of ``directory``; writes the CSV; returns the rows."""
    folders = submissions(directory)
    if json_dir:
        Path(json_dir).mkdir(parents=True, exist_ok=True)
    rows = []
    cpus = sorted(os.sched_getaffinity(0))
    counter = multiprocessing.Value("i", 0)
    with futures.ProcessPoolExecutor(max_workers=max(1, jobs), initializer=_own_cpu,
                                     initargs=(counter, cpus if jobs <= len(cpus) else [])) as pool:
        pending = {pool.submit(grade_one, f, seed, json_dir): f for f in folders}
        for future in futures.as_completed(pending):
            try:
                rows.append(future.result())
            except Exception as error:     # the worker itself died
                rows.append(error_row(pending[future].name, seed, f"worker failed: {error}"))
            if progress and progress.isatty():
                progress.write(bar(len(rows), len(folders)))
            elif progress:       # a log file: one line per submission instead of a bar
                row = rows[-1]
                progress.write(f"{len(rows)}/{len(folders)} {row['student']}: "
                               f"{row['score']:g}/{row['max_score']:g} {row['status']}\n")
            if progress:
                progress.flush()
    if progress and progress.isatty():
        progress.write("\n")
    rows.sort(key=lambda r: r["student"])
    write_csv(csv_path, rows)
    return rows


def _own_cpu(counter, cpus):
    """Give each worker a CPU of its own (its judge and executors share it: grader.remote)."""
    if cpus:
        with counter.get_lock():
            number, counter.value = counter.value, counter.value + 1
        os.sched_setaffinity(0, {cpus[number % len(cpus)]})


def main(argv):
    from .cli import Parser, positive
    parser = Parser(prog="python -m grader batch", description="Grade every submission in DIR.")
    parser.add_argument("dir", help="one subfolder per student: the package, or with exercises/")
    parser.add_argument("--csv", required=True, metavar="FILE", help="grades, one row a student")
    parser.add_argument("-j", "--jobs", type=positive, default=1, help="parallel gradings")
    parser.add_argument("--seed", type=int, default=0, help="random inputs (default 0)")
    parser.add_argument("--json-dir", metavar="DIR", help="also a results.json per student")
    options = parser.parse_args(argv)
    rows = batch(options.dir, options.csv, options.jobs, options.seed, options.json_dir)
    print("\n".join(summary(rows)))
    print(f"wrote {options.csv} (seed {options.seed})")
    return 0
