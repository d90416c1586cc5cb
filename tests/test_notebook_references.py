"""Reference values the notebooks quote that come from this project, not from the originals,
recomputed here with independent code (plain tensor operations, none of the student modules)."""
import json
import math
import re
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent


def quoted_attention_reference():
    cells = json.loads((ROOT / 'rnn_lstm_attention_captioning.ipynb').read_text())['cells']
    text = '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code')
    return float(re.search(r"captioning_loss_check\('attention', [0-9.]+, ([0-9.]+),", text).group(1))


def fixture(*shape, numpy_layout=False):
    """linspace(-1.4, 1.3) over a parameter; Linear weights filled as (in, out), then transposed."""
    n = math.prod(shape)
    w = torch.linspace(-1.4, 1.3, n, dtype=torch.float64)
    return w.reshape(shape[::-1]).t() if numpy_layout else w.reshape(shape)


def test_attention_captioning_reference_value():
    N, D, W, H, T, V = 10, 20, 30, 40, 13, 3
    feats = torch.linspace(-0.5, 1.7, N * D * 16, dtype=torch.float64).reshape(N, D, 4, 4)
    captions = (torch.arange(N * T) % V).reshape(N, T)
    # parameters in the order CaptioningRNN registers them (each is filled independently)
    W_proj, b_proj = fixture(H, D, numpy_layout=True), fixture(H)
    W_embed = fixture(V, W)
    Wx, Wh, Wattn, b = fixture(W, 4 * H), fixture(H, 4 * H), fixture(H, 4 * H), fixture(4 * H)
    W_out, b_out = fixture(V, H, numpy_layout=True), fixture(V)

    A = torch.einsum('ndij,hd->nhij', feats, W_proj) + b_proj[:, None, None]  # (N, H, 4, 4)
    A_flat = A.flatten(2)                                                       # (N, H, 16)
    h = c = A_flat.mean(dim=2)
    x = W_embed[captions[:, :-1]]                                               # (N, T-1, W)
    scores = []
    for t in range(T - 1):
        weights = torch.softmax((h[:, :, None] * A_flat).sum(1) / math.sqrt(H), dim=1)  # (N, 16)
        attn = (A_flat * weights[:, None, :]).sum(2)                                    # (N, H)
        a = x[:, t] @ Wx + h @ Wh + attn @ Wattn + b
        i, f, o, g = a.split(H, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        scores.append(h @ W_out.t() + b_out)
    scores = torch.stack(scores, dim=1)                                         # (N, T-1, V)
    target = captions[:, 1:]
    loss = F.cross_entropy(scores.reshape(-1, V), target.reshape(-1), ignore_index=0,
                           reduction='sum') / N
    assert abs(loss.item() - quoted_attention_reference()) < 1e-10
