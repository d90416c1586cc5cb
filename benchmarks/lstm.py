"""Forward + backward time of the notebook's LSTM against torch.nn.LSTM, on the same shapes.

Implementations of the same function (one layer, c0 = 0, h0 given, sum of h as the loss):

* ``nn.LSTM``    -- PyTorch's fused kernel (oneDNN's RNN primitive on a CPU): the baseline,
                    measured in the same rounds;
* ``LSTM``       -- ``rnn_lstm_attention_captioning.LSTM``, the module the notebook trains
                    (``lstm_forward``: hoisted input projection, 7 ops per step, a hand-written
                    backward for the whole sequence with 6 ops per step);
* ``step loop``  -- ``lstm_step_forward`` called T times under autograd: what a plain student
                    implementation of ``lstm_forward`` costs;
* ``matmuls``    -- only the matrix products that ``LSTM`` runs (torch.mm, i.e. MKL), without any
                    gate math: the floor for any implementation built from PyTorch ops.

The rounds are interleaved (every implementation once per round, in rotating order) because
the machine may be shared; each round's time is divided by the same round's ``nn.LSTM`` time,
and the script prints the median ratio and its spread (25th-75th percentile) over the rounds.
At the small shape it also runs both on (1, T, 4, 4) inputs, where the same calls do next to no
arithmetic: the difference of those times is the part of the gap that is per-call cost (Python,
dispatch, autograd), which no change to the arithmetic can remove; and it prints the framework's
cost of one small op.

Usage: ``python benchmarks/lstm.py [--threads 1] [--rounds 15] [--device cpu]``.
"""
import argparse
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import rnn_lstm_attention_captioning as cap  # noqa: E402

SHAPES = [(64, 16, 512, 512), (10, 16, 128, 128)]  # (N, T, D, H)
OPS_PER_STEP = 7 + 6  # LSTM's ops per time step: forward, backward (with its matmul)


def flops(N, T, D, H):
    """Matmul FLOPs of forward + backward (backward = 2x forward)."""
    return 3 * 2 * N * T * (D + H) * 4 * H


def machine():
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{name}, {os.cpu_count()} CPUs"


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def interleaved(fns, rounds, warmup, device, clock):
    """{name: [seconds per round]}; every round runs each function once, in rotating order."""
    names = list(fns)
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            _sync(device)
            start = clock()
            fns[name]()
            _sync(device)
            times[name].append(clock() - start)
    return times


def step_loop(x, h0, Wx, Wh, b):
    """A plain lstm_forward: lstm_step_forward in a loop, autograd for the backward."""
    h, c, hs = h0, torch.zeros_like(h0), []
    for t in range(x.shape[1]):
        h, c = cap.lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
    return torch.stack(hs, dim=1)


def bench_shape(N, T, D, H, rounds, warmup, device, clock):
    torch.manual_seed(0)
    x = torch.randn(N, T, D, device=device, requires_grad=True)
    h0 = torch.randn(N, H, device=device, requires_grad=True)
    mine = cap.LSTM(D, H, device=device)
    ref = torch.nn.LSTM(D, H, batch_first=True).to(device)
    c0 = torch.zeros(1, N, H, device=device)
    with torch.no_grad():
        xt, dA = torch.randn(T * N, D, device=device), torch.randn(T, N, 4 * H, device=device)
        hs, WhT = torch.randn(T, N, H, device=device), mine.Wh.t().contiguous()
        gates = torch.empty(T, N, 4 * H, device=device)

    def matmuls():  # the products of LSTM's forward and backward, nothing else
        with torch.no_grad():
            torch.addmm(mine.b, xt, mine.Wx, out=gates.view(T * N, 4 * H))
            for t in range(T):
                gates[t].addmm_(hs[t], mine.Wh)
            for t in range(T):
                dA[t].mm(WhT)
            d = dA.view(T * N, 4 * H)
            d.mm(mine.Wx.t()), xt.t().mm(d), hs.view(T * N, H).t().mm(d)

    fns = {
        "nn.LSTM": lambda: ref(x, (h0[None], c0))[0].sum().backward(),
        "LSTM": lambda: mine(x, h0).sum().backward(),
        "step loop": lambda: step_loop(x, h0, mine.Wx, mine.Wh, mine.b).sum().backward(),
        "matmuls": matmuls,
    }
    return interleaved(fns, rounds, warmup, device, clock)


def op_cost_us(device, clock, n=2000):
    """Median time of one small elementwise op (dispatch + kernel), in microseconds."""
    a, b = torch.randn(10, 128, device=device), torch.randn(10, 128, device=device)
    times = []
    for _ in range(5):
        _sync(device)
        start = clock()
        for _ in range(n):
            torch.mul(a, b)
        _sync(device)
        times.append((clock() - start) / n * 1e6)
    return statistics.median(times)


def overhead_share(N, T, D, H, times, args, device, clock):
    """How much of LSTM's gap to nn.LSTM at this shape is per-call cost, not arithmetic.

    Both run again on (1, T, 4, 4) inputs: the same sequence of framework calls (same T, same
    ops) with next to no FLOPs, so their times are each implementation's fixed per-call cost.
    """
    tiny = bench_shape(1, T, 4, 4, args.rounds, args.warmup, device, clock)
    gap = statistics.median(times["LSTM"]) - statistics.median(times["nn.LSTM"])
    fixed = statistics.median(tiny["LSTM"]) - statistics.median(tiny["nn.LSTM"])
    print(f"  the same calls on N,T,D,H=1,{T},4,4 (no arithmetic to speak of): LSTM "
          f"{statistics.median(tiny['LSTM']) * 1e3:.2f} ms, nn.LSTM {statistics.median(tiny['nn.LSTM']) * 1e3:.2f} ms;"
          f" their difference {fixed * 1e3:.2f} ms is {100 * fixed / gap:.0f}% of the {gap * 1e3:.2f} ms gap at "
          f"{N},{T},{D},{H}" if gap > 0 else "  (no gap at this shape)")


def quantiles(values):
    q = statistics.quantiles(values, n=4)
    return q[0], statistics.median(values), q[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: on a shared machine, OpenMP threads "
                             "that wait for each other swamp the comparison)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved timed rounds")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    # One CPU thread: the process's CPU time, which time spent waiting for a shared core does not
    # inflate. Otherwise (threads or a GPU) wall-clock time.
    cpu_clock = device.type == "cpu" and args.threads == 1
    clock = time.process_time if cpu_clock else time.perf_counter
    print(f"torch {torch.__version__} | {machine()} | device {device} | {args.threads} threads | "
          f"float32 | {'CPU' if cpu_clock else 'wall-clock'} time | "
          f"{args.rounds} interleaved rounds, median [25th-75th percentile]")
    print(f"{'N,T,D,H':<16}{'impl':<11}{'ms':>9}{'vs nn.LSTM':>12}{'spread':>16}{'GFLOP/s':>9}")
    for N, T, D, H in SHAPES:
        times = bench_shape(N, T, D, H, args.rounds, args.warmup, device, clock)
        base = times["nn.LSTM"]
        for name, ts in times.items():
            lo, mid, hi = quantiles([t / b for t, b in zip(ts, base)])
            t = statistics.median(ts)
            print(f"{f'{N},{T},{D},{H}':<16}{name:<11}{t * 1e3:9.2f}{mid:11.2f}x"
                  f"{f'[{lo:.2f}-{hi:.2f}]':>16}{flops(N, T, D, H) / t / 1e9:9.1f}")
        if (N, T, D, H) == SHAPES[-1]:
            overhead_share(N, T, D, H, times, args, device, clock)
            op_us = op_cost_us(device, clock)
            floor = op_us * OPS_PER_STEP * T / 1e3
            print(f"  per-op cost {op_us:.1f} us x {OPS_PER_STEP} ops/step x {T} steps = "
                  f"{floor:.2f} ms of framework overhead alone, = "
                  f"{floor / (statistics.median(base) * 1e3):.2f}x nn.LSTM's whole forward + backward")


if __name__ == "__main__":
    main()
