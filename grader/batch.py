"""Grade a class in parallel: one CSV row per student.

    python -m grader batch SUBMISSIONS/ --csv grades.csv -j 4 [--seed N] [--json-dir DIR]
                           [--roster roster.csv] [--cache DIR | --no-cache]

Each subfolder of SUBMISSIONS/ is one student (its name is the student id), read with
grader.uploads exactly as Gradescope reads an upload: the package folder, loose modules,
a folder holding exercises/ or a repository's zip unpacked; files under solutions/ are
never graded. Each submission is graded in its own worker process (which runs its own
sandboxed pytest child), so one broken or hostile submission never stops the batch.
Columns: student, name, email, score, max_score, percent, seed, status, then for each
exercise its points (``<id>``) and status (``<id>_status``), then a note. Points have at
most two decimals (grader.report.points). Row statuses: graded, error (not graded: the
note says why), missing (in the roster, no submission), empty (no module of the package).
"""
import concurrent.futures as futures
import json
import multiprocessing
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import batch_cache, report, roster, runner, scoring, uploads
from .batch_table import bar, join, summary, write_csv
from .implementation import MissingSubmission

NOTE_LENGTH = 300


@dataclass
class Batch:
    rows: list                                     # one per student, sorted by id
    stray: list = field(default_factory=list)      # files at the top of SUBMISSIONS/
    unknown: list = field(default_factory=list)    # submissions whose id is not in the roster
    cached: int = 0                                # rows that came from the cache


def submissions(directory):
    """(student folders, stray files) at the top of ``directory``, sorted (hidden ones skipped)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MissingSubmission(f"submissions folder not found: {directory}")
    entries = sorted(p for p in directory.iterdir() if not p.name.startswith("."))
    return [p for p in entries if p.is_dir()], [p.name for p in entries if not p.is_dir()]


def grade_one(folder, seed, version, cache_dir=None):
    """(row, results.json data) for one submission; never raises."""
    student = Path(folder).name
    try:
        with tempfile.TemporaryDirectory(prefix="sophia-batch-") as tmp:
            read = uploads.assemble(folder, Path(tmp) / "package")
            notes = read.notes[1:]     # what was ignored or stray (the CSV's note); all in the JSON
            if not read.used:
                return error_row(student, seed, "; ".join(["no module of the package found"] + notes),
                                 status="empty")
            entry = batch_cache.key(read.folder, seed, version)
            hit = batch_cache.load(cache_dir, entry)
            if hit is None:
                hit = graded(read.folder, seed)
                if hit["row"]["status"] == "graded":
                    batch_cache.store(cache_dir, entry, hit)
            else:
                hit["row"]["cached"] = True
        row = dict(hit["row"], student=student, seed=seed)
        row["note"] = "; ".join(filter(None, [row["note"]] + notes))[:NOTE_LENGTH]
        results = dict(hit["results"], output="\n".join([hit["results"]["output"]] + read.notes))
        return row, results
    except Exception as error:             # one broken submission never stops the batch
        return error_row(student, seed, f"{type(error).__name__}: {error}")


def graded(package, seed):
    """{"row": points and statuses, "results": results.json} of grading ``package``."""
    run = runner.run(package, seed=seed)
    results = scoring.summarize(run)
    row = {"status": "graded", "note": ""}
    for result in results:
        row[result.exercise.id], row[f"{result.exercise.id}_status"] = result.score, result.status
    row["score"], row["max_score"] = scoring.total(results)
    if not run.checks:
        row["status"], row["note"] = "error", "no checks ran: " + run.output.strip()[-200:]
    return {"row": row, "results": report.results_json(run, results)}


def error_row(student, seed, note, status="error"):
    """(row, results.json) of a submission that could not be graded: 0 points, and why."""
    row = {"student": student, "seed": seed, "status": status, "note": note[:NOTE_LENGTH],
           "score": 0.0, "max_score": scoring.max_total()}
    return row, {"score": 0.0, "max_score": row["max_score"], "output": f"not graded: {note}",
                 "tests": []}


def batch(directory, csv_path, jobs=1, seed=0, json_dir=None, progress=sys.stderr, roster_path=None,
          cache_dir=None):
    """Grade every submission of ``directory``; writes the CSV (and a results.json per
    submission into ``json_dir``); returns a Batch. ``cache_dir`` None: no cache."""
    students = roster.read(roster_path) if roster_path else None
    folders, stray = submissions(directory)
    if json_dir:
        Path(json_dir).mkdir(parents=True, exist_ok=True)
    result, version = Batch(rows=[], stray=stray), batch_cache.grader_version()
    cpus = sorted(os.sched_getaffinity(0))
    counter = multiprocessing.Value("i", 0)
    with futures.ProcessPoolExecutor(max_workers=max(1, jobs), initializer=_own_cpu,
                                     initargs=(counter, cpus if 1 < jobs <= len(cpus) else [])) as pool:
        pending = {pool.submit(grade_one, f, seed, version, cache_dir): f for f in folders}
        for future in futures.as_completed(pending):
            try:
                row, data = future.result()
            except Exception as error:     # the worker itself died
                row, data = error_row(pending[future].name, seed, f"worker failed: {error}")
            result.rows.append(row)
            result.cached += bool(row.get("cached"))
            if json_dir:
                _write_json(Path(json_dir) / f"{row['student']}.json", data, row)
            _progress(progress, row, len(result.rows), len(folders))
    if progress and progress.isatty():
        progress.write("\n")
    if students is not None:
        result.unknown = join(result.rows, students)
    result.rows.sort(key=lambda r: r["student"])
    write_csv(csv_path, result.rows)
    return result


def _progress(stream, row, done, total):
    if stream and stream.isatty():
        stream.write(bar(done, total))
    elif stream:       # a log file: one line per submission instead of a bar
        stream.write(f"{done}/{total} {row['student']}: {report.points(row['score'])}/"
                     f"{report.points(row['max_score'])} {row['status']}"
                     f"{' (cached)' if row.get('cached') else ''}\n")
    if stream:
        stream.flush()


def _write_json(path, data, row):
    try:
        path.write_text(json.dumps(data, indent=2) + "\n")
    except OSError as error:           # the grade stands; only its JSON is missing
        row["note"] = f"results.json not written: {error}; " + row["note"]


def _own_cpu(counter, cpus):
    """Give each worker a CPU of its own (its judge and executors share it: grader.remote);
    a single worker grades in lanes over all of them (grader.runner)."""
    if cpus:
        with counter.get_lock():
            number, counter.value = counter.value, counter.value + 1
        os.sched_setaffinity(0, {cpus[number % len(cpus)]})


def main(argv):
    from .cli import Parser, UsageError, positive
    parser = Parser(prog="python -m grader batch", description="Grade every submission in DIR.")
    parser.add_argument("dir", help="one subfolder per student (named by the student's id)")
    parser.add_argument("--csv", required=True, metavar="FILE", help="grades, one row a student")
    parser.add_argument("-j", "--jobs", type=positive, default=1, help="parallel gradings")
    parser.add_argument("--seed", type=int, default=0, help="random inputs (default 0)")
    parser.add_argument("--json-dir", metavar="DIR", help="also a results.json per student")
    parser.add_argument("--roster", metavar="FILE", help="CSV with id, name and email columns")
    parser.add_argument("--cache", metavar="DIR", help="where gradings are kept for re-runs "
                                                       "(default .sophia/batch-cache beside the CSV)")
    parser.add_argument("--no-cache", action="store_true", help="grade every submission again")
    options = parser.parse_args(argv)
    cache = None if options.no_cache else options.cache or batch_cache.default_folder(options.csv)
    try:
        result = batch(options.dir, options.csv, options.jobs, options.seed, options.json_dir,
                       roster_path=options.roster, cache_dir=cache)
    except roster.RosterError as error:
        raise UsageError(str(error)) from None
    print("\n".join(summary(result)))
    print(f"wrote {options.csv} (seed {options.seed})")
    return 0
