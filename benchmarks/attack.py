"""Targeted attacks: network_visualization's attacks against torchattacks.PGD, same model, same images.

In one run, on the same classifier and images, towards the same target class (6; 0 for images of
class 6), it measures for each attack: success rate (prediction == target), mean iterations
(gradient steps), mean L2 and L-inf size of the change in pixel units ([0, 1] images), and seconds.

* ``make_adversarial_attack`` (the assignment's attack): gradient ascent on the target score with
  L2-normalised steps of 1 (in normalised-input units), one image at a time (its API), stopping as
  soon as the image is fooled, at most ``--max-iter`` steps; no budget on the size of the change.
* ``pgd_attack`` (going further) and the baseline ``torchattacks.PGD`` (targeted, L-inf budget
  ``--eps``, step ``--alpha``, ``--steps`` steps, no random start), on the whole batch at once.
  The two must produce the same images; the run prints their largest difference.

Model: the ImageNet SqueezeNet 1.1 on the 25 ImageNet validation images when its weights are
available (``--model imagenet`` or ``auto``), else the project-trained MNIST digit CNN on
``--num`` MNIST test digits (56x56), as in the notebook. Defaults of eps/alpha/steps depend on the
model: 8/255, 2/255, 10 steps for ImageNet; 0.3, 0.01, 40 steps for MNIST (the budget of Madry et
al., 2018; a digit classifier is far more robust in L-inf than an ImageNet one).

Example (2 CPU cores):
    EECS598_DATA_MIRROR=path/to/mirror OMP_NUM_THREADS=1 python benchmarks/attack.py --num 100
"""
import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import a4_helper  # noqa: E402
import network_visualization as nv  # noqa: E402
from eecs598 import digit_classifier  # noqa: E402
from eecs598.device import get_device  # noqa: E402
from eecs598.pretrained import load_squeezenet  # noqa: E402


class Normalize(torch.nn.Module):
    """[0, 1] images -> inputs normalised like ``a4_helper.preprocess``."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", a4_helper.SQUEEZENET_MEAN.view(1, 3, 1, 1))
        self.register_buffer("std", a4_helper.SQUEEZENET_STD.view(1, 3, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class CountCalls(torch.nn.Module):
    """Counts forward passes (so the attack's iterations can be measured without changing its API)."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, x):
        self.calls += 1
        return self.model(x)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def load(args):
    if args.model in ("auto", "imagenet"):
        model = load_squeezenet(pretrained=True if args.model == "imagenet" else "auto", verbose=False)
        if model.is_imagenet:
            X, y, _ = a4_helper.load_imagenet_val(num=min(args.num, 25))
            return model, X, y, 224, dict(eps=8 / 255, alpha=2 / 255, steps=10)
        print(f"ImageNet weights unavailable ({model.weights_source}); using the MNIST digit CNN")
    model = digit_classifier.load_mnist_classifier(verbose=False)
    X, y, _ = digit_classifier.load_mnist_val(num=args.num)
    return model, X, y, model.img_size, dict(eps=0.3, alpha=0.01, steps=40)


def summarise(name, X01, X_adv01, hits, iters, seconds):
    delta = (X_adv01 - X01).flatten(1)
    print(f"{name:<34} success {hits.float().mean().item():6.1%}   iterations {np.mean(iters):6.1f}   "
          f"L2 {delta.norm(dim=1).mean().item():7.3f}   Linf {delta.abs().amax(1).mean().item():6.3f}   "
          f"{seconds:7.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["auto", "imagenet", "mnist"], default="auto")
    parser.add_argument("--num", type=int, default=100, help="number of images (ImageNet: at most 25)")
    parser.add_argument("--max-iter", type=int, default=100, help="make_adversarial_attack's max_iter")
    parser.add_argument("--eps", type=float, default=None)
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--device", default=None, help="default: eecs598.device.get_device()")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads on CPU")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import torchattacks

    device = torch.device(args.device) if args.device else get_device()
    model, X_np, y_np, size, pgd = load(args)
    pgd.update({k: getattr(args, k) for k in ("eps", "alpha", "steps") if getattr(args, k) is not None})
    model = model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    X = torch.cat([a4_helper.preprocess(Image.fromarray(x), size=size) for x in X_np]).to(device)
    y = torch.from_numpy(y_np).to(device)
    target = torch.where(y == 6, 0, 6)
    pixel_model = torch.nn.Sequential(Normalize(), model).to(device).eval()
    std = a4_helper.SQUEEZENET_STD.to(device).view(1, 3, 1, 1)
    X01 = pixel_model[0].mean + X * std  # [0, 1] images

    print(f"model: {model.weights_source}")
    print(f"{len(y)} images {size}x{size}, target class 6 (0 for sixes); device {device}, "
          f"torch {torch.__version__}, torchattacks {torchattacks.__version__}, "
          f"{torch.get_num_threads()} CPU threads, {platform.processor() or platform.machine()}")
    with torch.no_grad():
        print(f"clean accuracy {(model(X).argmax(1) == y).float().mean().item():.1%}")

    # The assignment's attack, one image at a time.
    counted = CountCalls(model)
    adv, hits, iters = [], [], []
    _sync(device)
    start = time.perf_counter()
    for i in range(len(y)):
        counted.calls = 0
        x_adv = nv.make_adversarial_attack(X[i:i + 1], target[i].item(), counted,
                                           max_iter=args.max_iter, verbose=False).detach()
        adv.append(x_adv)
        iters.append(counted.calls)
    _sync(device)
    t_ours = time.perf_counter() - start
    adv = torch.cat(adv)
    with torch.no_grad():
        hits = model(adv).argmax(1) == target
    # A success is detected by one last forward pass that takes no step.
    iters = [n - 1 if h else n for n, h in zip(iters, hits.tolist())]
    X_adv01 = (pixel_model[0].mean + adv * std)

    print(f"\nPGD settings: eps {pgd['eps']:.4f}, alpha {pgd['alpha']:.4f}, {pgd['steps']} steps, "
          f"no random start (pixel units)")
    summarise("make_adversarial_attack (L2, no eps)", X01, X_adv01, hits, iters, t_ours)

    _sync(device)
    start = time.perf_counter()
    adv_pgd = nv.pgd_attack(X01, target, pixel_model, targeted=True, **pgd)
    _sync(device)
    t_pgd = time.perf_counter() - start
    with torch.no_grad():
        hits_pgd = pixel_model(adv_pgd).argmax(1) == target
    summarise("pgd_attack (ours, batched)", X01, adv_pgd, hits_pgd, [pgd["steps"]], t_pgd)

    atk = torchattacks.PGD(pixel_model, random_start=False, **pgd)
    atk.set_mode_targeted_by_label(quiet=True)
    _sync(device)
    start = time.perf_counter()
    adv_ta = atk(X01, target)
    _sync(device)
    t_ta = time.perf_counter() - start
    with torch.no_grad():
        hits_ta = pixel_model(adv_ta).argmax(1) == target
    summarise("torchattacks.PGD (baseline)", X01, adv_ta, hits_ta, [pgd["steps"]], t_ta)

    print(f"\nmax |pgd_attack - torchattacks.PGD| = {(adv_pgd - adv_ta).abs().max().item():.2e}")
    print(f"time ratio pgd_attack / torchattacks.PGD = {t_pgd / t_ta:.2f}; "
          f"make_adversarial_attack / torchattacks.PGD = {t_ours / t_ta:.2f}")


if __name__ == "__main__":
    main()
