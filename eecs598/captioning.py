"""The captioning notebook's helpers (Q2): training loop, cached features, BLEU, attention figure.

* :func:`captioning_train` -- the notebook's training loop as a real function (the original read
  its settings from notebook globals);
* :func:`extract_features_cached` -- MobileNetV2 features of a whole split, computed once and kept
  on disk (keyed by the extractor's weights and the image bytes);
* :func:`caption_bleu` -- corpus BLEU-1..4 of a model's greedy captions;
* :func:`show_attention` -- one tile per generated word with its attention map.
"""
import hashlib
import math
import time

import torch

from . import model_cache


def captioning_train(rnn_model, image_data, caption_data, lr_decay=1, learning_rate=1e-3,
                     num_epochs=80, batch_size=50, shuffle=True, seed=0, verbose=True, plot=True,
                     title=None):
    """Train a ``CaptioningRNN`` with Adam and a per-epoch learning-rate decay.

    Inputs:
    - rnn_model: the CaptioningRNN (its parameters' device is used for every minibatch).
    - image_data: (N, 3, 112, 112) uint8 images, or their precomputed MobileNet features
      ((N, 1280) or (N, 1280, 4, 4)); kept where they are and moved one minibatch at a time.
    - caption_data: (N, 17) int64 captions.
    - lr_decay: the learning rate is multiplied by this after every epoch (``LambdaLR``).
    - learning_rate, num_epochs, batch_size: as in the original (which read notebook globals).
    - shuffle: reshuffle the order every epoch (the original walked sequential slices); the order
      is drawn from a generator seeded with ``seed``, so runs repeat.
    - plot: draw the loss curve; title: its title.

    Returns ``(rnn_model, loss_history)``: one float per iteration.
    """
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    params = [p for p in rnn_model.parameters() if p.requires_grad]
    device = params[0].device
    optimizer = torch.optim.Adam(params, learning_rate)
    lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: lr_decay ** epoch)
    num_train = image_data.shape[0]
    iter_per_epoch = math.ceil(num_train / batch_size)
    gen = torch.Generator().manual_seed(seed)
    loss_history = []
    rnn_model.train()
    bar = tqdm(range(num_epochs), desc="training", disable=not verbose)
    for epoch in bar:
        start = time.time()
        order = torch.randperm(num_train, generator=gen) if shuffle else torch.arange(num_train)
        for j in range(iter_per_epoch):
            idx = order[j * batch_size:(j + 1) * batch_size]
            images = image_data[idx].to(device)
            captions = caption_data[idx].to(device)
            loss = rnn_model(images, captions)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            loss_history.append(loss.item())
            optimizer.step()
        lr_scheduler.step()
        bar.set_postfix(loss=f"{loss.item():.3f}", s_per_epoch=f"{time.time() - start:.1f}")
    if verbose:
        print(f"(Epoch {num_epochs} / {num_epochs}) final loss: {loss_history[-1]:.4f}")
    if plot:
        plt.figure(figsize=(6, 3.5))
        plt.plot(loss_history)
        plt.xlabel("Iteration")
        plt.ylabel("Loss")
        plt.title(title or "Training loss history")
        plt.show()
    return rnn_model, loss_history


def extract_features_cached(extractor, images, name=None, verbose=True):
    """``extractor.extract_mobilenet_feature(images)``, cached on disk.

    The cache file (under ``data_dir()/'trained'/'caption_features'``) is keyed by the extractor's
    weights, its output shape and a hash of the image bytes, so a stale cache is never used.
    Returns the (CPU) feature tensor.
    """
    h = hashlib.sha256(extractor.weights_source.encode())
    with torch.no_grad():
        probe = extractor.mobilenet(torch.zeros(1, 3, 112, 112, device=extractor.device,
                                                dtype=extractor.dtype))
    h.update(str(tuple(probe.shape)).encode())
    h.update(images.contiguous().cpu().numpy().tobytes())
    folder = model_cache.cache_dir() / "caption_features"
    path = folder / f"{name or 'features'}_{h.hexdigest()[:16]}.pt"
    if path.exists():
        try:
            feats = torch.load(path, map_location="cpu", weights_only=True)
            if feats.shape[0] == images.shape[0]:
                if verbose:
                    print(f"loaded cached features {tuple(feats.shape)} from {path}")
                return feats
        except Exception:  # a truncated file: extract again
            pass
    from tqdm.auto import tqdm

    chunks = []
    for start in tqdm(range(0, images.shape[0], 250), desc=f"MobileNetV2 features ({name})",
                      disable=not verbose):
        chunks.append(extractor.extract_mobilenet_feature(images[start:start + 250]).cpu())
    feats = torch.cat(chunks)
    model_cache.atomic_save(feats, path)
    return feats


def _strip_tokens(caption_ids, idx_to_word):
    """Word list of one caption without <NULL>/<START>, cut at the first <END>."""
    words = []
    for i in caption_ids:
        w = idx_to_word[int(i)]
        if w == "<END>":
            break
        if w not in ("<NULL>", "<START>"):
            words.append(w)
    return words


def caption_bleu(model, image_data, caption_data, idx_to_word, batch_size=500, max_length=15):
    """Corpus BLEU-1..4 of the model's greedy captions against the ground-truth captions.

    Computed with ``nltk.translate.bleu_score.corpus_bleu`` (one reference per image, uniform
    n-gram weights, no smoothing); ``<START>``/``<END>``/``<NULL>`` are removed first.

    Returns ``{'BLEU-1': float, ..., 'BLEU-4': float}``.
    """
    from nltk.translate.bleu_score import corpus_bleu

    device = next(model.parameters()).device
    model.eval()
    hypotheses, references = [], []
    for start in range(0, image_data.shape[0], batch_size):
        out = model.sample(image_data[start:start + batch_size].to(device), max_length=max_length)
        sampled = out[0] if isinstance(out, tuple) else out
        for hyp, ref in zip(sampled.cpu(), caption_data[start:start + batch_size]):
            hypotheses.append(_strip_tokens(hyp, idx_to_word))
            references.append([_strip_tokens(ref, idx_to_word)])
    weights = [(1.0,), (0.5, 0.5), (1 / 3, 1 / 3, 1 / 3), (0.25, 0.25, 0.25, 0.25)]
    return {f"BLEU-{n}": float(corpus_bleu(references, hypotheses, weights=w))
            for n, w in enumerate(weights, start=1)}


def show_attention(image, tokens, attn_weights, title=None, nrow=8):
    """One tile per generated word: the image blended with that word's 4x4 attention map.

    Inputs:
    - image: (3, H, W) uint8 tensor.
    - tokens: list of L words (up to and including <END>).
    - attn_weights: (>= L, 4, 4) attention weights of those words.
    """
    import matplotlib.pyplot as plt
    from torchvision.utils import make_grid

    from .utils import attention_visualizer

    tiles = [torch.from_numpy(attention_visualizer(image, attn_weights[i], tok, "RGB")).permute(2, 0, 1)
             for i, tok in enumerate(tokens)]
    grid = make_grid(torch.stack(tiles), nrow=nrow, padding=2, pad_value=1.0)
    plt.figure(figsize=(2.0 * min(nrow, len(tiles)), 2.4 * math.ceil(len(tiles) / nrow)))
    plt.imshow(grid.permute(1, 2, 0).clamp(0, 1).numpy())
    plt.axis("off")
    if title:
        plt.title(title)
    plt.show()
