"""Original A4 training recipe vs a faster recipe for resnet32 on CIFAR-10, at equal wall time.

Both recipes train the same network (``get_resnet('resnet32')``, the A4 PreResNet-32 with 8/16/32
channels) from the same initial weights, on the same training images, for the same number of
seconds, and are then tested on the same test images:

* original: SGD lr 1e-2, momentum 0.9, weight decay 1e-4, batch 64, no augmentation, lr x0.1 at
  60% and 80% of the budget (the original decays at epochs 6 and 8 of 10);
* fast: ``pytorch_autograd_and_nn.FAST_RECIPE``: random crop + flip, label smoothing 0.1,
  Nesterov SGD with a one-cycle schedule (peak lr 0.05, batch 64, weight decay 5e-4), flip
  test-time augmentation; channels-last + bf16 autocast on CUDA.

It also prints the training throughput of resnet32 (images/s, forward + backward + SGD step) next
to the machine's measured fp32 matmul GFLOP/s, as a fraction of that peak.

Data: ``eecs598.data.load_cifar10_arrays()``: the full CIFAR-10 when it is cached or can be
downloaded, else the data mirror's genuine subset (5,438 train / 1,017 test images).

Run time: about 2 x ``--budget-seconds`` plus ~30 s (data, peak measurement, evaluation).
The default budget of 150 s gives about 5.5 minutes in all.

Measured while developing (2-core AMD EPYC VM shared with other jobs, 1 thread per run, torch
2.14.1, mirror subset: 5,438 train / 1,017 test, one run each, same initial weights, equal
number of training images = equal time, since both ran at 41 images/s): after 30,000 images
(5.5 epochs) the original recipe reached 46.6% test accuracy and the fast recipe 58.1%
(+11.5 points). Peak lr 0.1 with batch 128 gave 55.2%; peak lr 0.2 diverged.
This script with ``--budget-seconds 75 --threads 1`` (205 images/s, 2.8 epochs each): original
41.1%, fast 44.9% (+3.8 points). The gain grows with the budget, because without augmentation
the original recipe overfits the small subset (56.2% after 10 full epochs).

Usage (from the repository root):
    EECS598_DATA_MIRROR=path/to/mirror python benchmarks/cifar_resnet.py
    python benchmarks/cifar_resnet.py --budget-seconds 60 --threads 1   # a quicker check
"""
import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from eecs598.data import load_cifar10_arrays  # noqa: E402
from eecs598.device import get_device  # noqa: E402
import pytorch_autograd_and_nn as q1  # noqa: E402


def cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def matmul_gflops(device, dtype=torch.float32, n=1024, seconds=2.0):
    """Measured dense matmul throughput (GFLOP/s) of an n x n by n x n product."""
    if device.type == 'cuda':
        n = max(n, 8192)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    sync()
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        sync()
        reps += 1
    sync()
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def train_flops_per_image(model, device, batch=16):
    """Forward + backward FLOPs of one training image, counted by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = torch.randint(10, (batch,), device=device)
    counter = FlopCounterMode(display=False)
    with counter:
        F.cross_entropy(model(x), y).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / batch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--budget-seconds', type=float, default=150.0,
                        help='training seconds given to EACH recipe (default 150)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--device', default=None, help='cpu / cuda (default: best available)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=None,
                        help='use only the first N training images')
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else get_device()

    data = load_cifar10_arrays()
    X_train = q1.normalize_cifar(data['X_train'][:args.num_train])
    y_train = torch.as_tensor(data['y_train'][:args.num_train])
    X_test = q1.normalize_cifar(data['X_test'])
    y_test = torch.as_tensor(data['y_test'])

    print('=' * 78)
    print('resnet32: original recipe vs fast recipe at equal wall time')
    print(f'data: {data["source"]}; training on {len(y_train):,}, testing on {len(y_test):,} images')
    print(f'torch {torch.__version__} | device {device} | {cpu_name()} | '
          f'{torch.get_num_threads()} threads' +
          (f' | {torch.cuda.get_device_name(device)}' if device.type == 'cuda' else ''))
    peak = matmul_gflops(device)
    print(f'measured fp32 matmul peak: {peak:.1f} GFLOP/s')
    if device.type == 'cuda':
        print(f'measured bf16 matmul peak: {matmul_gflops(device, torch.bfloat16):.1f} GFLOP/s')
    print(f'budget per recipe: {args.budget_seconds:.0f} s of training')
    print('=' * 78)

    torch.manual_seed(args.seed)
    init = q1.get_resnet('resnet32').to(device)
    flops = train_flops_per_image(init, device)
    state = {k: v.clone() for k, v in init.state_dict().items()}

    results = {}
    for recipe in ('original', 'fast'):
        model = q1.get_resnet('resnet32').to(device)
        model.load_state_dict(state)  # same initial weights for both recipes
        res = q1.train_with_budget(model, X_train, y_train, args.budget_seconds, recipe=recipe,
                                   device=device, seed=args.seed)
        t0 = time.perf_counter()
        res['test_acc'] = q1.evaluate(model, X_test, y_test, tta=recipe == 'fast' and res['hyp']['tta'],
                                      channels_last=recipe == 'fast' and device.type == 'cuda',
                                      amp=recipe == 'fast' and device.type == 'cuda')
        res['eval_s'] = time.perf_counter() - t0
        results[recipe] = res
        epochs = res['images'] / len(y_train)
        print(f'{recipe:>8}: test accuracy {100 * res["test_acc"]:.2f}% after {res["seconds"]:.1f} s '
              f'({res["steps"]} steps, {epochs:.1f} epochs, {res["images_per_s"]:.0f} images/s; '
              f'evaluation {res["eval_s"]:.1f} s)')

    base, fast = results['original'], results['fast']
    print('-' * 78)
    print(f'{"recipe":>8} | {"test acc":>8} | {"train s":>7} | {"images/s":>8}')
    for name, r in results.items():
        print(f'{name:>8} | {100 * r["test_acc"]:7.2f}% | {r["seconds"]:7.1f} | {r["images_per_s"]:8.0f}')
    print(f'gain: {100 * (fast["test_acc"] - base["test_acc"]):+.2f} accuracy points at equal time '
          f'(accuracy ratio fast/original {fast["test_acc"] / max(base["test_acc"], 1e-9):.3f}, '
          f'time ratio {fast["seconds"] / base["seconds"]:.3f})')
    ach = base['images_per_s'] * flops / 1e9
    print(f'resnet32 training throughput (original recipe, batch 64, fp32): '
          f'{base["images_per_s"]:.0f} images/s x {flops / 1e6:.1f} MFLOP/image = {ach:.1f} GFLOP/s '
          f'= {100 * ach / peak:.1f}% of the measured fp32 matmul peak ({peak:.1f} GFLOP/s)')
    return results


if __name__ == '__main__':
    main()
