"""Forward + backward time of the hand-written LSTM against torch.nn.LSTM, on the same shapes.

Three implementations of the same function (c0 = 0, one layer, h0 given, sum of h as the loss):

* ``nn.LSTM``      -- PyTorch's fused kernel (the baseline, measured in the same run);
* ``LSTM``         -- ``rnn_lstm_attention_captioning.LSTM`` (``lstm_forward``: hoisted input
                      projection, one fused gate matmul per step, autograd for the backward);
* ``fused``        -- ``lstm_forward_fused``: the same forward with a hand-written backward for
                      the whole sequence (weight gradients as three large matmuls after the loop).

Usage: ``python benchmarks/lstm.py [--threads 2] [--repeats 20] [--device cpu]``.
Prints the median time of each, the ratio to ``nn.LSTM`` and the achieved GFLOP/s.
"""
import argparse
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import rnn_lstm_attention_captioning as cap
from eecs598.lstm_fused import lstm_forward_fused  # noqa: E402

SHAPES = [(64, 16, 512, 512), (10, 16, 128, 128)]  # (N, T, D, H)


def flops(N, T, D, H):
    """Matmul FLOPs of forward + backward (backward = 2x forward)."""
    return 3 * 2 * N * T * (D + H) * 4 * H


def median_time(fn, repeats, warmup, device):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_shape(N, T, D, H, repeats, warmup, device):
    torch.manual_seed(0)
    x = torch.randn(N, T, D, device=device, requires_grad=True)
    h0 = torch.randn(N, H, device=device, requires_grad=True)
    mine = cap.LSTM(D, H, device=device)
    ref = torch.nn.LSTM(D, H, batch_first=True).to(device)
    c0 = torch.zeros(1, N, H, device=device)

    def run_ref():
        out, _ = ref(x, (h0[None], c0))
        out.sum().backward()

    def run_mine():
        mine(x, h0).sum().backward()

    def run_fused():
        lstm_forward_fused(x, h0, mine.Wx, mine.Wh, mine.b).sum().backward()

    results = {}
    for name, fn in [("nn.LSTM", run_ref), ("LSTM", run_mine), ("fused", run_fused)]:
        results[name] = median_time(fn, repeats, warmup, device)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="torch CPU threads (default: torch's default)")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per implementation")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"torch {torch.__version__} | device {device} | {args.threads} threads | "
          f"{platform.processor() or platform.machine()} | float32 | median of {args.repeats} runs")
    print(f"{'N,T,D,H':<18}{'impl':<10}{'ms':>10}{'vs nn.LSTM':>12}{'GFLOP/s':>10}")
    for N, T, D, H in SHAPES:
        results = bench_shape(N, T, D, H, args.repeats, args.warmup, device)
        base = results["nn.LSTM"]
        for name, t in results.items():
            print(f"{f'{N},{T},{D},{H}':<18}{name:<10}{t * 1e3:10.2f}{t / base:11.2f}x"
                  f"{flops(N, T, D, H) / t / 1e9:10.1f}")


if __name__ == "__main__":
    main()
