"""resnet32 on CIFAR-10: the original recipe vs the fast recipe, chosen on validation; throughput vs peak.

Three parts, all printed with the machine, torch version and thread count:

1. Throughput. The fp32 matmul peak (``torch.mm`` at 2048) and resnet32 training steps (forward,
   backward, SGD) in several layouts, measured interleaved in rounds (the machine may be shared:
   every figure is a median over rounds with its min-max spread, next to the peak measured in the
   same rounds). FLOPs are counted by ``torch.utils.flop_counter`` (conv/linear forward and
   backward). When the best layout stays under half the peak, every distinct convolution of the
   network is timed alone, to show where the time goes.
2. Recipe choice. The training images are split into train and validation (stratified,
   ``--num-val``); the original recipe and every candidate in :data:`CANDIDATES` train the same
   number of epochs on the train part, for ``--seeds`` seeds, runs interleaved (seed by seed); the
   candidate with the best median validation accuracy is chosen. The test images are not used.
3. Test, once: the original recipe and the chosen candidate train on all training images (same
   epochs, same seeds), and are tested on the test images: median, spread and gain.

Equal epochs by default: on a shared machine a wall-time budget measures the neighbours' load.
Each run's seconds are printed; the fast recipe's time ratio to the original (median over the
interleaved runs) says what equal epochs means in time. A ratio <= 1 means the fast recipe got no
more time than the original, so its gain at equal time is at least the gain printed.
Equal time with ``--budget-s S``: every run trains for S seconds of the process's CPU time when
``--threads 1`` (time spent waiting for a shared core is not counted), else of wall time.

Data: ``eecs598.data.load_cifar10_arrays()`` (the full CIFAR-10 when cached, else the data mirror's
genuine subset: 5,438 train / 1,017 test images).

Measured (2-core AMD EPYC VM shared with six other jobs, torch 2.14.1, the mirror's subset):

* ``--only throughput --threads 1 --rounds 3``: matmul peak 53.3 [51.5-60.5] GFLOP/s; resnet32
  (103.9 MFLOP per training image) NCHW batch 64 (original) 265 images/s = 51.6% of the peak,
  channels-last batch 64 275 images/s = 53.7%, channels-last batch 128 337 images/s = 65.7%;
  channels-last speed-up 1.31 [0.96-1.47]x at batch 64, 1.40 [1.18-1.55]x at batch 128.
  With ``--threads 2`` on the same busy machine the 2-thread runs stall on each other's load
  (3.8-36% of the peak): on a shared 2-core machine one thread per run is the faster choice.
* On two idle cores (2 threads), ``--only throughput --rounds 3``: matmul peak 138.5 GFLOP/s;
  NCHW batch 64 32.7%, channels-last batch 64 43.5%, batch 128 45.0%. With ``--compile`` (46 s
  to compile) in a second run: peak 145.9, channels-last 42.9%, compiled 39.3%. Per convolution
  (batch 64): the 8-channel ones at 32x32 (37% of the FLOPs) run at 8-42% of the peak and take
  42.6 of the 76.2 ms of convolutions; the 16/32-channel 3x3 ones at 82-98%; the 30 ms of
  element-wise work stay. Those two alone cap a step at about 45% of the peak.
  When the machine was busiest (one-thread peak 11.5 GFLOP/s), the per-convolution table showed why
  a step stays near half the peak: the 8-channel convolutions at 32x32 (a third of the FLOPs) ran
  at 35% of the peak, the 1x1 stride-2 shortcuts at 8-18%, the 16/32-channel ones at 74-95%, and
  BatchNorm/ReLU/additions/optimizer took 19-26% of the step with no FLOPs.
  (torch.compile, ``--compile``: 1.04-1.2x over eager channels-last after 5 minutes of compiling.)
* ``--num-train 2500 --num-val 500 --epochs 4 --seeds 3 --candidates fast,fast_flip_only
  --threads 1 --only recipes``: validation medians original 35.80%, fast (crops + flips) 36.60%,
  flips only 37.40% [37.00-39.00] -> chosen: flips only; test, once: original 36.18%
  [35.40-36.58], flips only 40.81% [38.74-41.20], gain +4.23 [+3.34-+5.01] points per seed at
  equal epochs, time ratio 0.49 [0.45-1.22].
* ``--num-train 2500 --num-val 500 --epochs 2 --seeds 3 --candidates
  fast,fast_flip_only,fast_lr0.1_b128 --rounds 2 --tp-seconds 2 --threads 1``: validation medians
  original 26.80%, fast 30.80%, flips only 33.20%, lr 0.1 batch 128 28.40% -> flips only; test:
  original 30.19%, flips only 35.40%, gain +4.42 [+4.03-+6.10] points, time ratio 0.73.

* ``--only recipes --budget-s 90 --seeds 3 --candidates fast,fast_flip_only --threads 1`` (one
  thread, 4,438 train / 1,000 validation images, 24 minutes): validation medians original 47.20%,
  fast (crops + flips) 59.70% [59.10-60.10], flips only 59.60% -> chosen: fast; test, once, all
  5,438 training images: original 47.89% [47.39-48.57], fast 60.67% [58.21-61.16], gain +12.59
  [+10.32-+13.27] points at equal time; epochs in 90 CPU seconds: original 5.4, fast 6.8.

The default (8 epochs, 4,438 train / 1,000 validation images, four candidates, 3 seeds) trains
about 800,000 images: roughly half an hour on two idle cores. It has not been run here.

Usage (from the repository root; run time about seeds x (candidates + 1) x epochs x 25 s on one
busy core with the mirror's subset):
    EECS598_DATA_MIRROR=path/to/mirror python benchmarks/cifar_resnet.py
    python benchmarks/cifar_resnet.py --epochs 2 --candidates fast,fast_lr0.1_b128 --threads 1
    python benchmarks/cifar_resnet.py --only throughput
"""
import argparse
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from eecs598 import cifar_recipes as recipes  # noqa: E402
from eecs598.data import load_cifar10_arrays  # noqa: E402
from eecs598.device import get_device  # noqa: E402
from pytorch_autograd_and_nn import get_resnet  # noqa: E402

# Candidate fast recipes (overrides of cifar_recipes.FAST_RECIPE as it was before the choice:
# peak lr 0.05, batch 64, label smoothing 0.1, crop 4 + flip, weight decay 5e-4).
CANDIDATES = {
    'fast': {},
    'fast_lr0.1_b128': dict(lr=0.1, batch_size=128),
    'fast_flip_only': dict(crop_pad=0),
    'fast_no_smoothing': dict(label_smoothing=0.0),
}
BASE_FAST = dict(batch_size=64, lr=0.05, warmup=0.15, momentum=0.9, weight_decay=5e-4,
                 label_smoothing=0.1, crop_pad=4, flip=True, tta=True)


def cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def spread(values, fmt='{:.1f}'):
    """'median [min-max]' of values."""
    return (fmt + ' [' + fmt + '-' + fmt + ']').format(statistics.median(values), min(values), max(values))


# ----------------------------------------------------------------------------- throughput
def matmul_rate(n=2048, seconds=1.0, device='cpu'):
    """GFLOP/s of an n x n @ n x n fp32 product, timed for about `seconds`."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    if device.type == 'cuda':
        torch.cuda.synchronize()
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def train_flops_per_image(model, batch=16):
    """Forward + backward FLOPs (conv, linear, matmul) of one training image."""
    from torch.utils.flop_counter import FlopCounterMode
    device = next(model.parameters()).device
    x = torch.randn(batch, 3, 32, 32, device=device)
    counter = FlopCounterMode(display=False)
    with counter:
        F.cross_entropy(model(x), torch.randint(10, (batch,), device=device)).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / batch


def make_step(channels_last, batch, device, compile_=False):
    """A closure doing one resnet32 SGD training step on a fixed random batch."""
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = get_resnet('resnet32').to(device=device, memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    fn = torch.compile(model) if compile_ else model
    x = torch.randn(batch, 3, 32, 32, device=device).contiguous(memory_format=fmt)
    y = torch.randint(10, (batch,), device=device)

    def step():
        loss = F.cross_entropy(fn(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    for _ in range(3):  # oneDNN primitive creation, compilation
        step()
    return step


def images_per_s(step, batch, seconds, device):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    if device.type == 'cuda':
        torch.cuda.synchronize()
    return batch * n / (time.perf_counter() - t0)


def conv_breakdown(batch, channels_last, peak, step_s, device, seconds=0.3):
    """Time every distinct convolution of resnet32 alone (forward + both backward products)."""
    model = get_resnet('resnet32')
    shapes, x = {}, torch.randn(1, 3, 32, 32)
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.setdefault(
        (m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0], i[0].shape[-1]), []).append(1))
        for m in model.modules() if isinstance(m, nn.Conv2d)]
    model(x)
    for h in hooks:
        h.remove()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    print(f'{"conv (Cin>Cout kxk /s @HxW)":>28} | {"count":>5} | {"MFLOP/img":>9} | {"ms/step":>8} | '
          f'{"GFLOP/s":>7} | {"% peak":>6}')
    total_ms = 0.0
    for (cin, cout, k, s, hw), uses in sorted(shapes.items(), key=lambda kv: kv[0][4], reverse=True):
        conv = nn.Conv2d(cin, cout, k, stride=s, padding=k // 2).to(device=device, memory_format=fmt)
        inp = torch.randn(batch, cin, hw, hw, device=device).contiguous(memory_format=fmt).requires_grad_()
        out_hw = (hw + 2 * (k // 2) - k) // s + 1
        flops = 3 * 2 * cin * cout * k * k * out_hw * out_hw  # forward, grad input, grad weight
        for _ in range(3):
            conv(inp).sum().backward()
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            conv(inp).sum().backward()
            reps += 1
        ms = 1e3 * (time.perf_counter() - t0) / reps
        total_ms += ms * len(uses)
        rate = flops * batch / ms / 1e6
        print(f'{f"{cin}>{cout} {k}x{k} /{s} @{hw}x{hw}":>28} | {len(uses):5d} | {flops / 1e6:9.2f} | '
              f'{ms:8.2f} | {rate:7.1f} | {100 * rate / peak:5.1f}%')
    print(f'convolutions alone: {total_ms:.1f} ms of a {1e3 * step_s:.1f} ms training step '
          f'({100 * total_ms / (1e3 * step_s):.0f}%); the rest is BatchNorm, ReLU, additions, the loss '
          f'and the optimizer: memory-bound element-wise work with no FLOPs counted.')


def throughput(args, device):
    print('-- 1. training throughput vs the matmul peak ' + '-' * 32)
    flops = train_flops_per_image(get_resnet('resnet32').to(device))
    variants = {'NCHW, batch 64 (original)': (False, 64, False),
                'channels-last, batch 64': (True, 64, False),
                'channels-last, batch 128': (True, 128, False)}
    if args.compile:
        if device.type == 'cuda' or shutil.which('gcc') or shutil.which('cc'):
            variants['torch.compile, channels-last, batch 64'] = (True, 64, True)
        else:
            print('torch.compile skipped: no C compiler on this machine')
    steps = {}
    for name, (cl, b, comp) in variants.items():
        t0 = time.perf_counter()
        steps[name] = make_step(cl, b, device, comp)
        if comp:
            print(f'  ({name}: compiled in {time.perf_counter() - t0:.0f} s)')
    rates = {name: [] for name in variants}
    peaks = []
    for _ in range(args.rounds):  # interleaved: every variant sees the same background load
        peaks.append(matmul_rate(device=device, seconds=args.tp_seconds / 2))
        for name, (cl, b, comp) in variants.items():
            rates[name].append(images_per_s(steps[name], b, args.tp_seconds, device))
    peak = statistics.median(peaks)
    print(f'fp32 matmul 2048x2048: {spread(peaks)} GFLOP/s (median [min-max] of {args.rounds} rounds)')
    print(f'resnet32 training: {flops / 1e6:.1f} MFLOP per image (conv + linear, forward + backward)')
    print(f'{"variant":>40} | {"images/s":>20} | {"GFLOP/s":>7} | {"% of peak":>9}')
    best = None
    for name, r in rates.items():
        g = statistics.median(r) * flops / 1e9
        print(f'{name:>40} | {spread(r, "{:.0f}"):>20} | {g:7.1f} | {100 * g / peak:8.1f}%')
        if best is None or g > best[1]:
            best = (name, g)
    base = statistics.median(rates['NCHW, batch 64 (original)'])
    for name, r in list(rates.items())[1:]:
        ratios = [a / b for a, b in zip(r, rates['NCHW, batch 64 (original)'])]
        print(f'  speed-up of {name} over the original layout: {spread(ratios, "{:.2f}")}x (per round)')
    if best[1] < 0.5 * peak:
        cl, b, _ = variants[best[0]]
        print(f'best variant at {100 * best[1] / peak:.0f}% of the peak (< 50%); where a step of '
              f'"{best[0]}" goes:')
        conv_breakdown(b, cl, peak, b / statistics.median(rates[best[0]]), device, min(0.3, args.tp_seconds))
    return dict(peak=peak, flops=flops, rates=rates, base_rate=base)


# ----------------------------------------------------------------------------- recipes
def budget_clock():
    """The timer of an equal-time budget: CPU time of this process with one thread (which other
    programs' load does not change), else wall time."""
    return time.process_time if torch.get_num_threads() == 1 else time.perf_counter


def run(recipe, hyp, X, y, Xe, ye, args, seed, device):
    """Train resnet32 (initial weights from `seed`) for ``args.epochs`` epochs, or for
    ``args.budget_s`` seconds when given; accuracy on (Xe, ye)."""
    torch.manual_seed(seed)
    model = get_resnet('resnet32')
    budget = (dict(budget_s=args.budget_s, clock=budget_clock()) if args.budget_s
              else dict(budget_images=int(args.epochs * len(y))))
    return recipes.train_with_budget(model, X, y, recipe=recipe, hyp=hyp, device=device, seed=seed,
                                     X_val=Xe, y_val=ye, progress=False, **budget)


def compare(names, X, y, Xe, ye, args, device, label):
    """Every recipe in `names` for every seed, interleaved; returns {name: [result, ...]}."""
    out = {n: [] for n in names}
    for seed in range(args.seeds):
        for name in names:
            recipe = 'original' if name == 'original' else 'fast'
            hyp = None if name == 'original' else {**BASE_FAST, **CANDIDATES[name]}
            res = run(recipe, hyp, X, y, Xe, ye, args, seed, device)
            out[name].append(res)
            print(f'  seed {seed} {name:>18}: {label} {100 * res["val_acc"]:.2f}%  '
                  f'({res["seconds"]:.0f} s, {res["images"] / len(y):.1f} epochs, '
                  f'{res["images_per_s"]:.0f} images/s)', flush=True)
    return out


def summarize(out, label):
    print(f'{"recipe":>18} | {label + " % median [min-max]":>28} | {"train s median":>14}')
    for name, rs in out.items():
        print(f'{name:>18} | {spread([100 * r["val_acc"] for r in rs], "{:.2f}"):>28} | '
              f'{statistics.median(r["seconds"] for r in rs):14.0f}')


def budget_words(args):
    if not args.budget_s:
        return f'{args.epochs:g} epochs'
    clock = 'CPU' if budget_clock() is time.process_time else 'wall'
    return f'{args.budget_s:g} {clock} seconds'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', choices=['throughput', 'recipes'], default=None)
    parser.add_argument('--epochs', type=float, default=8, help='epochs per training run (default 8)')
    parser.add_argument('--budget-s', type=float, default=None,
                        help='equal time instead of equal epochs: seconds of training per run '
                             '(CPU seconds of the process with --threads 1, else wall seconds)')
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--num-val', type=int, default=1000, help='training images held out for validation')
    parser.add_argument('--candidates', default=','.join(CANDIDATES),
                        help='comma-separated names from CANDIDATES (default: all)')
    parser.add_argument('--num-train', type=int, default=None, help='use only the first N training images')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    parser.add_argument('--device', default=None, help='cpu / cuda (default: best available)')
    parser.add_argument('--rounds', type=int, default=3, help='interleaved throughput rounds')
    parser.add_argument('--tp-seconds', type=float, default=3.0, help='seconds per throughput measurement')
    parser.add_argument('--compile', action='store_true', help='also time torch.compile (slow to compile)')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else get_device()

    print('=' * 80)
    print('resnet32 on CIFAR-10: original vs fast recipe (chosen on validation); throughput vs peak')
    print(f'command: python benchmarks/cifar_resnet.py {" ".join(sys.argv[1:] if argv is None else argv)}')
    print(f'torch {torch.__version__} | device {device} | {cpu_name()} | {torch.get_num_threads()} threads'
          + (f' | {torch.cuda.get_device_name(device)}' if device.type == 'cuda' else ''))
    print('=' * 80)
    tp = throughput(args, device) if args.only != 'recipes' else None
    if args.only == 'throughput':
        return tp

    data = load_cifar10_arrays()
    X = recipes.normalize_cifar(data['X_train'][:args.num_train])
    y = torch.as_tensor(data['y_train'][:args.num_train])
    X_tr, y_tr, X_val, y_val = recipes.split_train_val(X, y, args.num_val, seed=0)
    names = [n.strip() for n in args.candidates.split(',') if n.strip()]
    unknown = set(names) - set(CANDIDATES)
    if unknown:
        raise SystemExit(f'unknown candidate(s) {sorted(unknown)}; choose from {list(CANDIDATES)}')
    print('-- 2. choosing the recipe on validation ' + '-' * 39)
    print(f'data: {data["source"]}; {len(y_tr):,} train / {len(y_val):,} validation images '
          f'(stratified split of the training images); {budget_words(args)} per run, '
          f'seeds 0-{args.seeds - 1}, same initial weights per seed')
    for n in names:
        print(f'  {n}: {({**BASE_FAST, **CANDIDATES[n]}) if n == "fast" else CANDIDATES[n]}')
    sel = compare(['original'] + names, X_tr, y_tr, X_val, y_val, args, device, 'val')
    summarize(sel, 'val')
    chosen = max(names, key=lambda n: statistics.median(r['val_acc'] for r in sel[n]))
    print(f'chosen on validation: {chosen} = {({**BASE_FAST, **CANDIDATES[chosen]})}')

    X_te, y_te = recipes.normalize_cifar(data['X_test']), torch.as_tensor(data['y_test'])
    print(f'-- 3. test set, once: all {len(y):,} training images, {len(y_te):,} test images ' + '-' * 10)
    fin = compare(['original', chosen], X, y, X_te, y_te, args, device, 'test')
    summarize(fin, 'test')
    base, fast = fin['original'], fin[chosen]
    gains = [100 * (f['val_acc'] - b['val_acc']) for b, f in zip(base, fast)]
    time_ratio = [f['seconds'] / b['seconds'] for b, f in zip(base, fast)]
    print(f'gain of {chosen} over original at equal {"time" if args.budget_s else "epochs"} ({budget_words(args)}): '
          f'{spread(gains, "{:+.2f}")} test accuracy points (per seed); accuracy ratio '
          f'{statistics.median(f["val_acc"] for f in fast) / statistics.median(b["val_acc"] for b in base):.3f}')
    ratio = statistics.median(time_ratio)
    print(f'time ratio {chosen}/original per run: {spread(time_ratio, "{:.2f}")} '
          f'(interleaved runs on a possibly shared machine)')
    if tp is not None:
        r = [a / b for a, b in zip(tp['rates']['channels-last, batch 64'], tp['rates']['NCHW, batch 64 (original)'])]
        print(f'throughput ratio of the layouts (part 1, interleaved): channels-last/NCHW {spread(r, "{:.2f}")}x')
    if args.budget_s:
        epochs = [[r['images'] / len(y) for r in fin[n]] for n in ('original', chosen)]
        print(f'epochs in {budget_words(args)}: original {spread(epochs[0])}, {chosen} {spread(epochs[1])}')
    elif ratio <= 1:
        print(f'equal time: the fast recipe used no more time than the original (ratio {ratio:.2f}), '
              f'so at equal time its gain is at least {statistics.median(gains):+.2f} points')
    else:
        print(f'equal time: NOT established; the fast recipe took {ratio:.2f}x the time of the original')
    return dict(throughput=tp, selection=sel, test=fin, chosen=chosen)


if __name__ == '__main__':
    main()
