"""Generative adversarial networks on MNIST: vanilla GAN, least-squares GAN and DCGAN.

The CS231n A3 (2020) question ``cs231n/gan_pytorch.py`` with its notebook, in the EECS 498 A4
layout. Student functions: :func:`sample_noise`, :func:`discriminator`, :func:`generator`,
:func:`discriminator_loss`, :func:`generator_loss`, :func:`get_optimizer`,
:func:`ls_discriminator_loss`, :func:`ls_generator_loss`, :func:`build_dc_classifier`,
:func:`build_dc_generator`. Everything else is provided.

Shape symbols: N batch size, Z noise dimension (``NOISE_DIM`` = 96), C x H x W an image
(1 x 28 x 28 for MNIST, flattened to 784 = H*W where a model wants vectors), K classes (10).
Images given to a discriminator are scaled to [-1, 1]; generators end in tanh, so their
samples are in [-1, 1] too.

Do not call ``.to()`` or ``.cuda()`` inside the student code: the notebook moves the models
to the device, and the provided code moves the data.

Differences from the original ``gan_pytorch.py`` (each is noted again where it applies):

* No global ``dtype = torch.FloatTensor`` that had to be edited by hand for a GPU. Labels are
  built with ``torch.ones_like`` / ``torch.zeros_like`` on the logits' device and dtype, and
  :func:`run_a_gan` takes a ``device`` (default: the generator's device).
* :func:`bce_loss` requires ``input`` and ``target`` of the same shape. The original documented
  (N,) while the logits are (N, 1), and ``torch.ones(N)`` against (N, 1) logits silently
  broadcast to an (N, N) loss matrix (same mean for constant targets, N times the work).
* :func:`build_dc_classifier` keeps its ``batch_size`` argument for compatibility, but reshapes
  with N = -1, so the classifier accepts any batch size (the original hard-coded the batch size
  and failed on any other).
* ``seed=`` arguments of :func:`sample_noise`, :func:`discriminator` and :func:`generator` are
  optional extras. The autograder never passes them: it seeds torch globally before each call,
  and it judges :func:`sample_noise` by its shape, range and spread, so the editions'
  ``sample_noise(batch_size, dim)`` (any uniform idiom) is just as right. Discriminators are
  graded on images (N, 1, 28, 28), as :func:`run_a_gan` passes them; ``build_dc_classifier()``
  without an argument is graded too.
* :func:`run_a_gan` adds ``num_iters`` (stop after that many iterations, used for equal-budget
  comparisons and fast mode), ``device``, a tqdm progress bar, and ``return_history=True`` to
  also get the per-iteration losses. Called as in the original it returns the same list of
  16-sample arrays.
* The notebook also measures sample quality, which the original judged by eye only: a small
  classifier trained on the real images gives a classifier score and a Frechet distance in its
  feature space. That is course infrastructure, not part of the question: :mod:`eecs598.gan_quality`.
"""
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset, sampler
from tqdm.auto import tqdm

NOISE_DIM = 96       # Z: length of the noise vector fed to every generator
NUM_TRAIN = 50000    # first NUM_TRAIN training images train the GAN (fewer if the set is smaller)
NUM_VAL = 5000       # the next NUM_VAL images (unused by the GANs; kept from the original)
batch_size = 128     # the original's module-level batch size


def hello():
    """Check that the notebook imported this file."""
    print("Hello from generative_adversarial_networks.py!")


# ============================================================================ student functions

def sample_noise(batch_size, dim, seed=None):
    """
    Generate a PyTorch Tensor of uniform random noise.

    Inputs:
    - batch_size: Integer N giving the batch size of noise to generate.
    - dim: Integer Z giving the dimension of noise to generate.
    - seed: optional integer; when given, torch's global generator is seeded with it first.

    Returns:
    - A PyTorch Tensor of shape (N, Z) containing uniform random noise in the range (-1, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)
    noise = None
    ##############################################################################
    # TODO: Implement sample_noise (~1 line). torch.rand samples U[0, 1).          #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    noise = 2 * torch.rand(batch_size, dim) - 1
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return noise


def discriminator(seed=None):
    """
    Build and return the fully connected discriminator (~8 lines):

    * Flatten (N, 1, 28, 28) or (N, 784) input to (N, 784)
    * Fully connected layer 784 -> 256, LeakyReLU with alpha 0.01
    * Fully connected layer 256 -> 256, LeakyReLU with alpha 0.01
    * Fully connected layer 256 -> 1

    Inputs:
    - seed: optional integer; when given, torch's global generator is seeded before the layers
      are built, so the initial weights repeat.

    Returns:
    - model: nn.Sequential mapping (N, 784) (or (N, 1, 28, 28)) images to (N, 1) logits.
    """
    if seed is not None:
        torch.manual_seed(seed)
    model = None
    ##############################################################################
    # TODO: Implement the architecture above. HINT: nn.Sequential, nn.Flatten.    #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
    )
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """
    Build and return the fully connected generator (~8 lines):

    * Fully connected layer noise_dim -> 1024, ReLU
    * Fully connected layer 1024 -> 1024, ReLU
    * Fully connected layer 1024 -> 784, tanh (so images are in [-1, 1])

    Inputs:
    - noise_dim: Z, the length of the noise vectors.
    - seed: optional integer seeding torch's global generator before the layers are built.

    Returns:
    - model: nn.Sequential mapping (N, Z) noise to (N, 784) images.
    """
    if seed is not None:
        torch.manual_seed(seed)
    model = None
    ##############################################################################
    # TODO: Implement the architecture above. HINT: nn.Sequential.                #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, 784),
        nn.Tanh(),
    )
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return model


def bce_loss(input, target):
    """
    Numerically stable binary cross-entropy on logits (provided).

    For a logit s and a target t in {0, 1} the loss is max(s, 0) - s * t + log(1 + exp(-|s|)),
    which equals -[t log sigmoid(s) + (1 - t) log(1 - sigmoid(s))] without overflow.
    See https://github.com/pytorch/pytorch/issues/751 and TensorFlow's
    ``sigmoid_cross_entropy_with_logits``.

    Inputs:
    - input: PyTorch Tensor of scores (logits), any shape, e.g. (N, 1).
    - target: PyTorch Tensor of the same shape as input, holding 0s and 1s.

    Returns:
    - A scalar PyTorch Tensor: the mean BCE loss over all elements.
    """
    if input.shape != target.shape:
        # The original broadcast (N, 1) logits against (N,) targets into an (N, N) matrix.
        raise ValueError(f"bce_loss: input {tuple(input.shape)} and target {tuple(target.shape)} differ")
    neg_abs = -input.abs()
    loss = input.clamp(min=0) - input * target + (1 + neg_abs.exp()).log()
    return loss.mean()


def discriminator_loss(logits_real, logits_fake):
    """
    Computes the discriminator loss: bce(logits_real, 1) + bce(logits_fake, 0), each term a mean
    over its batch (~2 lines).

    Inputs:
    - logits_real: PyTorch Tensor of shape (N, 1) giving scores for the real data.
    - logits_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: PyTorch Tensor containing (scalar) the loss for the discriminator.
    """
    loss = None
    ##############################################################################
    # TODO: Implement discriminator_loss with bce_loss. Build the labels with     #
    # torch.ones_like / torch.zeros_like so they share the logits' device.       #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = (bce_loss(logits_real, torch.ones_like(logits_real))
            + bce_loss(logits_fake, torch.zeros_like(logits_fake)))
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


def generator_loss(logits_fake):
    """
    Computes the generator loss: bce(logits_fake, 1), the non-saturating loss (~1 line).

    Inputs:
    - logits_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: PyTorch Tensor containing the (scalar) loss for the generator.
    """
    loss = None
    ##############################################################################
    # TODO: Implement generator_loss with bce_loss.                               #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = bce_loss(logits_fake, torch.ones_like(logits_fake))
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


def get_optimizer(model):
    """
    Construct and return an Adam optimizer for the model with learning rate 1e-3,
    beta1=0.5, and beta2=0.999 (~1 line).

    Inputs:
    - model: A PyTorch model that we want to optimize.

    Returns:
    - An Adam optimizer for the model with the desired hyperparameters.
    """
    optimizer = None
    ##############################################################################
    # TODO: Implement get_optimizer.                                              #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    optimizer = optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return optimizer


def ls_discriminator_loss(scores_real, scores_fake):
    """
    Compute the Least-Squares GAN loss for the discriminator (~1 line):
    1/2 mean((D(x) - 1)^2) + 1/2 mean(D(G(z))^2).

    Inputs:
    - scores_real: PyTorch Tensor of shape (N, 1) giving scores for the real data.
    - scores_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor containing the loss.
    """
    loss = None
    ##############################################################################
    # TODO: Implement ls_discriminator_loss.                                      #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = 0.5 * ((scores_real - 1) ** 2).mean() + 0.5 * (scores_fake ** 2).mean()
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


def ls_generator_loss(scores_fake):
    """
    Computes the Least-Squares GAN loss for the generator (~1 line):
    1/2 mean((D(G(z)) - 1)^2).

    Inputs:
    - scores_fake: PyTorch Tensor of shape (N, 1) giving scores for the fake data.

    Returns:
    - loss: A scalar PyTorch Tensor containing the loss.
    """
    loss = None
    ##############################################################################
    # TODO: Implement ls_generator_loss.                                          #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = 0.5 * ((scores_fake - 1) ** 2).mean()
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


def build_dc_classifier(batch_size):
    """
    Build and return the DCGAN discriminator (~12 lines):

    * Reshape the input to (N, 1, 28, 28) (``Unflatten(-1, 1, 28, 28)``)
    * Conv2D: 32 filters, 5x5, stride 1; LeakyReLU(alpha=0.01); max pool 2x2, stride 2
    * Conv2D: 64 filters, 5x5, stride 1; LeakyReLU(alpha=0.01); max pool 2x2, stride 2
    * Flatten
    * Fully connected 4*4*64 -> 4*4*64; LeakyReLU(alpha=0.01)
    * Fully connected 4*4*64 -> 1

    Inputs:
    - batch_size: kept for compatibility with the original signature; the model reshapes with
      N = -1 and accepts any batch size (the original hard-coded this value).

    Returns:
    - model: nn.Sequential mapping (N, 784) or (N, 1, 28, 28) images to (N, 1) logits.
    """
    model = None
    ##############################################################################
    # TODO: Implement the architecture above. HINT: nn.Sequential, Unflatten.     #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    model = nn.Sequential(
        Unflatten(-1, 1, 28, 28),
        nn.Conv2d(1, 32, kernel_size=5, stride=1),   # (N, 32, 24, 24)
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),       # (N, 32, 12, 12)
        nn.Conv2d(32, 64, kernel_size=5, stride=1),  # (N, 64, 8, 8)
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),       # (N, 64, 4, 4)
        Flatten(),
        nn.Linear(4 * 4 * 64, 4 * 4 * 64),
        nn.LeakyReLU(0.01),
        nn.Linear(4 * 4 * 64, 1),
    )
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return model


def build_dc_generator(noise_dim=NOISE_DIM):
    """
    Build and return the DCGAN generator of InfoGAN (Chen et al. 2016, appendix C.1) (~14 lines):

    * Fully connected noise_dim -> 1024; ReLU; BatchNorm1d
    * Fully connected 1024 -> 7*7*128; ReLU; BatchNorm1d
    * Reshape to (N, 128, 7, 7) (``Unflatten``)
    * ConvTranspose2d: 64 filters, 4x4, stride 2, padding 1; ReLU; BatchNorm2d
    * ConvTranspose2d: 1 filter, 4x4, stride 2, padding 1; tanh
    * Flatten back to (N, 784)

    Inputs:
    - noise_dim: Z, the length of the noise vectors.

    Returns:
    - model: nn.Sequential mapping (N, Z) noise to (N, 784) images in [-1, 1].
    """
    model = None
    ##############################################################################
    # TODO: Implement the architecture above. HINT: nn.Sequential, Unflatten.     #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128),
        nn.ReLU(),
        nn.BatchNorm1d(7 * 7 * 128),
        Unflatten(-1, 128, 7, 7),
        nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),  # (N, 64, 14, 14)
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1),    # (N, 1, 28, 28)
        nn.Tanh(),
        Flatten(),
    )
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return model


# ============================================================================ training (provided)

def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss, loader_train,
              show_every=250, batch_size=128, noise_size=96, num_epochs=10, num_iters=None,
              device=None, return_history=False, progress=True):
    """
    Train a GAN: per iteration one discriminator step, then one generator step on fresh noise.

    Inputs:
    - D, G: PyTorch models for the discriminator and generator (already on ``device``).
    - D_solver, G_solver: torch.optim Optimizers for the discriminator and generator.
    - discriminator_loss, generator_loss: functions computing the two losses from logits.
    - loader_train: iterable of (x, y) batches, x (N, 1, 28, 28) floats in [0, 1].
    - show_every: print the losses and keep 16 samples every show_every iterations.
    - batch_size: N; incomplete batches are skipped (as in the original).
    - noise_size: Z, the dimension of the generator's noise.
    - num_epochs: number of passes over loader_train.
    - num_iters: if given, stop after this many iterations (whatever num_epochs says).
    - device: where the data goes; default: the device of G's parameters.
    - return_history: also return the per-iteration losses.
    - progress: show a tqdm progress bar.

    Returns:
    - images: list of numpy arrays of shape (16, 784), samples of G in [-1, 1] taken at
      iterations 0, show_every, 2*show_every, ...
    - history (only with return_history=True): dict with 'd_loss' and 'g_loss' (lists of
      floats, one per iteration), 'sample_iters' (the iterations of ``images``) and 'seconds'.
    """
    if device is None:
        device = next(G.parameters()).device
    total = num_epochs * (len(loader_train) if hasattr(loader_train, "__len__") else 0)
    if num_iters is not None:
        total = min(total, num_iters) if total else num_iters
    history = dict(d_loss=[], g_loss=[], sample_iters=[], seconds=0.0)
    images = []
    iter_count = 0
    start = time.perf_counter()
    bar = tqdm(total=total or None, desc="GAN iterations", disable=not progress)
    for epoch in range(num_epochs):
        for x, _ in loader_train:
            if num_iters is not None and iter_count >= num_iters:
                break
            if len(x) != batch_size:
                continue
            D_solver.zero_grad()
            real_data = x.to(device)
            logits_real = D(2 * (real_data - 0.5))  # images in [0, 1] -> [-1, 1], like G's tanh

            g_fake_seed = sample_noise(batch_size, noise_size).to(device)
            # detach: the discriminator step must not push gradients into G
            fake_images = G(g_fake_seed).detach()
            logits_fake = D(fake_images.view(batch_size, 1, 28, 28))

            d_total_error = discriminator_loss(logits_real, logits_fake)
            d_total_error.backward()
            D_solver.step()

            G_solver.zero_grad()
            g_fake_seed = sample_noise(batch_size, noise_size).to(device)
            fake_images = G(g_fake_seed)

            gen_logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
            g_error = generator_loss(gen_logits_fake)
            g_error.backward()
            G_solver.step()

            d_value, g_value = d_total_error.item(), g_error.item()
            history["d_loss"].append(d_value)
            history["g_loss"].append(g_value)
            if iter_count % show_every == 0:
                tqdm.write("Iter: {}, D: {:.4}, G:{:.4}".format(iter_count, d_value, g_value))
                images.append(fake_images.detach().cpu().numpy()[0:16])
                history["sample_iters"].append(iter_count)
            iter_count += 1
            bar.update(1)
            bar.set_postfix(D=f"{d_value:.3f}", G=f"{g_value:.3f}", refresh=False)
        if num_iters is not None and iter_count >= num_iters:
            break
    bar.close()
    history["seconds"] = time.perf_counter() - start
    if return_history:
        return images, history
    return images


class ChunkSampler(sampler.Sampler):
    """Samples elements sequentially from some offset.

    Arguments:
    - num_samples: number of desired data points
    - start: offset where we should start selecting from
    """

    def __init__(self, num_samples, start=0):
        self.num_samples = num_samples
        self.start = start

    def __iter__(self):
        return iter(range(self.start, self.start + self.num_samples))

    def __len__(self):
        return self.num_samples


class Flatten(nn.Module):
    """(N, C, H, W) (or any (N, ...)) -> (N, C*H*W)."""

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Unflatten(nn.Module):
    """
    An Unflatten module receives an input of shape (N, C*H*W) and reshapes it
    to produce an output of shape (N, C, H, W).
    """

    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N = N
        self.C = C
        self.H = H
        self.W = W

    def forward(self, x):
        return x.view(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    """Xavier-uniform init for Linear and ConvTranspose2d layers; use as ``model.apply(...)``."""
    if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(m.weight.data)


def preprocess_img(x):
    """[0, 1] -> [-1, 1]."""
    return 2 * x - 1.0


def deprocess_img(x):
    """[-1, 1] -> [0, 1]."""
    return (x + 1.0) / 2.0


def rel_error(x, y):
    """Elementwise maximum relative error, as in the CS231n notebooks."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def count_params(model):
    """Count the number of parameters in the model."""
    return int(sum(p.numel() for p in model.parameters()))


# ============================================================================ data (provided)

def make_loader(images, batch_size=128, num_train=NUM_TRAIN, start=0):
    """DataLoader over uint8 images, as the original's ``dset.MNIST`` + ``ChunkSampler`` did.

    Inputs:
    - images: uint8 tensor (N_all, 28, 28), e.g. from ``eecs598.data.load_mnist()[0]``.
    - batch_size: N per batch.
    - num_train: take images[start : start + num_train] (clipped to what exists).
    - start: offset of the first image.

    Returns:
    - loader: DataLoader yielding (x, y) with x float (N, 1, 28, 28) in [0, 1] and y a dummy
      zero label (the GANs ignore labels).
    """
    count = max(0, min(num_train, len(images) - start))
    x = images[:start + count].unsqueeze(1).float().div_(255)  # (start + count, 1, 28, 28)
    dataset = TensorDataset(x, torch.zeros(len(x), dtype=torch.int64))
    return DataLoader(dataset, batch_size=batch_size, sampler=ChunkSampler(count, start))


def show_images(images, title=None, ax=None):
    """Draw images as a square grid (provided; the notebook's ``show_images``).

    Inputs:
    - images: array or tensor (B, 784) or (B, 28, 28) or (B, 1, 28, 28), values in [-1, 1]
      (generator outputs) or [0, 1]; values below 0 are treated as [-1, 1] data.
    - title: optional figure title.
    - ax: optional matplotlib Axes to draw into.

    Returns:
    - fig: the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    grid = image_grid(images)
    if ax is None:
        side = max(2.0, 0.5 * math.ceil(math.sqrt(len(images))))
        fig, ax = plt.subplots(figsize=(side, side))
    else:
        fig = ax.figure
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def show_image_history(images, sample_iters, max_panels=6, title=None):
    """Show up to max_panels of the sample grids that :func:`run_a_gan` kept, evenly spaced.

    Inputs:
    - images: list of (16, 784) arrays from run_a_gan; sample_iters: their iterations.
    - title: optional figure title.

    Returns:
    - fig: the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    picks = np.unique(np.linspace(0, len(images) - 1, min(max_panels, len(images))).round().astype(int))
    fig, axes = plt.subplots(1, len(picks), figsize=(2.2 * len(picks), 2.6), squeeze=False)
    for ax, i in zip(axes[0], picks):
        show_images(images[i], title=f"iteration {sample_iters[i]}", ax=ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(images, pad=2):
    """Tile B images into a ceil(sqrt(B)) x ceil(sqrt(B)) uint8 grid (H_grid, W_grid).

    Inputs: images as in :func:`show_images`. Returns a uint8 numpy array.
    """
    x = torch.as_tensor(np.asarray(images.detach().cpu() if torch.is_tensor(images) else images),
                        dtype=torch.float32)
    x = x.reshape(len(x), 28, 28)
    if x.min() < 0:
        x = deprocess_img(x)
    B, side = len(x), int(math.ceil(math.sqrt(len(x))))
    grid = torch.zeros(side * (28 + pad) + pad, side * (28 + pad) + pad)
    for i in range(B):
        r, c = divmod(i, side)
        top, left = pad + r * (28 + pad), pad + c * (28 + pad)
        grid[top:top + 28, left:left + 28] = x[i]
    return (grid.clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()


def save_images(images, path, scale=2):
    """Save images (as in :func:`show_images`) as one grid image file (e.g. ``gan_dcgan.jpg``).

    Returns the path written.
    """
    from PIL import Image

    img = Image.fromarray(image_grid(images))
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    img.save(path, quality=95)
    return Path(path)
