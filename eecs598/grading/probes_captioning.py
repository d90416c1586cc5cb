"""Probes of the captioning notebook (Q2): RNN backward passes and the CaptioningRNN model."""
import torch
import torch.nn as nn

from .probing import NotImplementedYet, fill_params, get, make, need, plain, probe


@probe
def rnn_step_backward(mod, N, D, H, seed):
    g = {"t": "randn", "seed": seed}
    x, h, Wx, Wh, b, dnext = (make(dict(g, shape=s, seed=seed + i)) for i, s in
                              enumerate([(N, D), (N, H), (D, H), (H, H), (H,), (N, H)]))
    _, cache = need(get(mod, "rnn_step_forward")(x, h, Wx, Wh, b), "rnn_step_forward")
    out = need(get(mod, "rnn_step_backward")(dnext, cache), "rnn_step_backward")
    return {"grads": plain(list(out), "rnn_step_backward")}


@probe
def rnn_backward(mod, N, T, D, H, seed):
    x, h0, Wx, Wh, b, dout = (make({"t": "randn", "seed": seed + i, "shape": s}) for i, s in
                              enumerate([(N, T, D), (N, H), (D, H), (H, H), (H,), (N, T, H)]))
    _, cache = need(get(mod, "rnn_forward")(x, h0, Wx, Wh, b), "rnn_forward")
    out = need(get(mod, "rnn_backward")(dout, cache), "rnn_backward")
    return {"grads": plain(list(out), "rnn_backward")}



class _FakeFeatureExtractor:
    """Stands in for the MobileNetV2 FeatureExtractor (provided code, not graded): a fixed
    projection of 4x4-pooled pixels, so no pretrained weights are needed inside the sandbox."""

    def __init__(self, pooling=False, verbose=False, device="cpu", dtype=torch.float32, **kwargs):
        self.pooling, self.dtype = pooling, dtype
        gen = torch.Generator().manual_seed(598)
        self.proj = torch.randn(1280, 3, generator=gen, dtype=torch.float64) * 0.5

    def extract_mobilenet_feature(self, img, verbose=False):
        x = img.to(torch.float64) / 127.5 - 1.0                             # in [-1, 1]
        x = nn.functional.adaptive_avg_pool2d(x, 4)                         # (N, 3, 4, 4)
        feat = 4.0 * torch.einsum("kc,nchw->nkhw", self.proj, x)             # (N, 1280, 4, 4)
        if self.pooling:
            feat = feat.mean(dim=(2, 3))
        return feat.to(self.dtype)


END, START = 2, 1  # token indices of <END> and <START> in the probes' vocabulary


def _images_for_captions(N, gen):
    """Low-frequency uint8 images (random 4x4 colour blocks, upsampled): every image gets clearly
    different features, so captions differ across images and a sampler that drops its state shows."""
    base = torch.rand(N, 3, 1, 1, generator=gen)                      # one colour per image ...
    blocks = 0.7 * base + 0.3 * torch.rand(N, 3, 4, 4, generator=gen)  # ... with some texture
    blocks = (255 * blocks).round()
    return blocks.repeat_interleave(28, dim=2).repeat_interleave(28, dim=3).to(torch.uint8)


def _until_end(captions, attn, max_length):
    """Keep each sampled row up to and including its first ``<END>``; what follows (or a shorter
    output from a sampler that stopped early) is not judged: it becomes -1 / zero weights."""
    captions = captions.long()
    N, T = captions.shape
    out = torch.full((N, max_length), -1, dtype=torch.long)
    out_attn = None if attn is None else torch.zeros((N, max_length) + tuple(attn.shape[2:]), dtype=torch.float64)
    for n in range(N):
        row = captions[n, :max_length]
        ends = (row == END).nonzero()
        stop = int(ends[0]) + 1 if len(ends) else len(row)
        out[n, :stop] = row[:stop]
        if attn is not None:
            out_attn[n, :stop] = attn[n, :stop].to(torch.float64)
    return out, out_attn


@probe
def captioning(mod, cell_type, N, T, H, W, mode="loss", max_length=8, seed=0, gain=None):
    mod.FeatureExtractor = _FakeFeatureExtractor  # provided code; replaced in student and reference alike
    word_to_idx = {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", "a", "cat", "dog", "sat", "on", "the",
                                               "mat", "ran", "far"])}
    V = len(word_to_idx)
    ctor = get(mod, "CaptioningRNN")
    model = ctor(word_to_idx, input_dim=1280, wordvec_dim=W, hidden_dim=H, cell_type=cell_type,
                 ignore_index=0, dtype=torch.float64)
    if not any(True for _ in model.parameters()):
        raise NotImplementedYet("not implemented yet: CaptioningRNN.__init__ creates no parameters")
    gain = gain or (2.5 if mode == "sample" else 1.5)  # sampling: larger weights, livelier dynamics
    fill_params(model, seed, gain)
    gen = torch.Generator().manual_seed(seed)
    images = _images_for_captions(N, gen)
    if mode == "loss":
        captions = torch.randint(0, V, (N, T + 1), generator=gen)
        captions[:, 0] = 1
        captions[0, -2:] = 0  # some <NULL> padding, which must be ignored
        loss = need(model(images, captions), "CaptioningRNN.forward")
        params = list(model.parameters())
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            grads = torch.autograd.grad(loss, params, allow_unused=True)
        else:
            grads = [None] * len(params)
        # training needs a gradient on every parameter (.data / .item() / no_grad cut it off)
        untrained = sum(p.numel() for p, g in zip(params, grads) if g is None or not bool(g.abs().sum() > 0))
        return {"loss": plain(loss, "forward"), "num_params": sum(p.numel() for p in params),
                "params_without_gradient": untrained}
    # sampling: three differently filled models, so that a sampler that drops its hidden or cell
    # state between steps changes some caption (one model alone can hide it in a repeated word)
    captions, weights = [], []
    for k in range(3):
        if k:
            fill_params(model, seed + 7919 * k, gain)
        out = need(model.sample(images, max_length=max_length), "CaptioningRNN.sample")
        if cell_type == "attention":
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise TypeError("CaptioningRNN.sample should return (captions, attn_weights_all) for attention")
            caps, attn = (plain(o, "sample") for o in out)
        else:
            caps, attn = plain(out, "sample"), None
        if not isinstance(caps, torch.Tensor) or caps.dim() != 2 or caps.shape[0] != N:
            raise TypeError(f"CaptioningRNN.sample should return captions of shape ({N}, {max_length})")
        caps, attn = _until_end(caps, attn, max_length)
        captions.append(caps)
        weights.append(attn)
    if cell_type == "attention":
        return {"captions": torch.cat(captions), "attn": torch.cat(weights)}
    return {"captions": torch.cat(captions)}

