"""Reports: the terminal table with feedback, and Gradescope's results.json."""
import json
import sys
from pathlib import Path

from . import scoring

COLOURS = {"passed": "32", "in progress": "33", "not started": "2", "failed": "31",
           "error": "31", "memory limit": "31", "timed out": "35"}
FULL_FAILURES = 3   # checks shown in full per exercise; the rest are summarized
PRINTED_LINES = 20  # lines of a failed check's printed output shown under it


def paint(text, status, colour):
    return f"\033[{COLOURS.get(status, '0')}m{text}\033[0m" if colour else text


def terminal(run, results, colour=None, label=None, show_output=False, every_failure=False):
    """The report a student reads: a table, the score, the next step, and the first failures."""
    colour = sys.stdout.isatty() if colour is None else colour
    lines = [f"Sophia: grading {label or run.folder} (seed {run.seed})", ""]
    width = max([len(r.exercise.id) for r in results] + [8])
    lines.append(f"  {'exercise':<{width}}  {'status':<12}  {'points':^10}  checks")
    for r in results:
        status = paint(f"{r.status:<12}", r.status, colour)
        lines.append(f"  {r.exercise.id:<{width}}  {status}  "
                     f"{points(r.score):>5}/{points(r.max_score):<4}  {r.passed}/{len(r.checks)}")
    score, most = scoring.total(results)
    pct = scoring.percent(score, most)
    lines += ["", f"score: {points(score)} / {points(most)} ({pct:.0f} %)   [{run.seconds:.1f} s]"]
    upcoming = scoring.next_exercise(results)
    if upcoming is None and len(results) == len(scoring.catalog.exercises()):
        lines.append("next: nothing left, every exercise passes")
    elif upcoming is None:
        lines.append("next: every exercise checked here passes; 'python -m grader' grades them all "
                     "and names the next one")
    else:
        ex = upcoming.exercise
        lines.append(f"next: {ex.id}: {ex.title} (in {run.folder.name}/{ex.module}.py; "
                     f"'python -m grader hint {ex.id}' if stuck)")
        lines += feedback(upcoming, full=None if every_failure else FULL_FAILURES)
    if show_output:
        lines += outputs(run)
    return "\n".join(lines)


def points(value):
    """Points as a person reads them, the same everywhere: at most two decimals (4.38, 6, 0.5)."""
    return f"{round(value, 2):g}"


# messages that name a cause other failures follow from: shown first
ROOT_CAUSES = ("modified in place", "NotImplementedError", "SyntaxError", "ImportError")


def feedback(result, with_output=True, full=FULL_FAILURES):
    """What went wrong in one exercise: the first ``full`` failures in full, the rest in one
    line each; a root cause (an input modified in place, code that does not import) first.

    Checks that failed with the same message are listed together, the message once.
    """
    bad = sorted((c for c in result.checks if c.outcome != "passed"),
                 key=lambda c: not any(cause in c.message for cause in ROOT_CAUSES))
    if not result.checks:
        return ["", f"{result.exercise.id}: no check reported an outcome "
                    f"(the grading run failed before this exercise; see the run's output)"]
    if result.status == "not started":
        first = bad[0].message if bad else ""
        return ["", f"{result.exercise.id}: {first.removeprefix('not started: ')}"]
    groups = {}
    for check in bad:
        groups.setdefault((check.outcome, check.message), []).append(check)
    lines = ["", f"{result.exercise.id}: {len(bad)} of {len(result.checks)} checks did not pass"]
    for number, ((outcome, message), checks) in enumerate(groups.items()):
        names = [c.name for c in checks]
        if full is None or number < full:
            lines.append(f"  x {listing(names)} [{outcome.replace('_', ' ')}]")
            lines += ["      " + line for line in message.splitlines()
                      if not line.lstrip().startswith('File "<frozen ')]
            if with_output:
                lines += printed(next((c for c in checks if c.output), None))
        else:
            lines.append(f"  x {listing(names)}: {summary_line(message)}")
    return lines


def printed(check, most=PRINTED_LINES, indent="      "):
    """What the student's code printed during ``check``: its last ``most`` lines, under a heading."""
    if check is None or not check.output.strip():
        return []
    text = check.output.rstrip("\n").splitlines()
    cut = [f"{indent}  ... {len(text) - most} lines before these"] if most and len(text) > most else []
    shown = text[-most:] if most else text
    return [f"{indent}your code printed ({check.name}):"] + cut + [f"{indent}  | {line}" for line in shown]


def outputs(run):
    """Every check's printed output (for --show-output)."""
    lines = []
    for check in run.checks:
        lines += printed(check, most=0, indent="  ")
    return ["", "what your code printed, check by check:"] + lines if lines else []


def listing(names, most=3):
    """'a, b, c' or 'a, b, c and 4 more checks'."""
    extra = f" and {len(names) - most} more checks" if len(names) > most else ""
    return ", ".join(names[:most]) + extra


def summary_line(message, width=110):
    """One line for a check shown in brief: an error's exception line, or a failure's first line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    text = lines[-1] if lines[0].startswith("File ") else lines[0]
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " ..."


VISIBILITIES = ("visible", "after_due_date", "hidden")   # Gradescope's, from most to least shown


def parts(result):
    """An exercise as Gradescope tests: [(visibility, checks, score, max score)], one for its
    visible checks and one per visibility of its hidden checks, the points shared by check count.

    A student sees the feedback of visible checks only. The catalog's ``visibility`` of the
    exercise applies to its visible checks.
    """
    if not result.checks:
        return [(result.exercise.visibility, [], 0.0, result.max_score)]
    groups = {}
    for check in result.checks:
        groups.setdefault(check.visibility, []).append(check)
    # each part is the rounded running total less the one before it: the parts add up to the
    # exercise's points and score exactly, and none is negative
    found, counted, passed = [], 0, 0
    for visibility in sorted(groups, key=VISIBILITIES.index):
        checks = groups[visibility]
        before = (counted, passed)
        counted += len(checks)
        passed += sum(c.outcome == "passed" for c in checks)
        share, score = (round(_fraction(result, counted), 4) - round(_fraction(result, before[0]), 4),
                        round(_fraction(result, passed), 4) - round(_fraction(result, before[1]), 4))
        found.append((result.exercise.visibility if visibility == "visible" else visibility,
                      checks, round(score, 4), round(share, 4)))
    return found


def _fraction(result, count):
    """The points ``count`` of the exercise's checks are worth."""
    return result.max_score * count / len(result.checks)


def results_json(run, results):
    """Gradescope's results.json: one test per exercise (and one more for its hidden checks), its
    checks' feedback as output."""
    score, most = scoring.total(results)
    tests = []
    for r in results:
        for visibility, checks, part_score, part_max in parts(r):
            part = scoring.ExerciseResult(r.exercise, checks, scoring.status_of(checks), part_score)
            done = part.status == scoring.DONE
            output = f"all {len(checks)} checks passed" if done else \
                "\n".join(feedback(part, with_output=False)).strip()
            shown = [line for c in checks for line in printed(c, indent="")]
            if shown:
                output += "\n\n" + "\n".join(shown)
            name = f"{r.exercise.id}: {r.exercise.title}"
            if any(c.visibility != "visible" for c in checks):
                name += " (hidden checks)"
            tests.append({"name": name, "number": str(len(tests) + 1),
                          "score": part_score, "max_score": part_max,
                          "status": "passed" if done else "failed",
                          "output": output, "visibility": visibility})
    return {"score": score, "max_score": most, "execution_time": round(run.seconds, 3),
            "output": f"Sophia grader, seed {run.seed}: {score:g} / {most:g}",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def write_json(path, run, results):
    """Write results.json at ``path`` (its folder made if needed)."""
    data = results_json(run, results)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
