"""Autograder cost: seconds and peak memory per submission, and batch throughput.

    python benchmarks/grade.py [--submissions 4] [--jobs 2] [--questions Q1 Q2 ...] [--isolation auto]

Measures, in one run, on copies of the repository's solutions (every test runs):
* one submission with a cold sandbox (zygote start included) and with a warm one;
* peak memory: the summed PSS (proportional set size: pages shared by the forked children and the
  zygote are split between them, not counted twice) of the grader and all its sandbox processes,
  sampled every 50 ms;
* batch mode, ``--jobs 1`` (baseline) and ``--jobs N``: submissions per minute and the ratio;
* the design choice: a question process forked from the preloaded zygote that joins a fresh
  bubblewrap sandbox vs. a fresh interpreter that imports torch/torchvision inside bwrap (what a
  one-interpreter-per-question sandbox would pay 5x per submission);
* each figure against the goals on 2 cores: one submission < 20 s cold, >= 30 submissions/min in a
  batch, peak memory < 2 GB per worker (peak PSS / jobs).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _pss_kb(pid, fields):
    """Proportional set size (shared pages split between the processes sharing them); VmRSS if unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(fields.get("VmRSS", "0 kB").split()[0])


def tree_rss_mb(root_pid):
    """Summed PSS (MB) of ``root_pid`` and all its descendants: their real joint memory use."""
    children, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            children.setdefault(int(fields["PPid"]), []).append(int(entry))
            rss[int(entry)] = _pss_kb(entry, fields) / 1024
        except (OSError, KeyError, ValueError):
            continue
    total, stack = 0.0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0.0)
        stack += children.get(pid, [])
    return total


class PeakMemory:
    def __enter__(self):
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(os.getpid()))
            self._stop.wait(0.05)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=4, help="submissions in the batch")
    parser.add_argument("--jobs", type=int, default=2, help="parallel submissions in batch mode")
    parser.add_argument("--questions", nargs="*", default=None, help="grade only these questions")
    parser.add_argument("--isolation", default="auto", choices=("auto", "strong", "weak"))
    args = parser.parse_args()

    import torch
    torch.set_num_threads(1)
    from eecs598.grading.grade import Reference, grade
    from eecs598.assignment import NOTEBOOKS
    from eecs598.grading.isolation import bwrap, python_paths
    from eecs598.grading.sandbox import Sandbox

    def goal(ok):
        return "meets goal" if ok else "MISSES goal"

    work = Path(tempfile.mkdtemp(prefix="grade-bench-"))
    try:
        subs = []
        for i in range(args.submissions):
            d = work / f"student{i:02d}"
            d.mkdir()
            for nb in NOTEBOOKS:
                if (ROOT / f"{nb.name}.py").exists():
                    shutil.copy(ROOT / f"{nb.name}.py", d)
            subs.append(d)
        print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, {args.submissions} copies of the solutions")
        reference = Reference()

        t0 = time.perf_counter()
        with PeakMemory() as mem:
            res = grade(subs[0], reference=reference, questions=args.questions,
                        isolation=args.isolation)  # cold: own sandbox (zygote start included)
        cold = time.perf_counter() - t0
        n_tests = sum(1 for t in res["tests"] if t["max_score"] > 0)
        print(f"isolation: {res['extra_data']['isolation']['level']}")
        print(f"one submission, cold sandbox : {cold:6.1f} s  score {res['score']:g}/{res['max_score']:g} "
              f"({n_tests} tests; references computed and cached)  peak PSS {mem.peak:6.0f} MB  "
              f"[{goal(cold < 20)}: < 20 s]")

        with Sandbox(hide=[work], isolation=args.isolation) as sandbox:
            t0 = time.perf_counter()
            with PeakMemory() as mem:
                res = grade(subs[0], sandbox, reference, args.questions)
            warm = time.perf_counter() - t0
            print(f"one submission, warm sandbox : {warm:6.1f} s  peak PSS {mem.peak:6.0f} MB "
                  f"(grader + zygote + children)")

            t0 = time.perf_counter()
            child = sandbox.spawn("style_transfer", {"style_transfer.py": (ROOT / "style_transfer.py").read_bytes()})
            fork_s = time.perf_counter() - t0
            child.close()
            fresh = [sys.executable, "-I", "-c", "import torch, torchvision, numpy, matplotlib.pyplot"]
            if sandbox.mode == "strong":  # the same imports in a fresh interpreter inside a bwrap sandbox
                binds = []
                for path in python_paths():
                    binds += ["--ro-bind", path, path]
                fresh = [bwrap(), "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                         "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin",
                         "/bin", *binds, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *fresh]
            t0 = time.perf_counter()
            subprocess.run(fresh, check=True, stderr=subprocess.DEVNULL, env={"PATH": os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1",
                                               "MPLCONFIGDIR": "/tmp", "HOME": "/tmp"})
            fresh_s = time.perf_counter() - t0
            print(f"start a question's process   : zygote fork + sandbox + import {fork_s:5.2f} s   vs fresh "
                  f"interpreter{' in bwrap' if sandbox.mode == 'strong' else ''} {fresh_s:5.2f} s  "
                  f"({fresh_s / max(fork_s, 1e-9):.0f}x; x5 questions per submission)")

            rates = {}
            for jobs in sorted({1, args.jobs}):
                t0 = time.perf_counter()
                with PeakMemory() as mem:
                    with ThreadPoolExecutor(max_workers=jobs) as pool:
                        scores = list(pool.map(lambda s: grade(s, sandbox, reference, args.questions)["score"], subs))
                secs = time.perf_counter() - t0
                rates[jobs] = len(subs) / secs * 60
                assert len(set(scores)) == 1, scores
                print(f"batch, {jobs} at once          : {secs:6.1f} s for {len(subs)}  = {rates[jobs]:5.1f} "
                      f"submissions/min  ({secs / len(subs):.1f} s each)  peak PSS {mem.peak:6.0f} MB "
                      f"= {mem.peak / jobs:5.0f} MB per worker  [{goal(mem.peak / jobs < 2048)}: < 2 GB per worker"
                      + (f"; {goal(rates[jobs] >= 30)}: >= 30/min]" if jobs > 1 else "]"))
            if args.jobs != 1:
                print(f"batch speed-up, {args.jobs} vs 1 job (baseline): {rates[args.jobs] / rates[1]:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
