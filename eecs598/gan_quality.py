"""How good are a GAN's samples? A digit classifier trained here scores them.

The original GAN notebook judged samples by eye. Here a small CNN trained on the real training
images (:class:`QualityClassifier`, cached by :mod:`eecs598.model_cache`) scores them two ways:

* classifier score = exp(E_x KL(p(y|x) || p(y))): high when each sample is classified confidently
  AND all classes appear (the Inception score with this classifier; at most K = 10);
* FD = Frechet distance between Gaussians fitted to the classifier's 64-d features of the samples
  and of the real test images (lower is better; ~0 for real images up to sampling noise). Only
  comparable within this repository (same classifier, same sample counts), not with published
  FIDs, which use Inception-v3 features.

Shapes: N images of 28 x 28 pixels, given as (N, 784) or (N, 1, 28, 28) floats in [-1, 1] (the
generators' tanh range) or as uint8 (N, 28, 28) real images; F = 64 features; K = 10 classes.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from tqdm.auto import tqdm

from . import model_cache

NUM_FEATURES = 64          # width of the classifier's penultimate layer (the FD feature space)
NOISE_DIM = 96             # the GAN notebook's noise dimension
# Every hyperparameter of the training (the cache key holds them all, plus dataset, data and code).
# 700 Adam steps of batch 128: ~1.5 epochs of the 60k MNIST set, ~5 of the mirror's subset.
TRAINING = dict(steps=700, batch=128, lr=2e-3, max_shift=2, seed=0)


class QualityClassifier(nn.Module):
    """Small CNN for 28x28 digits: two 3x3 conv blocks, a 64-d feature layer, K logits.

    Takes images in [-1, 1] (generator outputs), shaped (N, 784) or (N, 1, 28, 28).
    """

    def __init__(self, num_classes=10, num_features=NUM_FEATURES):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 7, 7)
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, num_features), nn.ReLU(),               # (N, F)
        )
        self.head = nn.Linear(num_features, num_classes)

    def features(self, x):
        """(N, 784) or (N, 1, 28, 28) in [-1, 1] -> (N, F) features."""
        return self.body(x.reshape(-1, 1, 28, 28))

    def forward(self, x):
        """(N, 784) or (N, 1, 28, 28) in [-1, 1] -> (N, K) logits."""
        return self.head(self.features(x))


def to_model_input(images_uint8):
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1]."""
    return 2 * (images_uint8.unsqueeze(1).float() / 255) - 1.0


def train_quality_classifier(train_images, train_labels, steps=700, batch=128, lr=2e-3,
                             max_shift=2, seed=0, progress=True):
    """Train a :class:`QualityClassifier` on real images; deterministic for a given seed.

    Inputs:
    - train_images: uint8 (N, 28, 28); train_labels: int64 (N,).
    - steps, batch, lr: Adam steps (cosine-decayed learning rate) with batches of this size.
    - max_shift: each batch is shifted by up to this many pixels (makes the classifier less
      brittle on imperfect samples).
    - seed: seeds the initialisation (without touching the global RNG) and the batch order.

    Returns:
    - model: the trained classifier in eval mode, on the CPU.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = QualityClassifier()
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    x_all, y_all = to_model_input(train_images), train_labels
    order = torch.randperm(len(x_all), generator=g)
    pos = 0
    model.train()
    for _ in tqdm(range(steps), desc="training the quality classifier", disable=not progress):
        if pos + batch > len(order):
            order, pos = torch.randperm(len(x_all), generator=g), 0
        idx = order[pos:pos + batch]
        pos += batch
        dx, dy = torch.randint(-max_shift, max_shift + 1, (2,), generator=g).tolist()
        x = torch.roll(x_all[idx], shifts=(dy, dx), dims=(2, 3))
        loss = F.cross_entropy(model(x), y_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


@torch.no_grad()
def classifier_accuracy(model, images, labels, batch=1000):
    """Fraction of uint8 (N, 28, 28) images whose argmax prediction equals labels (N,)."""
    correct = 0
    for i in range(0, len(images), batch):
        pred = model(to_model_input(images[i:i + batch])).argmax(1)
        correct += (pred == labels[i:i + batch]).sum().item()
    return correct / len(images)


def load_quality_classifier(dataset="mnist", verbose=True, retrain=False, **training):
    """The sample-quality classifier for ``dataset`` ('mnist' or 'fashion-mnist').

    Trained on the dataset's real training images the first time (deterministic, ~10-30 s on two
    CPU cores) and cached by :func:`eecs598.model_cache.load_or_train`; keyword arguments override
    :data:`TRAINING` (e.g. ``steps=100``), and any change -- or other training images, e.g. the
    full set instead of the mirror's subset -- trains a new model.

    Returns:
    - model: QualityClassifier in eval mode (CPU) with attributes ``test_accuracy`` (float, on
      the real test set), ``train_size`` (int) and ``source`` (a sentence for printing).
    """
    from . import data as edata

    unknown = set(training) - set(TRAINING)
    if unknown:
        raise TypeError(f"unknown training settings {sorted(unknown)}; known: {sorted(TRAINING)}")
    cfg = dict(TRAINING, **training)
    loader = {"mnist": edata.load_mnist, "fashion-mnist": edata.load_fashion_mnist}[dataset]
    train_images, train_labels = loader(train=True)

    def train():
        model = train_quality_classifier(train_images, train_labels, progress=verbose, **cfg)
        test_images, test_labels = loader(train=False)
        return model, {"test_accuracy": classifier_accuracy(model, test_images, test_labels)}

    config = dict(cfg, dataset=dataset, num_features=NUM_FEATURES,
                  data=model_cache.data_fingerprint(train_images, train_labels),
                  code=model_cache.code_version(QualityClassifier, to_model_input, train_quality_classifier))
    model, info, how = model_cache.load_or_train(f"gan_quality_{dataset}", config, train,
                                                 QualityClassifier, retrain=retrain)
    model.test_accuracy = info["test_accuracy"]
    model.train_size = len(train_labels)
    model.source = (f"{dataset} quality classifier: small CNN trained by this project on "
                    f"{len(train_labels):,} real training images, test accuracy "
                    f"{100 * model.test_accuracy:.2f}% ({how})")
    if verbose:
        print(model.source)
    return model


@torch.no_grad()
def classifier_outputs(model, images, batch=1000):
    """Class probabilities (B, K) and features (B, F) of images (B, 784) in [-1, 1] (float64)."""
    images = torch.as_tensor(np.asarray(images.cpu()) if torch.is_tensor(images) else images)
    probs, feats = [], []
    for i in range(0, len(images), batch):
        f = model.features(images[i:i + batch].float())
        feats.append(f.double())
        probs.append(F.softmax(model.head(f), dim=1).double())
    return torch.cat(probs).numpy(), torch.cat(feats).numpy()


def classifier_score(probs, eps=1e-12):
    """exp(mean_x KL(p(y|x) || p(y))) for probs (B, K); between 1 and K."""
    probs = np.asarray(probs, dtype=np.float64)
    marginal = probs.mean(axis=0, keepdims=True)
    kl = (probs * (np.log(probs + eps) - np.log(marginal + eps))).sum(axis=1)
    return float(np.exp(kl.mean()))


def frechet_distance(feats1, feats2):
    """Frechet distance between Gaussians fitted to two feature sets (B1, F) and (B2, F).

    ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)), with the trace of the matrix square
    root computed as the sum of sqrt(eigenvalues) of S1^(1/2) S2 S1^(1/2) (symmetric PSD).
    """
    f1, f2 = np.asarray(feats1, np.float64), np.asarray(feats2, np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root1 @ s2 @ root1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


@torch.no_grad()
def generate_samples(G, num_samples, noise_dim=NOISE_DIM, batch=500, seed=0):
    """Draw num_samples images (num_samples, 784) in [-1, 1] from G (in eval mode), on the CPU.

    The noise is uniform in [-1, 1] (as ``sample_noise``) from a private seeded generator, so two
    calls give the same samples.
    """
    was_training = G.training
    G.eval()
    device = next(G.parameters()).device
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, num_samples, batch):
        n = min(batch, num_samples - i)
        z = 2 * torch.rand(n, noise_dim, generator=g) - 1
        out.append(G(z.to(device)).reshape(n, 784).cpu())
    G.train(was_training)
    return torch.cat(out)


def sample_quality(classifier, images, reference_features):
    """Score images (B, 784) in [-1, 1] against real reference features (B_ref, F).

    Returns a dict: 'score' (classifier score, higher is better, at most K), 'fd' (Frechet
    distance, lower is better), 'confident' (fraction of samples whose top class has p > 0.9),
    'class_counts' (array (K,) of predicted classes).
    """
    probs, feats = classifier_outputs(classifier, images)
    return dict(score=classifier_score(probs), fd=frechet_distance(feats, reference_features),
                confident=float((probs.max(1) > 0.9).mean()),
                class_counts=np.bincount(probs.argmax(1), minlength=probs.shape[1]))
