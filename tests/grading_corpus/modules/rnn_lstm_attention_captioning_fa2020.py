"""
Implements rnn lstm attention captioning in PyTorch.
WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

(Grading corpus: a complete FA2020-style solution with the original header; its FeatureExtractor
uses F.normalize without importing F, as the original starter code did.)
"""

import torch
import math
import torch.nn as nn
from a4_helper import *
from torch.nn.parameter import Parameter


def hello():
  print('Hello from rnn_lstm_attention_captioning.py!')


class FeatureExtractor(object):
  """
  Image feature extraction with MobileNet.
  """
  def __init__(self, pooling=False, verbose=False,
               device='cpu', dtype=torch.float32):

    from torchvision import transforms, models
    self.preprocess = transforms.Compose([
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    self.device, self.dtype = device, dtype
    self.mobilenet = models.mobilenet_v2(weights=None).to(device)
    self.mobilenet = nn.Sequential(*list(self.mobilenet.children())[:-1])  # Remove the last classifier
    if pooling:
      self.mobilenet.add_module('LastAvgPool', nn.AvgPool2d(4, 4))  # input: N x 1280 x 4 x 4
    self.mobilenet.eval()

  def extract_mobilenet_feature(self, img, verbose=False):
    num_img = img.shape[0]
    img_prepro = []
    for i in range(num_img):
      img_prepro.append(self.preprocess(img[i].type(self.dtype).div(255.)))
    img_prepro = torch.stack(img_prepro).to(self.device)
    with torch.no_grad():
      feat = []
      process_batch = 500
      for b in range(math.ceil(num_img / process_batch)):
        feat.append(self.mobilenet(img_prepro[b * process_batch:(b + 1) * process_batch]
                                   ).squeeze(-1).squeeze(-1))  # forward and squeeze
      feat = torch.cat(feat)
      # add l2 normalization
      F.normalize(feat, p=2, dim=1)
    return feat


##############################################################################
# Recurrent Neural Network                                                   #
##############################################################################
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h, cache = None, None
    z = prev_h @ Wh + x @ Wx + b
    next_h = torch.tanh(z)
    cache = (x, prev_h, Wx, Wh, z)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    x, prev_h, Wx, Wh, z = cache
    dtanh = dnext_h * (1 - torch.tanh(z) ** 2)
    dx = torch.matmul(dtanh, Wx.T)
    dprev_h = torch.matmul(dtanh, Wh.T)
    dWx = torch.matmul(x.T, dtanh)
    dWh = torch.matmul(prev_h.T, dtanh)
    db = torch.sum(dtanh, dim=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, _ = x.shape
    _, H = h0.shape
    h = torch.zeros((N, T, H), dtype=h0.dtype, device=h0.device)
    cache = []
    prev_h = h0
    for t in range(0, T):
        ht, cache_t = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = ht
        cache.append(cache_t)
        prev_h = ht
    return h, cache


def rnn_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][2].shape[0]
    dx = torch.zeros((N, T, D), dtype=dh.dtype, device=dh.device)
    dWx = torch.zeros_like(cache[0][2])
    dWh = torch.zeros_like(cache[0][3])
    db = torch.zeros((H,), dtype=dh.dtype, device=dh.device)
    dprev_h = torch.zeros((N, H), dtype=dh.dtype, device=dh.device)
    for t in reversed(range(T)):
        dprev_h = dprev_h + dh[:, t, :]
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
        dx[:, t, :] = dx_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


class RNN(nn.Module):
  def __init__(self, input_size, hidden_size, device='cpu',
                dtype=torch.float32):
    super().__init__()
    self.Wx = Parameter(torch.randn(input_size, hidden_size,
                       device=device, dtype=dtype).div(math.sqrt(input_size)))
    self.Wh = Parameter(torch.randn(hidden_size, hidden_size,
                       device=device, dtype=dtype).div(math.sqrt(hidden_size)))
    self.b = Parameter(torch.zeros(hidden_size,
                       device=device, dtype=dtype))

  def forward(self, x, h0):
    hn, _ = rnn_forward(x, h0, self.Wx, self.Wh, self.b)
    return hn

  def step_forward(self, x, prev_h):
    next_h, _ = rnn_step_forward(x, prev_h, self.Wx, self.Wh, self.b)
    return next_h


class WordEmbedding(nn.Module):
  def __init__(self, vocab_size, embed_size,
               device='cpu', dtype=torch.float32):
      super().__init__()
      self.W_embed = Parameter(torch.randn(vocab_size, embed_size,
                         device=device, dtype=dtype).div(math.sqrt(vocab_size)))

  def forward(self, x):
      out = None
      out = self.W_embed[x]
      return out


def temporal_softmax_loss(x, y, ignore_index=None):
    loss = None
    loss = F.cross_entropy(torch.transpose(x, 1, 2), y, ignore_index=ignore_index, reduction='sum') / x.shape[0]
    return loss


class CaptioningRNN(nn.Module):
    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128,
                 hidden_dim=128, cell_type='rnn', device='cpu',
                 ignore_index=None, dtype=torch.float32):
        super().__init__()
        if cell_type not in {'rnn', 'lstm', 'attention'}:
            raise ValueError('Invalid cell_type "%s"' % cell_type)

        self.cell_type = cell_type
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}

        vocab_size = len(word_to_idx)

        self._null = word_to_idx['<NULL>']
        self._start = word_to_idx.get('<START>', None)
        self._end = word_to_idx.get('<END>', None)
        self.ignore_index = ignore_index

        self.feat_extract = FeatureExtractor(pooling=(cell_type != 'attention'), device=device, dtype=dtype)
        self.feat_proj = nn.Linear(input_dim, hidden_dim).to(device=device, dtype=dtype)
        self.word_embed = WordEmbedding(vocab_size, wordvec_dim, device=device, dtype=dtype)
        if cell_type == 'rnn':
            self.network = RNN(wordvec_dim, hidden_dim, device=device, dtype=dtype)
        elif cell_type == 'lstm':
            self.network = LSTM(wordvec_dim, hidden_dim, device=device, dtype=dtype)
        else:
            self.network = AttentionLSTM(wordvec_dim, hidden_dim, device=device, dtype=dtype)
        self.output = nn.Linear(hidden_dim, vocab_size).to(device=device, dtype=dtype)

    def _features(self, images):
        feats = self.feat_extract.extract_mobilenet_feature(images)
        if self.cell_type == 'attention':
            return self.feat_proj(feats.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.feat_proj(feats)

    def forward(self, images, captions):
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]
        loss = 0.0
        h0 = self._features(images)
        words = self.word_embed(captions_in)
        hidden = self.network(words, h0)
        scores = self.output(hidden)
        loss = temporal_softmax_loss(scores, captions_out, ignore_index=self.ignore_index)
        return loss

    def sample(self, images, max_length=15):
        N = images.shape[0]
        captions = self._null * images.new(N, max_length).fill_(1).long()

        if self.cell_type == 'attention':
            attn_weights_all = images.new(N, max_length, 4, 4).fill_(0).float()

        feats = self._features(images)
        if self.cell_type == 'attention':
            A = feats
            h = A.mean(dim=(2, 3))
            c = h
        else:
            h = feats
            c = torch.zeros_like(h)
        word = torch.full((N,), self._start, dtype=torch.long, device=images.device)
        for t in range(max_length):
            x = self.word_embed(word)
            if self.cell_type == 'rnn':
                h = self.network.step_forward(x, h)
            elif self.cell_type == 'lstm':
                h, c = self.network.step_forward(x, h, c)
            else:
                attn, attn_weights = dot_product_attention(h, A)
                attn_weights_all[:, t] = attn_weights
                h, c = self.network.step_forward(x, h, c, attn)
            word = torch.argmax(self.output(h), dim=1)
            captions[:, t] = word
        if self.cell_type == 'attention':
          return captions, attn_weights_all.cpu()
        else:
          return captions


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    next_h, next_c = None, None
    H = prev_h.shape[1]
    if attn is None:
        a = x.mm(Wx) + prev_h.mm(Wh) + b
    else:
        a = x.mm(Wx) + prev_h.mm(Wh) + attn.mm(Wattn) + b
    i = torch.sigmoid(a[:, 0:H])
    f = torch.sigmoid(a[:, H:2 * H])
    o = torch.sigmoid(a[:, 2 * H:3 * H])
    g = torch.tanh(a[:, 3 * H:4 * H])
    next_c = f * prev_c + i * g
    next_h = o * torch.tanh(next_c)
    return next_h, next_c


def lstm_forward(x, h0, Wx, Wh, b):
    h = None
    c0 = torch.zeros_like(h0)  # we provide the intial cell state c0 here for you!
    N, T, D = x.shape
    H = h0.shape[1]
    h = torch.zeros(N, T, H, dtype=h0.dtype, device=h0.device)
    prev_h, prev_c = h0, c0
    for t in range(T):
        prev_h, prev_c = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
    return h


class LSTM(nn.Module):
  def __init__(self, input_size, hidden_size, device='cpu',
                dtype=torch.float32):
    super().__init__()
    self.Wx = Parameter(torch.randn(input_size, hidden_size*4,
                       device=device, dtype=dtype).div(math.sqrt(input_size)))
    self.Wh = Parameter(torch.randn(hidden_size, hidden_size*4,
                       device=device, dtype=dtype).div(math.sqrt(hidden_size)))
    self.b = Parameter(torch.zeros(hidden_size*4,
                       device=device, dtype=dtype))

  def forward(self, x, h0):
    hn = lstm_forward(x, h0, self.Wx, self.Wh, self.b)
    return hn

  def step_forward(self, x, prev_h, prev_c):
    next_h, next_c = lstm_step_forward(x, prev_h, prev_c, self.Wx,
                                       self.Wh, self.b)
    return next_h, next_c


def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    attn, attn_weights = None, None
    A_flat = A.view(N, H, -1)
    M = torch.bmm(prev_h.unsqueeze(1), A_flat) / math.sqrt(H)   # N x 1 x 16
    weights = F.softmax(M, dim=2)
    attn = torch.bmm(A_flat, weights.permute(0, 2, 1)).squeeze(2)
    attn_weights = weights.view(N, D_a, D_a)
    return attn, attn_weights


def attention_forward(x, A, Wx, Wh, Wattn, b):
    h = None
    h0 = A.mean(dim=(2, 3))  # Initial hidden state, of shape (N, H)
    c0 = h0  # Initial cell state, of shape (N, H)
    N, T, D = x.shape
    H = h0.shape[1]
    h = torch.zeros(N, T, H, dtype=x.dtype, device=x.device)
    prev_h, prev_c = h0, c0
    for t in range(T):
        attn, _ = dot_product_attention(prev_h, A)
        prev_h, prev_c = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b, attn, Wattn)
        h[:, t] = prev_h
    return h


class AttentionLSTM(nn.Module):
  def __init__(self, input_size, hidden_size, device='cpu',
                dtype=torch.float32):
    super().__init__()
    self.Wx = Parameter(torch.randn(input_size, hidden_size*4,
                       device=device, dtype=dtype).div(math.sqrt(input_size)))
    self.Wh = Parameter(torch.randn(hidden_size, hidden_size*4,
                       device=device, dtype=dtype).div(math.sqrt(hidden_size)))
    self.Wattn = Parameter(torch.randn(hidden_size, hidden_size*4,
                       device=device, dtype=dtype).div(math.sqrt(hidden_size)))
    self.b = Parameter(torch.zeros(hidden_size*4,
                       device=device, dtype=dtype))

  def forward(self, x, A):
    hn = attention_forward(x, A, self.Wx, self.Wh, self.Wattn, self.b)
    return hn

  def step_forward(self, x, prev_h, prev_c, attn):
    next_h, next_c = lstm_step_forward(x, prev_h, prev_c, self.Wx,
                                       self.Wh, self.b, attn, self.Wattn)
    return next_h, next_c
