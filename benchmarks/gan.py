"""Benchmark: GAN training iterations (CS231n A3 networks) — run_a_gan against a bare loop.

For each GAN (vanilla = fully connected, dc = DCGAN) it measures, in the same run:

* ``run_a_gan``: median seconds per iteration of the provided training function, fed by the
  notebook's DataLoader (``make_loader``), including the tqdm bar and the per-iteration
  ``.item()`` calls;
* baseline: the same D step + G step on a batch already in memory, in a plain loop;
* FLOPs of one iteration (``torch.utils.flop_counter``), the achieved GFLOP/s, and the
  percentage of this machine's fp32 matmul peak, measured here with a 2048^3 matmul.

Example (2 CPU cores):
    OMP_NUM_THREADS=2 python benchmarks/gan.py --models vanilla dc --batch 128 --iters 10
"""
import argparse
import contextlib
import io
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import generative_adversarial_networks as gan  # noqa: E402


def build(kind, batch):
    torch.manual_seed(0)
    if kind == "vanilla":
        return gan.discriminator(), gan.generator()
    D, G = gan.build_dc_classifier(batch), gan.build_dc_generator()
    D.apply(gan.initialize_weights)
    G.apply(gan.initialize_weights)
    return D, G


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare_step(D, G, D_solver, G_solver, x, batch):
    """One iteration of run_a_gan's algorithm without loader, logging or host syncs."""
    D_solver.zero_grad()
    fake = G(gan.sample_noise(batch, gan.NOISE_DIM).to(x.device)).detach()
    gan.discriminator_loss(D(2 * (x - 0.5)), D(fake)).backward()
    D_solver.step()
    G_solver.zero_grad()
    gan.generator_loss(D(G(gan.sample_noise(batch, gan.NOISE_DIM).to(x.device)))).backward()
    G_solver.step()


def matmul_peak(device, n=2048, repeats=5):
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    sync(device)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        sync(device)
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / min(times) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["vanilla", "dc"], choices=["vanilla", "dc"])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--iters", type=int, default=10, help="timed iterations per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)

    from torch.utils.flop_counter import FlopCounterMode

    images = torch.randint(0, 256, (args.batch * (args.iters + 2), 28, 28), dtype=torch.uint8)
    loader = gan.make_loader(images, batch_size=args.batch, num_train=len(images))
    peak = matmul_peak(device)
    print(f"torch {torch.__version__} | device {device} | threads {torch.get_num_threads()} | fp32 | "
          f"batch {args.batch} | {args.repeats} repeats of {args.iters} iterations (median)")
    print(f"measured fp32 matmul peak (2048^3): {peak:.1f} GFLOP/s")
    print(f"{'model':<8}{'run_a_gan ms/it':>16}{'bare ms/it':>12}{'ratio':>7}{'GFLOP/it':>10}"
          f"{'GFLOP/s':>9}{'% peak':>8}")
    for kind in args.models:
        D, G = build(kind, args.batch)
        D, G = D.to(device), G.to(device)
        Ds, Gs = gan.get_optimizer(D), gan.get_optimizer(G)
        x = (images[:args.batch].unsqueeze(1).float() / 255).to(device)
        with FlopCounterMode(display=False) as counter:
            bare_step(D, G, Ds, Gs, x, args.batch)  # also the warm-up
        gflop = counter.get_total_flops() / 1e9
        bare, full = [], []
        for _ in range(args.repeats):
            sync(device)
            t = time.perf_counter()
            for _ in range(args.iters):
                bare_step(D, G, Ds, Gs, x, args.batch)
            sync(device)
            bare.append((time.perf_counter() - t) / args.iters)
            with contextlib.redirect_stdout(io.StringIO()):  # run_a_gan prints iteration 0
                _, hist = gan.run_a_gan(D, G, Ds, Gs, gan.discriminator_loss, gan.generator_loss, loader,
                                        show_every=10 ** 9, batch_size=args.batch,
                                        num_iters=args.iters, device=device, return_history=True,
                                        progress=False)
            full.append(hist["seconds"] / args.iters)
        b, f = statistics.median(bare), statistics.median(full)
        print(f"{kind:<8}{1000 * f:>16.1f}{1000 * b:>12.1f}{f / b:>7.2f}{gflop:>10.2f}"
              f"{gflop / b:>9.1f}{100 * gflop / b / peak:>7.1f}%")


if __name__ == "__main__":
    main()
