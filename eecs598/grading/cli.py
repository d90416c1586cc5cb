"""``python -m eecs598 grade SUBMISSION [--out results.json]`` and batch mode over a folder.

SUBMISSION is a zip made by ``make_a4_submission`` or a folder holding the modules. A folder
that holds no module but zips / sub-folders is graded as a *batch*: every submission in it, in
parallel (``--jobs``), one results file each under ``--out-dir`` and one CSV of scores.
"""
import os
import sys
from pathlib import Path

from .grade import MODULES, SUBMISSION_BUDGET_S, Reference, grade
from .isolation import detect
from .output import UnsafeOutput, safe_folder
from .questions import QUESTIONS
from .results import summary, write_results
from .sandbox import DEFAULT_MEM_MB, Sandbox


def add_parser(commands):
    p = commands.add_parser("grade", help="autograde a submission (zip or folder) or a folder of submissions",
                            description=__doc__)
    p.add_argument("submission", help="submission zip, submission folder, or folder of submissions")
    p.add_argument("--out", default=None, help="results.json path (single submission; default: print only)")
    p.add_argument("--out-dir", default="graded", help="batch mode: folder for <name>.results.json files")
    p.add_argument("--csv", default=None, help="batch mode: CSV of scores (default: OUT_DIR/scores.csv)")
    p.add_argument("--batch", action="store_true", help="treat SUBMISSION as a folder of submissions")
    p.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                   help="batch mode: submissions graded at once")
    p.add_argument("--questions", nargs="*", choices=list(QUESTIONS), help="grade only these questions")
    p.add_argument("--public-only", action="store_true", help="skip the hidden tests")
    p.add_argument("--mem-mb", type=int, default=None, help="memory all processes of a question may add (MB)")
    p.add_argument("--isolation", choices=("auto", "strong", "weak"), default="auto",
                   help="strong: bubblewrap sandbox per question (root + bubblewrap); weak: own uid + limits "
                        "only; auto: strong when possible")
    p.add_argument("--allow-weak-batch", action="store_true",
                   help="grade a batch of several students even though only weak isolation is available")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds for one whole submission (absolute deadline; default 540)")
    p.add_argument("--test-timeout", type=float, default=None, help="cap on each test's own time limit (seconds)")
    p.add_argument("--quiet", action="store_true", help="no per-test summary")
    return p


def _is_single(path):
    path = Path(path)
    return path.is_file() or any((path / f"{m}.py").exists() for m in MODULES)


def _batch_items(folder):
    folder = Path(folder)
    return sorted(p for p in folder.iterdir()
                  if (p.is_file() and p.suffix == ".zip") or (p.is_dir() and not p.name.startswith(".")))


def run(args):
    import torch
    torch.set_num_threads(1)
    sub = Path(args.submission)
    if not sub.exists():
        print(f"error: {sub} does not exist", file=sys.stderr)
        return 2
    batch = args.batch or not _is_single(sub)
    try:  # the output folders are made (or checked) before any student code runs
        if batch:
            safe_folder(args.out_dir)
            if args.csv:
                safe_folder(Path(args.csv).absolute().parent)
        elif args.out:
            safe_folder(Path(args.out).absolute().parent)
    except (UnsafeOutput, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        return _run(args, sub, batch)
    except Exception as err:  # Gradescope: always leave a valid results.json behind
        if args.out and not batch:
            import traceback
            write_results({"score": 0, "output": "The autograder failed; tell the instructors.",
                           "tests": [{"name": "Autograder error", "score": 0, "max_score": 0,
                                      "output": f"{type(err).__name__}: {err}", "visibility": "visible"},
                                     {"name": "Autograder traceback", "score": 0, "max_score": 0,
                                      "output": traceback.format_exc()[-5000:], "visibility": "hidden"}]},
                          args.out)
        raise


def _run(args, sub, batch):
    items = _batch_items(sub) if batch else [sub]
    if batch and not items:
        print(f"error: no submissions (zips or folders) in {sub}", file=sys.stderr)
        return 2
    mode = detect(args.isolation)
    if batch and len(items) > 1 and mode != "strong" and not args.allow_weak_batch:
        print("error: only weak isolation is available here (no bubblewrap / namespaces), so students in a "
              "batch could interfere with each other; pass --allow-weak-batch to grade anyway, or grade "
              "each submission alone", file=sys.stderr)
        return 2
    budget = args.budget or SUBMISSION_BUDGET_S
    hide = [sub.resolve()]  # other students' files: not readable from inside the sandbox
    reference = Reference()
    with Sandbox(mem_mb=args.mem_mb or DEFAULT_MEM_MB, hide=hide, isolation=mode) as sandbox:
        if not batch:
            results = grade(sub, sandbox, reference, args.questions, include_hidden=not args.public_only,
                            budget=budget, timeout=args.test_timeout)
            if not args.quiet:
                print(summary(results, f"== {sub}"))
            if args.out:
                write_results(results, args.out)
                print(f"results written to {args.out}")
            return 0
        from .batch import grade_batch  # noqa: only batches need it
        return grade_batch(items, lambda item: grade(item, sandbox, reference, args.questions,
                                                      include_hidden=not args.public_only, budget=budget,
                                                      timeout=args.test_timeout),
                           args.out_dir, args.csv, args.jobs, sandbox.describe())
