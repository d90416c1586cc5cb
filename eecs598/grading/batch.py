"""Grade a folder of submissions: several at once, with a progress bar, one results file each,
then ``scores.csv`` and ``report.html`` (:mod:`.report`) side by side.

The progress bar (on stderr) counts the submissions done, the failures so far (submissions whose
code crashed, hung or could not be imported, and those the grader itself could not grade) and
the time left; each submission's total is printed above it as it finishes.
"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .questions import QUESTIONS


def submission_name(item):
    """``alice.zip`` -> ``alice``; a folder keeps its name."""
    item = Path(item)
    return item.stem if item.is_file() else item.name


def failed_results(name, err):
    """A valid 0-point result for a submission whose grading itself failed (recorded, batch goes on)."""
    return {"score": 0, "max_score": 0, "execution_time": 0, "visibility": "visible",
            "output": f"The autograder could not grade {name}; tell the instructors.",
            "extra_data": {"per_question": {}, "error": f"{type(err).__name__}: {err}"},
            "tests": [{"name": "Autograder error", "score": 0, "max_score": 0,
                       "output": f"{type(err).__name__}: {str(err)[:2000]}", "visibility": "visible"}]}


def grade_batch(items, grade_one, out_dir, csv_path=None, jobs=1, note=""):
    """Grade every submission in ``items`` (zips or folders) with ``grade_one(item) -> results``,
    ``jobs`` at a time; write ``OUT_DIR/<name>.results.json``, the scores CSV (default
    ``OUT_DIR/scores.csv``) and ``report.html`` beside it. Returns the exit status (0, or 1 when
    a results file or the report could not be written)."""
    from tqdm import tqdm

    from . import report
    from .output import write_csv
    from .results import write_results

    out_dir = Path(out_dir)
    csv_path = Path(csv_path) if csv_path else out_dir / "scores.csv"
    status = 0

    def one(item):
        name, t0 = submission_name(item), time.time()
        try:
            results = grade_one(item)
        except Exception as err:  # recorded; the batch goes on
            results = failed_results(name, err)
        path = out_dir / f"{name}.results.json"
        try:
            write_results(results, path)
        except Exception as err:
            tqdm.write(f"error: results of {name} not written: {err}", file=sys.stderr)
            path = None
        return name, results, time.time() - t0, path

    start = time.time()
    done, paths, failures = {}, [], 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
            tqdm(total=len(items), desc="grading", unit="submission", file=sys.stderr, dynamic_ncols=True) as bar:
        bar.set_postfix(failures=0)
        for future in as_completed([pool.submit(one, item) for item in items]):
            name, results, secs, path = future.result()
            done[name] = (results, secs)
            if path is None:
                status = 1
            else:
                paths.append(path)
            failures += bool(report.crashes(results))
            tqdm.write(f"{name:<40} {results['score']:>6g} / {results['max_score']:g}   ({secs:.1f} s)",
                       file=sys.stdout)
            bar.set_postfix(failures=failures)
            bar.update()

    rows = []
    for name in sorted(done):
        results, secs = done[name]
        per_q = results["extra_data"].get("per_question", {})
        rows.append([name, results["score"]] + [per_q.get(q, {}).get("score", "") for q in QUESTIONS]
                    + [round(secs, 1)])
    write_csv(csv_path, ["submission", "total"] + list(QUESTIONS) + ["seconds"], rows)
    html_path = csv_path.parent / "report.html"
    try:
        report.write_report(sorted(paths), html_path)
    except Exception as err:  # the scores are written; say so rather than lose them in a traceback
        print(f"error: report not written ({type(err).__name__}: {err}); scores are in {csv_path}", file=sys.stderr)
        status, html_path = 1, None
    elapsed = max(time.time() - start, 1e-9)
    print(f"graded {len(rows)} submissions in {elapsed:.1f} s ({len(rows) / elapsed * 60:.1f} per minute, "
          f"{jobs} at once), {failures} with failures; scores in {csv_path}"
          + (f", report in {html_path}" if html_path else "") + (f"; {note}" if note else ""))
    return status
