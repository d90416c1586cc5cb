"""Tests for rnn_lstm_attention_captioning.py.

References: the spec's fixture values (A.4, B.2-B.4), numeric gradients, torch.autograd,
torch.nn.LSTM with mapped weights, F.cross_entropy, and explicit loops for attention.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import rnn_lstm_attention_captioning as cap
from eecs598.grad import compute_numeric_gradient, rel_error
from eecs598.resources import available
from eecs598.utils import decode_captions, reset_seed

f64 = dict(dtype=torch.float64)


def lin(lo, hi, *shape):
    return torch.linspace(lo, hi, steps=math.prod(shape), **f64).reshape(*shape)


def assert_close(actual, expected, tol):
    err = rel_error(torch.as_tensor(actual, **f64), torch.as_tensor(expected, **f64))
    assert err < tol, f"relative error {err:.3e} >= {tol}"


def test_hello(capsys):
    cap.hello()
    assert capsys.readouterr().out.strip() == "Hello from rnn_lstm_attention_captioning.py!"


# ---- vanilla RNN ------------------------------------------------------------------------------
def test_rnn_step_forward_fixture_and_formula():
    N, D, H = 3, 10, 4
    x, prev_h = lin(-0.4, 0.7, N, D), lin(-0.2, 0.5, N, H)
    Wx, Wh, b = lin(-0.1, 0.9, D, H), lin(-0.3, 0.7, H, H), lin(-0.2, 0.4, H)
    next_h, _ = cap.rnn_step_forward(x, prev_h, Wx, Wh, b)
    expected = [[-0.58172089, -0.50182032, -0.41232771, -0.31410098],
                [0.66854692, 0.79562378, 0.87755553, 0.92795967],
                [0.97934501, 0.99144213, 0.99646691, 0.99854353]]
    assert_close(next_h, expected, 1e-8)
    # the tanh formula, element by element
    manual = torch.tensor([[math.tanh(sum(x[n, d] * Wx[d, h] for d in range(D))
                                      + sum(prev_h[n, k] * Wh[k, h] for k in range(H)) + b[h])
                            for h in range(H)] for n in range(N)], **f64)
    assert_close(next_h, manual, 1e-12)


def test_rnn_step_backward_numeric():
    reset_seed(0)
    N, D, H = 4, 5, 6
    x, h, Wx, Wh, b = (torch.randn(*s, **f64) for s in [(N, D), (N, H), (D, H), (H, H), (H,)])
    out, cache = cap.rnn_step_forward(x, h, Wx, Wh, b)
    dnext_h = torch.randn(*out.shape, **f64)
    dx, dprev_h, dWx, dWh, db = cap.rnn_step_backward(dnext_h, cache)
    num = [compute_numeric_gradient(fn, v, dnext_h) for fn, v in [
        (lambda x: cap.rnn_step_forward(x, h, Wx, Wh, b)[0], x),
        (lambda h: cap.rnn_step_forward(x, h, Wx, Wh, b)[0], h),
        (lambda Wx: cap.rnn_step_forward(x, h, Wx, Wh, b)[0], Wx),
        (lambda Wh: cap.rnn_step_forward(x, h, Wx, Wh, b)[0], Wh),
        (lambda b: cap.rnn_step_forward(x, h, Wx, Wh, b)[0], b)]]
    for analytic, numeric in zip([dx, dprev_h, dWx, dWh, db], num):
        assert_close(analytic, numeric, 1e-8)


def test_rnn_forward_fixture():
    N, T, D, H = 2, 3, 4, 5
    x, h0 = lin(-0.1, 0.3, N, T, D), lin(-0.3, 0.1, N, H)
    Wx, Wh, b = lin(-0.2, 0.4, D, H), lin(-0.4, 0.1, H, H), lin(-0.7, 0.1, H)
    h, _ = cap.rnn_forward(x, h0, Wx, Wh, b)
    expected = [[[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
                 [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
                 [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
                [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
                 [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
                 [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]]
    assert_close(h, expected, 1e-7)


def test_rnn_backward_numeric_and_autograd():
    reset_seed(0)
    N, D, T, H = 2, 3, 10, 5
    x, h0, Wx, Wh, b = (torch.randn(*s, **f64) for s in [(N, T, D), (N, H), (D, H), (H, H), (H,)])
    out, cache = cap.rnn_forward(x, h0, Wx, Wh, b)
    dout = torch.randn(*out.shape, **f64)
    grads = cap.rnn_backward(dout, cache)
    num = compute_numeric_gradient(lambda Wh: cap.rnn_forward(x, h0, Wx, Wh, b)[0], Wh, dout)
    assert_close(grads[3], num, 1e-6)
    leaves = [t.clone().requires_grad_() for t in (x, h0, Wx, Wh, b)]
    cap.rnn_forward(*leaves)[0].backward(dout)
    for manual, leaf in zip(grads, leaves):
        assert_close(manual, leaf.grad, 1e-12)


def test_rnn_module_matches_functions():
    reset_seed(0)
    rnn = cap.RNN(4, 5, dtype=torch.float64)
    assert rnn.Wx.shape == (4, 5) and rnn.Wh.shape == (5, 5) and rnn.b.shape == (5,)
    x, h0 = torch.randn(2, 3, 4, **f64), torch.randn(2, 5, **f64)
    assert_close(rnn(x, h0), cap.rnn_forward(x, h0, rnn.Wx, rnn.Wh, rnn.b)[0], 1e-15)
    assert_close(rnn.step_forward(x[:, 0], h0), rnn(x, h0)[:, 0], 1e-15)


# ---- embedding and loss -------------------------------------------------------------------------
def test_word_embedding_fixture():
    N, T, V, D = 2, 4, 5, 3
    emb = cap.WordEmbedding(V, D, dtype=torch.float64)
    emb.W_embed.data.copy_(lin(0, 1, V, D))
    out = emb(torch.tensor([[0, 3, 1, 2], [2, 1, 0, 3]]))
    rows = lin(0, 1, V, D)
    expected = torch.stack([rows[[0, 3, 1, 2]], rows[[2, 1, 0, 3]]])
    assert_close(out, expected, 1e-7)
    assert_close(out[0, 1], [.64285714, .71428571, .78571429], 1e-7)
    assert torch.equal(out, F.embedding(torch.tensor([[0, 3, 1, 2], [2, 1, 0, 3]]), emb.W_embed))


@pytest.mark.parametrize("ignore_index", [None, 0, 2])
def test_temporal_softmax_loss_vs_cross_entropy(ignore_index):
    reset_seed(0)
    N, T, V = 6, 7, 9
    x, y = torch.randn(N, T, V, **f64), torch.randint(V, (N, T))
    loss = cap.temporal_softmax_loss(x, y, ignore_index=ignore_index)
    per_token = F.cross_entropy(x.reshape(-1, V), y.reshape(-1), reduction="none").view(N, T)
    keep = torch.ones_like(y, dtype=torch.bool) if ignore_index is None else y != ignore_index
    assert_close(loss, (per_token * keep).sum() / N, 1e-12)  # summed over time, divided by N


@pytest.mark.parametrize("N,T,V,p", [(1000, 1, 10, 1.0), (1000, 10, 10, 1.0), (5000, 10, 10, 0.1)])
def test_temporal_softmax_loss_check_loss(N, T, V, p):
    """The notebook's check_loss: near-uniform scores, so each counted token costs ln V.

    A token counts with probability p * (1 - 1/V) (kept by the mask and not class 0), so the loss
    is about T * p * (1 - 1/V) * ln V (2.07 / 20.7 / 2.07, the spec's "about 2.00-2.11 / 20.6-21.0");
    the tolerance is 5 binomial standard deviations."""
    reset_seed(0)
    x = 0.001 * torch.randn(N, T, V, **f64)
    y = torch.randint(V, size=(N, T))
    y[torch.rand(N, T) > p] = 0
    q = p * (1 - 1 / V)
    mean = T * q * math.log(V)
    std = math.sqrt(N * T * q * (1 - q)) / N * math.log(V)
    assert abs(cap.temporal_softmax_loss(x, y, ignore_index=0).item() - mean) < 5 * std


# ---- LSTM ---------------------------------------------------------------------------------------
def lstm_step_inputs():
    N, D, H = 3, 4, 5
    return (lin(-0.4, 1.2, N, D), lin(-0.3, 0.7, N, H), lin(-0.4, 0.9, N, H),
            lin(-2.1, 1.3, D, 4 * H), lin(-0.7, 2.2, H, 4 * H), lin(0.3, 0.7, 4 * H))


def test_lstm_step_forward_fixture():
    next_h, next_c = cap.lstm_step_forward(*lstm_step_inputs())
    assert_close(next_h, [[0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
                          [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
                          [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]], 1e-7)
    assert_close(next_c, [[0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
                          [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
                          [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]], 1e-7)


def test_lstm_forward_fixture():
    N, D, H, T = 2, 5, 4, 3
    h = cap.lstm_forward(lin(-0.4, 0.6, N, T, D), lin(-0.4, 0.8, N, H), lin(-0.2, 0.9, D, 4 * H),
                         lin(-0.3, 0.6, H, 4 * H), lin(0.2, 0.7, 4 * H))
    expected = [[[.01764008, .01823233, .01882671, .0194232],
                 [.11287491, .12146228, .13018446, .13902939],
                 [.31358768, .33338627, .35304453, .37250975]],
                [[.45767879, .4761092, .4936887, .51041945],
                 [.6704845, .69350089, .71486014, .7346449],
                 [.81733511, .83677871, .85403753, .86935314]]]
    assert_close(h, expected, 1e-7)


def _nn_lstm_like(lstm):
    """torch.nn.LSTM holding the same weights (PyTorch orders the gates i, f, g, o)."""
    D, H4 = lstm.Wx.shape
    H = H4 // 4
    ref = torch.nn.LSTM(D, H, batch_first=True, dtype=lstm.Wx.dtype)
    perm = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
    with torch.no_grad():
        ref.weight_ih_l0.copy_(lstm.Wx.t()[perm])
        ref.weight_hh_l0.copy_(lstm.Wh.t()[perm])
        ref.bias_ih_l0.copy_(lstm.b[perm])
        ref.bias_hh_l0.zero_()
    return ref


def lstm_step_loop(x, h0, Wx, Wh, b):
    """lstm_forward written the plain way: lstm_step_forward in a loop, autograd for the backward."""
    h, c, hs = h0, torch.zeros_like(h0), []
    for t in range(x.shape[1]):
        h, c = cap.lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
    return torch.stack(hs, dim=1)


@pytest.mark.parametrize("forward", [cap.lstm_forward, lstm_step_loop])
def test_lstm_matches_torch_nn_lstm(forward):
    reset_seed(0)
    N, T, D, H = 3, 6, 5, 7
    lstm = cap.LSTM(D, H, dtype=torch.float64)
    with torch.no_grad():
        lstm.b.normal_()
    ref = _nn_lstm_like(lstm)
    x = torch.randn(N, T, D, **f64, requires_grad=True)
    h0 = torch.randn(N, H, **f64, requires_grad=True)
    h = forward(x, h0, lstm.Wx, lstm.Wh, lstm.b)
    h_ref, _ = ref(x, (h0[None], torch.zeros_like(h0)[None]))
    assert_close(h, h_ref, 1e-12)
    dout = torch.randn(N, T, H, **f64)
    g = torch.autograd.grad(h, (x, h0, lstm.Wx, lstm.Wh, lstm.b), dout)
    g_ref = torch.autograd.grad(h_ref, (x, h0, ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0), dout)
    assert_close(g[0], g_ref[0], 1e-12)
    assert_close(g[1], g_ref[1], 1e-12)
    perm = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
    inv = torch.argsort(perm)
    assert_close(g[2], g_ref[2][inv].t(), 1e-12)
    assert_close(g[3], g_ref[3][inv].t(), 1e-12)
    assert_close(g[4], g_ref[4][inv], 1e-12)


def test_lstm_module_step_matches_nn_lstmcell():
    reset_seed(0)
    lstm = cap.LSTM(4, 3, dtype=torch.float64)
    ref = _nn_lstm_like(lstm)
    cell = torch.nn.LSTMCell(4, 3, dtype=torch.float64)
    cell.load_state_dict({k[:-3]: v for k, v in ref.state_dict().items()})
    x, h, c = torch.randn(2, 4, **f64), torch.randn(2, 3, **f64), torch.randn(2, 3, **f64)
    for mine, theirs in zip(lstm.step_forward(x, h, c), cell(x, (h, c))):
        assert_close(mine, theirs, 1e-12)


def test_lstm_forward_gradcheck():
    """lstm_forward's gradients (hand-written in the solution) against finite differences."""
    reset_seed(0)
    N, T, D, H = 2, 4, 3, 5
    args = [torch.randn(*s, **f64, requires_grad=True) for s in [(N, T, D), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,)]]
    assert torch.autograd.gradcheck(cap.lstm_forward, args)


# ---- attention ----------------------------------------------------------------------------------
def test_dot_product_attention_fixture_and_explicit():
    N, H, D_a = 2, 5, 4
    prev_h, A = lin(-0.4, 0.6, N, H), lin(-0.4, 1.8, N, H, D_a, D_a)
    attn, w = cap.dot_product_attention(prev_h, A)
    assert_close(attn, [[-0.29784344, -0.07645979, 0.14492386, 0.36630751, 0.58769115],
                        [0.81412643, 1.03551008, 1.25689373, 1.47827738, 1.69966103]], 1e-7)
    assert_close(w[0], [[0.06511126, 0.06475411, 0.06439892, 0.06404568],
                        [0.06369438, 0.06334500, 0.06299754, 0.06265198],
                        [0.06230832, 0.06196655, 0.06162665, 0.06128861],
                        [0.06095243, 0.06061809, 0.06028559, 0.05995491]], 1e-7)
    assert_close(w[1], [[0.05717142, 0.05784357, 0.05852362, 0.05921167],
                        [0.05990781, 0.06061213, 0.06132473, 0.06204571],
                        [0.06277517, 0.06351320, 0.06425991, 0.06501540],
                        [0.06577977, 0.06655312, 0.06733557, 0.06812722]], 1e-7)
    # explicit loops over the grid
    for n in range(N):
        scores = torch.tensor([[float(prev_h[n] @ A[n, :, i, j]) / math.sqrt(H) for j in range(D_a)]
                               for i in range(D_a)], **f64)
        weights = torch.exp(scores) / torch.exp(scores).sum()
        assert_close(w[n], weights, 1e-12)
        assert_close(attn[n], sum(weights[i, j] * A[n, :, i, j] for i in range(D_a) for j in range(D_a)), 1e-12)


def test_attention_lstm_step_forward_fixture():
    N, H = 3, 5
    next_h, next_c = cap.lstm_step_forward(*lstm_step_inputs(), attn=lin(0.6, 1.8, N, H),
                                           Wattn=lin(1.3, 4.2, H, 4 * H))
    assert_close(next_h, [[0.53704256, 0.59980774, 0.65596820, 0.70569729, 0.74932626],
                          [0.78729857, 0.82010653, 0.84828362, 0.87235677, 0.89283167],
                          [0.91017981, 0.92483119, 0.93717126, 0.94754073, 0.95623746]], 1e-8)
    assert_close(next_c, [[0.59999328, 0.69285041, 0.78570758, 0.87856479, 0.97142202],
                          [1.06428558, 1.15714276, 1.24999992, 1.34285708, 1.43571424],
                          [1.52857143, 1.62142857, 1.71428571, 1.80714286, 1.90000000]], 1e-8)


def test_attention_forward_fixture_and_explicit():
    N, D, H, T, D_a = 2, 5, 4, 3, 4
    x, A = lin(-0.4, 0.6, N, T, D), lin(-0.4, 1.8, N, H, D_a, D_a)
    Wx, Wh = lin(-0.2, 0.9, D, 4 * H), lin(-0.3, 0.6, H, 4 * H)
    Wattn, b = lin(1.3, 4.2, H, 4 * H), lin(0.2, 0.7, 4 * H)
    h = cap.attention_forward(x, A, Wx, Wh, Wattn, b)
    assert_close(h, [[[0.56141729, 0.70274849, 0.80000386, 0.86349400],
                      [0.89556391, 0.92856726, 0.94950579, 0.96281018],
                      [0.96792077, 0.97535465, 0.98039623, 0.98392994]],
                     [[0.95065880, 0.97135490, 0.98344373, 0.99045552],
                      [0.99317679, 0.99607466, 0.99774317, 0.99870293],
                      [0.99907382, 0.99946784, 0.99969426, 0.99982435]]], 1e-8)
    # explicit recurrence with torch.nn.LSTMCell-free math: softmax attention, then the gates
    Af = A.reshape(N, H, -1)
    hp = cp = Af.mean(dim=2)
    for t in range(T):
        w = torch.softmax(torch.einsum("nh,nhk->nk", hp, Af) / math.sqrt(H), dim=1)
        a = x[:, t] @ Wx + hp @ Wh + torch.einsum("nhk,nk->nh", Af, w) @ Wattn + b
        i, f, o, g = a.sigmoid()[:, :H], a.sigmoid()[:, H:2 * H], a.sigmoid()[:, 2 * H:3 * H], a[:, 3 * H:].tanh()
        cp = f * cp + i * g
        hp = o * cp.tanh()
        assert_close(h[:, t], hp, 1e-12)


def test_attention_lstm_module_shapes():
    m = cap.AttentionLSTM(6, 5)
    assert {n: tuple(p.shape) for n, p in m.named_parameters()} == {
        "Wx": (6, 20), "Wh": (5, 20), "Wattn": (5, 20), "b": (20,)}
    out = m(torch.randn(2, 3, 6), torch.randn(2, 5, 4, 4))
    assert out.shape == (2, 3, 5)


# ---- CaptioningRNN --------------------------------------------------------------------------------
WORD_TO_IDX = {"<NULL>": 0, "cat": 2, "dog": 3}


def _set_cs231n_params(model):
    """Set parameters as the CS231n fixtures do: linspace(-1.4, 1.3) in *numpy* layout.

    CS231n stores W_proj (D,H) and W_vocab (H,V); nn.Linear keeps weight (out, in), so those two
    are filled in the numpy layout and transposed."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                out_f, in_f = p.shape
                p.copy_(torch.linspace(-1.4, 1.3, p.numel(), dtype=p.dtype).reshape(in_f, out_f).t())
            else:
                p.copy_(torch.linspace(-1.4, 1.3, p.numel(), dtype=p.dtype).reshape(p.shape))


@pytest.mark.parametrize("cell_type,lo,hi,expected", [("rnn", -1.5, 0.3, 9.83235591003),
                                                      ("lstm", -0.5, 1.7, 9.82445935443)])
def test_captioning_loss_cs231n_fixture(cell_type, lo, hi, expected):
    N, D, W, H, T = 10, 20, 30, 40, 13
    model = cap.CaptioningRNN(WORD_TO_IDX, input_dim=D, wordvec_dim=W, hidden_dim=H,
                              cell_type=cell_type, dtype=torch.float64, ignore_index=0,
                              feature_weights="untrained")
    _set_cs231n_params(model)
    features = torch.linspace(lo, hi, N * D, **f64).reshape(N, D)
    captions = (torch.arange(N * T) % 3).reshape(N, T)
    loss = model(features, captions)
    assert abs(loss.item() - expected) < 1e-9


def test_captioning_parameters_and_invalid_cell():
    with pytest.raises(ValueError, match='Invalid cell_type "gru"'):
        cap.CaptioningRNN(WORD_TO_IDX, cell_type="gru", feature_weights="untrained")
    m = cap.CaptioningRNN(WORD_TO_IDX, input_dim=1280, wordvec_dim=30, hidden_dim=40,
                          cell_type="attention", feature_weights="untrained")
    shapes = sorted(tuple(p.shape) for p in m.parameters())
    assert shapes == sorted([(40, 1280), (40,), (3, 30), (30, 160), (40, 160), (40, 160), (160,),
                             (3, 40), (3,)])
    # MobileNet is not part of the trainable model
    assert sum(p.numel() for p in m.parameters()) < 100_000


@pytest.mark.parametrize("cell_type", ["rnn", "lstm", "attention"])
def test_captioning_images_path_matches_features_path(cell_type):
    reset_seed(0)
    w2i = {"<NULL>": 0, "<START>": 1, "<END>": 2, "cat": 3}
    m = cap.CaptioningRNN(w2i, input_dim=1280, wordvec_dim=8, hidden_dim=6,
                          cell_type=cell_type, feature_weights="untrained", ignore_index=0)
    images = torch.randint(0, 256, (2, 3, 112, 112), dtype=torch.uint8)
    feats = m.feat_extractor.extract_mobilenet_feature(images)
    assert feats.shape == ((2, 1280) if cell_type != "attention" else (2, 1280, 4, 4))
    captions = torch.tensor([[1, 2, 3, 0, 0], [1, 3, 3, 2, 0]])
    assert abs(m(images, captions).item() - m(feats, captions).item()) < 1e-5
    out = m.sample(images, max_length=4)
    if cell_type == "attention":
        out, w = out
        assert w.shape == (2, 4, 4, 4)
        assert torch.allclose(w.sum(dim=(2, 3)), torch.ones(2, 4))
    assert out.shape == (2, 4) and out.dtype == torch.long


@pytest.mark.parametrize("cell_type", ["rnn", "lstm", "attention"])
def test_overfit_few_captions_then_sample_them(cell_type):
    """A model trained on 4 captions must sample exactly those captions (greedy decoding)."""
    reset_seed(0)
    vocab = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "two"]
    w2i = {w: i for i, w in enumerate(vocab)}
    sentences = ["a red circle", "a blue square", "two red square", "a blue circle"]
    T = 6
    caps_ = torch.zeros(4, T, dtype=torch.long)
    for n, s in enumerate(sentences):
        toks = [1] + [w2i[w] for w in s.split()] + [2]
        caps_[n, :len(toks)] = torch.tensor(toks)
    shape = (4, 16) if cell_type != "attention" else (4, 16, 4, 4)
    feats = torch.randn(*shape)
    m = cap.CaptioningRNN(w2i, input_dim=16, wordvec_dim=16, hidden_dim=32, cell_type=cell_type,
                          ignore_index=0, feature_weights="untrained")
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(150):
        opt.zero_grad()
        loss = m(feats, caps_)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    out = m.sample(feats, max_length=T - 1)
    if cell_type == "attention":
        out = out[0]
    # identical up to and including <END> (decoding stops there; what follows is unused)
    assert decode_captions(out, vocab) == [s + " <END>" for s in sentences]


@pytest.mark.skipif(not available("mobilenet_v2"),
                    reason="needs the ImageNet IMAGENET1K_V1 MobileNetV2 weights (not available here)")
@pytest.mark.parametrize("cell_type,expected", [("rnn", 150.6090393066), ("lstm", 146.3161468505),
                                                ("attention", 46.9113769531)])
def test_captioning_loss_spec_imagenet(cell_type, expected):
    reset_seed(0)
    N, D, W, H, T = 10, 1280, 30, 40, 13
    model = cap.CaptioningRNN(WORD_TO_IDX, input_dim=D, wordvec_dim=W, hidden_dim=H,
                              cell_type=cell_type, ignore_index=0, feature_weights="imagenet")
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.linspace(-1.4, 1.3, p.numel()).reshape(p.shape))
    images = torch.linspace(-3, 3, N * 3 * 112 * 112).reshape(N, 3, 112, 112)
    captions = (torch.arange(N * T) % 3).reshape(N, T)
    assert abs(model(images, captions).item() - expected) < 1e-3


# ---- notebook helpers (eecs598.captioning) and the project-trained feature network ----------
def test_captioning_train_history_and_learning():
    from eecs598 import captioning
    reset_seed(0)
    w2i = {"<NULL>": 0, "<START>": 1, "<END>": 2, "x": 3, "y": 4}
    feats = torch.randn(40, 8)
    caps_ = torch.tensor([[1, 3 if f[0] > 0 else 4, 2, 0] for f in feats])
    m = cap.CaptioningRNN(w2i, input_dim=8, wordvec_dim=8, hidden_dim=16, cell_type="lstm",
                          ignore_index=0, feature_weights="untrained")
    m, hist = captioning.captioning_train(m, feats, caps_, learning_rate=1e-2, num_epochs=30,
                                          batch_size=16, verbose=False, plot=False)
    assert len(hist) == 30 * 3  # ceil(40 / 16) iterations per epoch
    assert hist[-1] < 0.3 * hist[0]


class _Oracle(torch.nn.Module):
    """Stands in for a model whose greedy captions are given."""

    def __init__(self, captions):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.captions = captions

    def sample(self, idx, max_length=15):
        return self.captions[idx.long()]


def test_caption_bleu_matches_nltk():
    from eecs598 import captioning
    from nltk.translate.bleu_score import corpus_bleu
    itos = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "on", "left"]
    gt = torch.tensor([[1, 4, 5, 7, 9, 10, 2, 0], [1, 4, 6, 8, 9, 10, 2, 0], [1, 4, 5, 8, 9, 10, 2, 0]])
    perfect = captioning.caption_bleu(_Oracle(gt[:, 1:]), torch.arange(3), gt, itos)
    assert all(abs(v - 1.0) < 1e-12 for v in perfect.values())
    wrong = gt[:, 1:].clone()
    wrong[0, 1] = 6  # "a blue circle on left" for a red circle
    scores = captioning.caption_bleu(_Oracle(wrong), torch.arange(3), gt, itos)
    hyps = [["a", "blue", "circle", "on", "left"], ["a", "blue", "square", "on", "left"],
            ["a", "red", "square", "on", "left"]]
    refs = [[["a", "red", "circle", "on", "left"]], [hyps[1]], [hyps[2]]]
    assert abs(scores["BLEU-4"] - corpus_bleu(refs, hyps)) < 1e-12
    assert scores["BLEU-1"] > scores["BLEU-4"] > 0


def test_extract_features_cached_roundtrip(tmp_path, monkeypatch):
    from eecs598 import captioning
    monkeypatch.setenv("EECS598_DATA_DIR", str(tmp_path))
    ext = cap.FeatureExtractor(pooling=True, weights="untrained")
    images = torch.randint(0, 256, (3, 3, 112, 112), dtype=torch.uint8)
    first = captioning.extract_features_cached(ext, images, "t", verbose=False)
    assert first.shape == (3, 1280)
    assert torch.allclose(first, ext.extract_mobilenet_feature(images), atol=1e-6)
    assert len(list((tmp_path / "trained" / "caption_features").glob("t_*.pt"))) == 1
    again = captioning.extract_features_cached(ext, images, "t", verbose=False)
    assert torch.equal(first, again)
    other = captioning.extract_features_cached(ext, images.flip(0), "t", verbose=False)  # new key
    assert len(list((tmp_path / "trained" / "caption_features").glob("t_*.pt"))) == 2
    assert torch.allclose(other, first.flip(0), atol=1e-6)


def test_feature_extractor_weights_argument():
    with pytest.raises(ValueError):
        cap.FeatureExtractor(weights="resnet")
    ext = cap.FeatureExtractor(pooling=False, weights="untrained")
    assert not ext.is_imagenet and "UNTRAINED" in ext.weights_source
    assert isinstance(ext, object) and not isinstance(ext, torch.nn.Module)
    out = ext.extract_mobilenet_feature(torch.zeros(2, 3, 112, 112, dtype=torch.uint8))
    assert out.shape == (2, 1280, 4, 4)


def test_project_feature_heads_shapes():
    from eecs598 import caption_features as cf
    heads = cf._Heads()
    out = heads(torch.randn(2, 1280, 4, 4))
    assert out["grid"].shape == (2, cf.NUM_GRID_CLASSES, 3, 3)
    assert out["colour0"].shape == (2, 5) and out["position1"].shape == (2, 9)
    assert cf.weights_path().name.startswith("mobilenet_v2_synthetic_captions_")


def test_project_trained_features_are_labelled_and_informative():
    """Trains the offline feature network when it is not cached (~1-2 min; the notebook reuses it)."""
    from eecs598 import caption_features as cf
    model = cf.load_project_mobilenet_v2(verbose=False)
    assert not model.is_imagenet
    assert "PROJECT-TRAINED" in model.weights_source and "SYNTHETIC" in model.weights_source
    acc = model.training_report["heldout_accuracy"]
    # far above chance (colour 20%, cell 11%): the features carry what captions need
    assert acc["colour0"] > 0.6 and acc["position0"] > 0.9
