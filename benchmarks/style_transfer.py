"""Benchmark of Gatys style transfer with SqueezeNet 1.1 features (style_transfer.py).

Measures, at two content-image sizes:
  * seconds per optimisation step (forward + backward to the image + Adam), median of --steps;
  * FLOPs per step (torch.utils.flop_counter, 2 FLOPs per multiply-add) and the achieved rate;
  * peak memory: on CUDA torch.cuda.max_memory_allocated; on the CPU the bytes autograd saves
    for the backward pass (activations) and the process's peak resident set size;
  * the baseline measured in the same run: the original notebook's step, which runs all 13
    modules of ``features`` although the losses read only modules 0-7 (the drivers in
    style_transfer.py truncate the network); weights frozen in both;
and the total loss after a full run (default 200 steps, the original schedule; params3 of the
notebook: Tubingen + Starry Night) relative to its start.

Example:
    OMP_NUM_THREADS=2 EECS598_DATA_MIRROR=../shared/data python benchmarks/style_transfer.py
    python benchmarks/style_transfer.py --sizes 192 512 --device cuda
"""
import argparse
import os
import platform
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import style_transfer as st  # noqa: E402
from eecs598.data import style_image  # noqa: E402
from eecs598.device import get_device  # noqa: E402
from eecs598.pretrained import load_squeezenet  # noqa: E402

STYLE_LAYERS = [1, 4, 6, 7]
PARAMS3 = dict(content_layer=3, content_weight=6e-2, style_layers=STYLE_LAYERS,
               style_weights=[300000, 1000, 15, 3], tv_weight=2e-2)


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def make_step(cnn, size, device, truncated=True):
    """A closure doing one optimisation step of params3 at content size ``size``."""
    content, style = style_image('tubingen'), style_image('starry_night')
    with torch.no_grad():
        feats, img = st.features_from_img(content, size, cnn)
        content_target = feats[3].clone()
        style_targets = st.style_targets_from_images(style, size, STYLE_LAYERS, cnn)
    if truncated:
        cnn = st.truncate(cnn, [3, *STYLE_LAYERS])
    img = img.clone().requires_grad_(True)
    opt = torch.optim.Adam([img], lr=st.INITIAL_LR)

    def step():
        opt.zero_grad()
        f = st.extract_features(img, cnn)
        loss = (st.content_loss(PARAMS3['content_weight'], f[3], content_target)
                + st.style_loss(f, STYLE_LAYERS, style_targets, PARAMS3['style_weights'])
                + st.tv_loss(img, PARAMS3['tv_weight']))
        loss.backward()
        opt.step()
        return loss
    return step, tuple(img.shape)


def saved_bytes(step):
    """Bytes of the tensors autograd saves for backward during one step (activation memory)."""
    total = [0]

    def pack(t):
        total[0] += t.numel() * t.element_size()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return total[0]


def step_flops(step):
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return counter.get_total_flops()


def time_steps(step, steps, warmup, device):
    for _ in range(warmup):
        step()
    sync(device)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(cnn, size, args, device, truncated=True):
    if device.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    step, shape = make_step(cnn, size, device, truncated)
    flops = step_flops(step)
    act = saved_bytes(step)
    sec = time_steps(step, args.steps, args.warmup, device)
    peak = torch.cuda.max_memory_allocated() if device.type == 'cuda' else None
    return dict(shape=shape, sec=sec, flops=flops, act=act, peak=peak)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs=2, default=None,
                        help='two content sizes (shorter side); default 96 192 on CPU, 192 512 on CUDA')
    parser.add_argument('--steps', type=int, default=20, help='timed steps per size (median)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--run-steps', type=int, default=200, help='length of the full run')
    parser.add_argument('--run-size', type=int, default=None, help='content size of the full run '
                        '(default: the smaller of --sizes)')
    parser.add_argument('--device', default=None)
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else get_device()
    sizes = args.sizes or ([192, 512] if device.type == 'cuda' else [96, 192])
    model = load_squeezenet(pretrained='auto', verbose=False)
    cnn = model.features.to(device).eval()
    cnn.weights_source, cnn.is_imagenet = model.weights_source, model.is_imagenet
    for p in cnn.parameters():      # as in the notebook: only the image is optimised
        p.requires_grad_(False)

    hw = torch.cuda.get_device_name() if device.type == 'cuda' else platform.processor() or platform.machine()
    print(f'device: {device} ({hw}) | torch {torch.__version__} | fp32 | '
          f'CPU threads {torch.get_num_threads()}')
    print(f'features: {model.weights_source}')
    print(f'step = forward of squeezenet1_1.features + backward to the image + Adam; median of '
          f'{args.steps} steps after {args.warmup} warm-up steps')
    print(f"{'size':>5} {'input':>16} {'s/step':>8} {'GFLOP/step':>10} {'GFLOP/s':>8} "
          f"{'activations':>11} {'peak CUDA':>10} | {'all-13-modules s/step':>21} {'speed-up':>8}")
    for size in sizes:
        frozen = measure(cnn, size, args, device)
        original = measure(cnn, size, args, device, truncated=False)
        peak = f"{frozen['peak'] / 2**20:8.1f}MB" if frozen['peak'] is not None else '       n/a'
        print(f"{size:5d} {str(frozen['shape']):>16} {frozen['sec']:8.4f} "
              f"{frozen['flops'] / 1e9:10.3f} {frozen['flops'] / frozen['sec'] / 1e9:8.1f} "
              f"{frozen['act'] / 2**20:9.1f}MB {peak} | {original['sec']:21.4f} "
              f"{original['sec'] / frozen['sec']:7.2f}x  ({original['flops'] / 1e9:.3f} GFLOP)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'process peak RSS so far: {rss:.0f} MB')

    run_size = args.run_size or min(sizes)
    torch.manual_seed(0)
    hist = st.style_transfer(style_image('tubingen'), style_image('starry_night'), run_size, run_size,
                             **PARAMS3, cnn=cnn, num_iters=args.run_steps, show=False, progress=False)
    loss = hist['loss']
    print(f'full run (params3, size {run_size}, {args.run_steps} steps, Adam 3.0 -> 0.1): total loss '
          f'{loss[0]:.4g} -> {loss[-1]:.4g} = {loss[-1] / loss[0]:.4f} of the start; '
          f'minimum {min(loss):.4g}; {hist["seconds"]:.1f} s ({hist["seconds"] / len(loss):.4f} s/step)')


if __name__ == '__main__':
    main()
