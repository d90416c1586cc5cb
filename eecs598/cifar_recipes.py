"""Training recipes for the Q1 ResNets on CIFAR-10 held in memory: the original and a faster one.

Used by the *Going further* section of ``pytorch_autograd_and_nn.ipynb`` and by
``benchmarks/cifar_resnet.py`` (which chose :data:`FAST_RECIPE` on a validation split, see there).
The images are one float tensor ``(N, 3, 32, 32)``, so a training step costs no data-loader work.

Ideas taken from David Page's DAWNBench ResNet series ("How to train your ResNet") and
KellerJordan/cifar10-airbench, scaled down to what helps a tiny ResNet on a small data set:

* random crops (reflect-padded) and horizontal flips on the batch tensor: the original
  recipe has no augmentation, so on few images it overfits after a few epochs;
* label smoothing: softer targets;
* a one-cycle schedule (linear warm-up, then linear decay to 0) that follows the fraction of the
  budget used, so a run always ends at a low learning rate however long it is;
* Nesterov SGD with a larger peak learning rate (BatchNorm keeps it stable);
* flip test-time augmentation (the scores of x and of its mirror image are averaged);
* channels-last memory format (oneDNN's faster convolution layout on CPUs, tensor cores on CUDA)
  and, on CUDA, bf16 autocast.
"""
import time

import torch
import torch.nn.functional as F
import torch.optim as optim
from tqdm.auto import tqdm

# Chosen by benchmarks/cifar_resnet.py on a validation split of the training images (median of
# 3 seeds); the test images played no part. At equal time (90 CPU seconds per run, about 8.5
# epochs of the fast recipe: close to the notebook's 10), crops + flips had the best median
# (59.7% against 59.6% for flips alone and 47.2% for the original recipe); the shorter
# equal-epoch runs (2 and 4 epochs on 2,000 images) had preferred flips alone. The two are within
# each other's seed spread; the run closest to the notebook's budget decides.
FAST_RECIPE = dict(
    batch_size=64,         # images per step
    lr=0.05,               # peak learning rate (after warm-up)
    warmup=0.15,           # fraction of the budget spent warming up linearly from 0
    momentum=0.9,          # Nesterov momentum
    weight_decay=5e-4,     # L2, applied to all parameters
    label_smoothing=0.1,   # cross-entropy label smoothing
    crop_pad=4,            # random-crop padding in pixels (reflect); 0: no crops
    flip=True,             # random horizontal flips during training
    tta=True,              # flip test-time augmentation
)

ORIGINAL_RECIPE = dict(
    batch_size=64, lr=1e-2, momentum=0.9, weight_decay=1e-4,
    decay_at=(0.6, 0.8),   # the original lr x0.1 at epochs 6 and 8 of 10, as budget fractions
)

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)  # the normalisation of a4_helper.load_CIFAR
CIFAR_STD = (0.2023, 0.1994, 0.2010)


def normalize_cifar(x_uint8):
    """uint8 images (N, 32, 32, 3) numpy/tensor -> normalised float32 tensor (N, 3, 32, 32)."""
    x = torch.as_tensor(x_uint8).permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def split_train_val(X, y, num_val, seed=0):
    """Hold out ``num_val`` images, the same number from every class (as far as possible).

    Inputs: X (N, ...) tensor, y (N,) long tensor of class labels. Returns
    ``(X_train, y_train, X_val, y_val)``; the two splits are disjoint and together are all of X.
    """
    g = torch.Generator().manual_seed(seed)
    classes = torch.unique(y)
    per_class = num_val // len(classes)
    val = []
    for k, c in enumerate(classes):
        idx = torch.nonzero(y == c).flatten()
        take = per_class + (1 if k < num_val - per_class * len(classes) else 0)
        val.append(idx[torch.randperm(len(idx), generator=g)[:take]])
    val = torch.cat(val)
    is_val = torch.zeros(len(y), dtype=torch.bool)
    is_val[val] = True
    return X[~is_val], y[~is_val], X[is_val], y[is_val]


def augment_batch(x, crop_pad=4, flip=True, generator=None):
    """Random crop (reflect padding crop_pad) and random horizontal flip, per image.

    Inputs: x (N, C, H, W) float tensor. Returns a new tensor of the same shape.
    """
    N, C, H, W = x.shape
    if crop_pad > 0:
        xp = F.pad(x, (crop_pad,) * 4, mode='reflect')  # (N, C, H+2p, W+2p)
        di = torch.randint(0, 2 * crop_pad + 1, (N, 1), generator=generator)
        dj = torch.randint(0, 2 * crop_pad + 1, (N, 1), generator=generator)
        rows = (di + torch.arange(H)).to(x.device)  # (N, H)
        cols = (dj + torch.arange(W)).to(x.device)  # (N, W)
        n_idx = torch.arange(N, device=x.device).view(N, 1, 1, 1)
        c_idx = torch.arange(C, device=x.device).view(1, C, 1, 1)
        x = xp[n_idx, c_idx, rows.view(N, 1, H, 1), cols.view(N, 1, 1, W)]
    if flip:
        mask = (torch.rand(N, generator=generator) < 0.5).to(x.device).view(N, 1, 1, 1)
        x = torch.where(mask, x.flip(3), x)
    return x


def _device_of(model):
    for p in model.parameters():
        return p.device
    return torch.device('cpu')


def evaluate(model, X, y, batch_size=500, tta=False, channels_last=False, amp=False):
    """Accuracy of model on tensors X (N, 3, H, W) and y (N,); tta averages x and flip(x)."""
    model.eval()
    device = _device_of(model)
    correct = 0
    with torch.no_grad():
        for i in range(0, X.shape[0], batch_size):
            xb = X[i:i + batch_size].to(device)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                scores = model(xb).float()
                if tta:
                    scores = scores + model(xb.flip(3)).float()
            correct += (scores.argmax(1).cpu() == y[i:i + batch_size]).sum().item()
    return correct / X.shape[0]


def train_with_budget(model, X_train, y_train, budget_s=None, recipe='fast', hyp=None, device=None,
                      X_val=None, y_val=None, seed=0, progress=True, budget_images=None,
                      channels_last=None, clock=time.perf_counter):
    """Train model with the 'fast' or the 'original' recipe for a budget of seconds or images.

    The learning-rate schedule is a function of the fraction of the budget already used, so both
    recipes end their schedule exactly when the budget is spent (the original recipe's decays at
    epochs 6 and 8 of 10 become decays at 60% and 80% of the budget).

    Inputs:
    - model: nn.Module mapping (N, 3, 32, 32) -> (N, K); moved to device
    - X_train: float tensor (N, 3, 32, 32), normalised; y_train: long tensor (N,)
    - budget_s: seconds of training (evaluation excluded), read from ``clock``
    - clock: the timer of budget_s: wall time by default; ``time.process_time`` makes it this
      process's CPU time, which the load of other programs does not change (with one thread)
    - budget_images: instead of budget_s, train on this many images (epochs x N: reproducible on
      a busy machine); the schedule then follows the fraction of images seen
    - recipe: 'fast' (FAST_RECIPE) or 'original' (ORIGINAL_RECIPE); hyp overrides entries
    - X_val, y_val: optional; if given, accuracy is measured at the end of the budget
    - channels_last: train in channels-last memory format; None: for the fast recipe only

    Returns: dict(images=int, steps=int, seconds=float, images_per_s=float, losses=list of
      (step, loss), lr=list of (step, lr), val_acc=float or None, recipe=str, hyp=dict).
    """
    if (budget_s is None) == (budget_images is None):
        raise ValueError('give exactly one of budget_s and budget_images')
    device = torch.device(device) if device is not None else _device_of(model)
    fast = recipe == 'fast'
    h = dict(FAST_RECIPE if fast else ORIGINAL_RECIPE)
    h.update(hyp or {})
    use_cuda = device.type == 'cuda'
    channels_last = fast if channels_last is None else channels_last
    amp = fast and use_cuda
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=memory_format)
    if use_cuda:  # keep the whole (small) data set on the GPU: no per-step host-to-device copies
        X_train, y_train = X_train.to(device), y_train.to(device)
    opt = optim.SGD(model.parameters(), lr=h['lr'], momentum=h['momentum'],
                    weight_decay=h['weight_decay'], nesterov=fast)
    g = torch.Generator().manual_seed(seed)
    N, B = X_train.shape[0], h['batch_size']
    losses, lrs = [], []
    images = steps = 0
    by_time = budget_s is not None
    total = budget_s if by_time else budget_images
    bar = tqdm(total=int(total), desc='%s recipe' % recipe, unit='s' if by_time else 'img',
               leave=False, disable=not progress)
    t0 = clock()
    done = False
    while not done:
        perm = torch.randperm(N, generator=g)
        for i in range(0, N - B + 1, B):  # drop the last incomplete batch
            frac = (clock() - t0) / budget_s if by_time else images / budget_images
            if frac >= 1:
                done = True
                break
            if fast:
                w = h['warmup']
                lr = h['lr'] * (frac / w if frac < w else (1 - frac) / (1 - w))
            else:
                lr = h['lr'] * 0.1 ** sum(frac >= d for d in h['decay_at'])
            for group in opt.param_groups:
                group['lr'] = lr
            idx = perm[i:i + B]
            xb, yb = X_train[idx], y_train[idx]
            if fast:
                xb = augment_batch(xb, h['crop_pad'], h['flip'], generator=g)
            xb = xb.to(device, non_blocking=True).contiguous(memory_format=memory_format)
            yb = yb.to(device, non_blocking=True)
            model.train()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                scores = model(xb)
                loss = F.cross_entropy(scores.float(), yb,
                                       label_smoothing=h['label_smoothing'] if fast else 0.0)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
            images += B
            if steps % 10 == 0 or steps == 1:
                losses.append((steps, loss.item()))
                lrs.append((steps, lr))
                bar.n = min(int(clock() - t0) if by_time else images, int(total))
                bar.set_postfix(loss='%.3f' % loss.item(), lr='%.3g' % lr)
    if use_cuda:
        torch.cuda.synchronize()
    seconds = clock() - t0
    bar.close()
    val_acc = None
    if X_val is not None:
        val_acc = evaluate(model, X_val, y_val, tta=fast and h.get('tta', False),
                           channels_last=channels_last, amp=amp)
    return dict(images=images, steps=steps, seconds=seconds, images_per_s=images / seconds,
                losses=losses, lr=lrs, val_acc=val_acc, recipe=recipe, hyp=h)
