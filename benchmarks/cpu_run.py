"""Where the time of a CPU-mode run of the notebooks goes, against the machine's arithmetic floor.

Reads notebooks executed by ``python -m eecs598 run`` (nbclient records when each cell started
and ended) and prints, per notebook, its time and its slowest cells. For the three trainings that
take most of it -- Q1 Part V (plain32 + resnet32), Q1 *Going further* (resnet32, fast recipe) and
the DCGAN -- it counts the FLOPs of one training step (``torch.utils.flop_counter``: convolutions
and matrix products, forward and backward), multiplies by the steps the run printed, and divides
by this machine's fp32 matmul rate measured here (2048^3, the threads torch uses by default).
That quotient is the time the training could not beat even at the matmul peak; the cell's time
over it is the share of the peak the training reached.

Usage (from the repository root):
    python -m eecs598 run --out /tmp/cpu_run          # CPU mode: no EECS598_FAST, no GPU
    python benchmarks/cpu_run.py /tmp/cpu_run
    python benchmarks/cpu_run.py --run /tmp/cpu_run   # both in one command
"""
import argparse
import functools
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from eecs598.assignment import NOTEBOOKS  # noqa: E402


def cell_seconds(cell):
    """Seconds from the cell's execute_input to its execute_reply (nbclient's timing), or None."""
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                      for k in ("iopub.execute_input", "shell.execute_reply"))
    except KeyError:
        return None
    return (end - start).total_seconds()


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def flops(fn):
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


@functools.lru_cache(maxsize=None)
def resnet_step_flops(name, batch=8):
    import pytorch_autograd_and_nn as q1
    model = q1.get_resnet(name)
    x, y = torch.randn(batch, 3, 32, 32), torch.randint(10, (batch,))
    return flops(lambda: F.cross_entropy(model(x), y).backward()) / batch  # per image, any batch


@functools.lru_cache(maxsize=None)
def dcgan_iter_flops(batch=128):
    """One run_a_gan iteration: G forward, D on real and fake, backward; G forward, D, backward."""
    import generative_adversarial_networks as gan
    D, G = gan.build_dc_classifier(batch), gan.build_dc_generator()
    x = torch.rand(batch, 1, 28, 28)

    def step():
        fake = G(gan.sample_noise(batch, gan.NOISE_DIM)).detach()
        gan.discriminator_loss(D(2 * (x - 0.5)), D(fake.view_as(x))).backward()
        fake = G(gan.sample_noise(batch, gan.NOISE_DIM))
        gan.generator_loss(D(fake.view_as(x))).backward()
    return flops(step)


def matmul_peak(n=2048, rounds=5, seconds=1.0):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    rates = []
    for _ in range(rounds):
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            a @ b
            reps += 1
        rates.append(2 * n ** 3 * reps / (time.perf_counter() - t0))
    return statistics.median(rates), min(rates), max(rates)


def find(nb, marker):
    return next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)


def trainings(out):
    """[(what, seconds of its cell, FLOPs)] of the three largest trainings, from the printed steps."""
    rows = []
    q1 = out / "pytorch_autograd_and_nn.ipynb"
    if q1.exists():
        nb = nbformat.read(q1, as_version=4)
        cell = find(nb, "names = ['plain32', 'resnet32']")
        text = text_of(cell)
        total = 0
        for name in ("plain32", "resnet32"):
            m = re.search(rf"{name}: (\d+) epochs x (\d+) iterations", text)
            total += int(m[1]) * int(m[2]) * 64 * resnet_step_flops(name)
        rows.append(("Q1 Part V: plain32 + resnet32 (batch 64)", cell_seconds(cell), total))
        cell = find(nb, "train_with_budget(")
        m = re.search(r"fast recipe \|\s+([\d,]+) \|", text_of(cell))
        rows.append(("Q1 Going further: resnet32, fast recipe", cell_seconds(cell),
                     int(m[1].replace(",", "")) * resnet_step_flops("resnet32")))
    gan_nb = out / "generative_adversarial_networks.ipynb"
    if gan_nb.exists():
        nb = nbformat.read(gan_nb, as_version=4)
        cell = find(nb, "train('DCGAN'")
        m = re.search(r"DCGAN: (\d+) iterations of batch (\d+)", text_of(cell))
        rows.append((f"DCGAN ({m[1]} iterations)", cell_seconds(cell),
                     int(m[1]) * dcgan_iter_flops(int(m[2]))))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder of notebooks executed by python -m eecs598 run")
    parser.add_argument("--run", action="store_true", help="run the notebooks (CPU mode) into OUT first")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.run:
        env = {k: v for k, v in os.environ.items() if k != "EECS598_FAST"}
        subprocess.run([sys.executable, "-m", "eecs598", "run", "--out", str(out)], cwd=REPO, env=env, check=True)
    print(f"torch {torch.__version__} | {os.cpu_count()} CPUs | {torch.get_num_threads()} threads | {out}")
    total = 0.0
    for entry in NOTEBOOKS:
        path = out / f"{entry.name}.ipynb"
        if not path.exists():
            print(f"{entry.name:<34} not executed")
            continue
        nb = nbformat.read(path, as_version=4)
        mode = next((m[1] for c in nb.cells for m in [re.search(r"mode: (\w+)", text_of(c))] if m), "?")
        cells = [(cell_seconds(c), c.source.splitlines()[0][:60] if c.source else "") for c in nb.cells
                 if c.cell_type == "code" and cell_seconds(c) is not None]
        seconds = sum(s for s, _ in cells)
        total += seconds
        print(f"{entry.name:<34} {seconds:6.0f} s  ({mode} mode)")
        for s, first in sorted(cells, reverse=True)[:3]:
            print(f"    {s:6.1f} s  {first}")
    print(f"{'all notebooks (cells only)':<34} {total:6.0f} s = {total / 60:.1f} min")

    peak, lo, hi = matmul_peak()
    print(f"\nfp32 matmul 2048^3: {peak / 1e9:.1f} [{lo / 1e9:.1f}-{hi / 1e9:.1f}] GFLOP/s "
          f"(median [min-max] of 5 s)")
    print(f"{'training':<44}{'TFLOP':>7}{'at peak':>9}{'measured':>10}{'% of peak':>11}")
    floor = spent = 0.0
    for what, seconds, work in trainings(out):
        at_peak = work / peak
        floor, spent = floor + at_peak, spent + seconds
        print(f"{what:<44}{work / 1e12:7.1f}{at_peak:8.0f}s{seconds:9.0f}s{100 * at_peak / seconds:10.0f}%")
    print(f"{'these trainings':<44}{'':>7}{floor:8.0f}s{spent:9.0f}s{100 * floor / spent:10.0f}%")
    print(f"the rest of the run: {total - spent:.0f} s")


if __name__ == "__main__":
    main()
