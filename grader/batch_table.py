"""The tables of ``batch``: the CSV (one row a student), the roster join and the summary."""
import csv
import statistics

from . import catalog, report, scoring


def columns():
    ids = [e.id for e in catalog.exercises()]
    return ["student", "name", "email", "score", "max_score", "percent", "seed", "status"] + \
        [c for i in ids for c in (i, f"{i}_status")] + ["note"]


def write_csv(path, rows):
    """The grades: points with at most two decimals, the same rule as every report."""
    ids = [e.id for e in catalog.exercises()]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, columns(), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            shown = {i: report.points(row.get(i, 0.0)) for i in ids}
            shown.update({f"{i}_status": row.get(f"{i}_status", row["status"]) for i in ids})
            writer.writerow(dict(row, **shown, score=report.points(row["score"]),
                                 max_score=report.points(row["max_score"]),
                                 percent=report.points(scoring.percent(row["score"], row["max_score"]))))


def join(rows, students):
    """Rows joined to the roster: names and emails, a "missing" row for each student without
    a submission; returns the ids of submissions not in the roster."""
    seen = {row["student"] for row in rows}
    unknown = sorted(seen - set(students))
    for row in rows:
        if row["student"] in students:
            row.update(name=students[row["student"]].name, email=students[row["student"]].email)
        else:
            row["note"] = "; ".join(filter(None, ["not in the roster", row["note"]]))
    for student in students.values():
        if student.id not in seen:
            rows.append({"student": student.id, "name": student.name, "email": student.email,
                         "score": 0.0, "max_score": scoring.max_total(), "seed": "",
                         "status": "missing", "note": "no submission"})
    return unknown


def summary(result):
    """Counts, mean, median and a histogram (10 % bins) of the totals, as lines of text."""
    rows = [r for r in result.rows if r["status"] != "missing"]
    lines = [f"stray files in the submissions folder (not graded): {', '.join(result.stray)}"] \
        if result.stray else []
    if result.unknown:
        lines.append(f"{len(result.unknown)} submissions not in the roster: {', '.join(result.unknown)}")
    missing = len(result.rows) - len(rows)
    if missing:
        lines.append(f"{missing} students in the roster without a submission (status 'missing')")
    if not rows:
        return lines + ["no submissions"]
    pct = [scoring.percent(r["score"], r["max_score"]) for r in rows]
    lines.append(f"{len(rows)} submissions, {sum(r['status'] != 'graded' for r in rows)} with errors, "
                 f"{result.cached} from the cache; mean {statistics.mean(pct):.1f} %, "
                 f"median {statistics.median(pct):.1f} %")
    for low in range(0, 100, 10):
        count = sum(low <= p < low + 10 or (low == 90 and p == 100) for p in pct)
        label = f"{low:>3}-{low + 10}%" if low < 90 else " 90-100%"
        lines.append(f"  {label} | {'#' * count} {count}")
    return lines


def bar(done, total, width=30):
    filled = width * done // max(total, 1)
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
