# Variants of the Q2 (captioning) functions; each section replaces one definition (or one
# method, "Class.method") of the repository's solution module. See ../manifest.json.
# === rnn_step_forward:matmul-operator
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    z = prev_h @ Wh + x @ Wx + b
    next_h = torch.tanh(z)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache
# === rnn_step_forward:addmm
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = torch.addmm(torch.addmm(b, x, Wx), prev_h, Wh).tanh()
    return next_h, (x, prev_h, Wx, Wh, next_h)
# === rnn_step_forward:wrong-sigmoid
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = torch.sigmoid(x.mm(Wx) + prev_h.mm(Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)
# === rnn_step_backward:matmul-transpose
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1 - next_h ** 2)
    dx = torch.matmul(dtanh, Wx.T)
    dprev_h = torch.matmul(dtanh, Wh.T)
    dWx = torch.matmul(x.T, dtanh)
    dWh = torch.matmul(prev_h.T, dtanh)
    db = torch.sum(dtanh, dim=0)
    return dx, dprev_h, dWx, dWh, db
# === rnn_step_backward:einsum
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h.pow(2))
    dx = torch.einsum('nh,dh->nd', da, Wx)
    dprev_h = torch.einsum('nh,kh->nk', da, Wh)
    dWx = torch.einsum('nd,nh->dh', x, da)
    dWh = torch.einsum('nk,nh->kh', prev_h, da)
    return dx, dprev_h, dWx, dWh, da.sum(0)
# === rnn_step_backward:wrong-missing-tanh-derivative
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h
    return da.mm(Wx.t()), da.mm(Wh.t()), x.t().mm(da), prev_h.t().mm(da), da.sum(0)
# === rnn_forward:preallocated
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    H = h0.shape[1]
    h = torch.zeros((N, T, H), dtype=h0.dtype, device=h0.device)
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, cache_t = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(cache_t)
    return h, cache
# === rnn_forward:unbind-stack
def rnn_forward(x, h0, Wx, Wh, b):
    hs, cache, h_t = [], [], h0
    for x_t in x.unbind(dim=1):
        h_t, c = rnn_step_forward(x_t, h_t, Wx, Wh, b)
        hs.append(h_t)
        cache.append(c)
    return torch.stack(hs, 1), cache
# === rnn_forward:wrong-h0-every-step
def rnn_forward(x, h0, Wx, Wh, b):
    hs, cache = [], []
    for t in range(x.shape[1]):
        h_t, c = rnn_step_forward(x[:, t], h0, Wx, Wh, b)
        hs.append(h_t)
        cache.append(c)
    return torch.stack(hs, 1), cache
# === rnn_backward:zeros-like
def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = torch.zeros((N, T, D), dtype=dh.dtype, device=dh.device)
    dWx = torch.zeros_like(cache[0][2])
    dWh = torch.zeros_like(cache[0][3])
    db = torch.zeros(H, dtype=dh.dtype, device=dh.device)
    dprev_h = torch.zeros((N, H), dtype=dh.dtype, device=dh.device)
    for t in reversed(range(T)):
        dprev_h += dh[:, t, :]
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
        dx[:, t, :] = dx_t
    return dx, dprev_h, dWx, dWh, db
# === rnn_backward:lists-and-sum
def rnn_backward(dh, cache):
    T = dh.shape[1]
    grads, dnext = [], 0
    for t in range(T - 1, -1, -1):
        step = rnn_step_backward(dh[:, t] + dnext, cache[t])
        dnext = step[1]
        grads.append(step)
    dx = torch.stack([g[0] for g in reversed(grads)], dim=1)
    return (dx, dnext, sum(g[2] for g in grads), sum(g[3] for g in grads), sum(g[4] for g in grads))
# === rnn_backward:wrong-drops-carried-gradient
def rnn_backward(dh, cache):
    N, T, H = dh.shape
    dxs, dWx, dWh, db = [], 0, 0, 0
    dprev_h = None
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t], cache[t])
        dxs.insert(0, dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return torch.stack(dxs, 1), dprev_h, dWx, dWh, db
# === WordEmbedding:index
class WordEmbedding(nn.Module):
    def __init__(self, vocab_size, embed_size, device='cpu', dtype=torch.float32):
        super().__init__()
        self.W_embed = Parameter(torch.randn(vocab_size, embed_size, device=device, dtype=dtype).div(math.sqrt(vocab_size)))

    def forward(self, x):
        out = self.W_embed[x]
        return out
# === WordEmbedding:f-embedding
class WordEmbedding(nn.Module):
    def __init__(self, vocab_size, embed_size, device='cpu', dtype=torch.float32):
        super().__init__()
        self.W_embed = nn.Parameter(torch.randn(vocab_size, embed_size, device=device, dtype=dtype).div(math.sqrt(vocab_size)))

    def forward(self, x):
        return F.embedding(x, self.W_embed)
# === WordEmbedding:one-hot-matmul
class WordEmbedding(nn.Module):
    def __init__(self, vocab_size, embed_size, device='cpu', dtype=torch.float32):
        super().__init__()
        self.W_embed = nn.Parameter(torch.randn(vocab_size, embed_size, device=device, dtype=dtype).div(math.sqrt(vocab_size)))

    def forward(self, x):
        onehot = F.one_hot(x, self.W_embed.shape[0]).to(self.W_embed.dtype)
        return onehot @ self.W_embed
# === WordEmbedding:wrong-transposed-lookup
class WordEmbedding(nn.Module):
    def __init__(self, vocab_size, embed_size, device='cpu', dtype=torch.float32):
        super().__init__()
        self.W_embed = nn.Parameter(torch.randn(vocab_size, embed_size, device=device, dtype=dtype).div(math.sqrt(vocab_size)))

    def forward(self, x):
        return self.W_embed[x.flip(-1)]
# === temporal_softmax_loss:cross-entropy-sum
def temporal_softmax_loss(x, y, ignore_index=None):
    N, T, V = x.shape
    loss = F.cross_entropy(x.reshape(N * T, V), y.reshape(N * T), ignore_index=ignore_index, reduction='sum') / N
    return loss
# === temporal_softmax_loss:manual-log-softmax
def temporal_softmax_loss(x, y, ignore_index=None):
    logp = torch.log_softmax(x, dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
    mask = torch.ones_like(logp) if ignore_index is None else (y != ignore_index).to(logp.dtype)
    return -(logp * mask).sum() / x.shape[0]
# === temporal_softmax_loss:permute-cross-entropy
def temporal_softmax_loss(x, y, ignore_index=None):
    kwargs = {} if ignore_index is None else {'ignore_index': ignore_index}
    return F.cross_entropy(x.permute(0, 2, 1), y, reduction='sum', **kwargs) / x.shape[0]
# === temporal_softmax_loss:wrong-mean-over-tokens
def temporal_softmax_loss(x, y, ignore_index=None):
    N, T, V = x.shape
    return F.cross_entropy(x.reshape(N * T, V), y.reshape(N * T), ignore_index=ignore_index)
# === CaptioningRNN.forward:explicit-steps
def forward(self, images, captions):
    captions_in, captions_out = captions[:, :-1], captions[:, 1:]
    proj = self._project_features(images)
    x = self.word_embed(captions_in)
    if self.cell_type == 'rnn':
        hs, _ = rnn_forward(x, proj, self.rnn.Wx, self.rnn.Wh, self.rnn.b)
    elif self.cell_type == 'lstm':
        hs = lstm_forward(x, proj, self.rnn.Wx, self.rnn.Wh, self.rnn.b)
    else:
        hs = attention_forward(x, proj, self.rnn.Wx, self.rnn.Wh, self.rnn.Wattn, self.rnn.b)
    scores = self.output_proj(hs)
    return temporal_softmax_loss(scores, captions_out, ignore_index=self.ignore_index)
# === CaptioningRNN.forward:wrong-null-padding-counted
def forward(self, images, captions):
    h0_or_A = self._project_features(images)
    scores = self.output_proj(self.rnn(self.word_embed(captions[:, :-1]), h0_or_A))
    return temporal_softmax_loss(scores, captions[:, 1:])
# === CaptioningRNN.sample:stop-at-end
def sample(self, images, max_length=15):
    N = images.shape[0]
    captions = torch.full((N, max_length), self._null, dtype=torch.long)
    attn_weights_all = torch.zeros(N, max_length, 4, 4)
    with torch.no_grad():
        proj = self._project_features(images)
        if self.cell_type == 'attention':
            A = proj
            h = c = A.mean(dim=(2, 3))
        else:
            h, c = proj, torch.zeros_like(proj)
        word = torch.full((N,), self._start, dtype=torch.long)
        done = torch.zeros(N, dtype=torch.bool)
        for t in range(max_length):
            x = self.word_embed(word)
            if self.cell_type == 'rnn':
                h = self.rnn.step_forward(x, h)
            elif self.cell_type == 'lstm':
                h, c = self.rnn.step_forward(x, h, c)
            else:
                attn, w = dot_product_attention(h, A)
                attn_weights_all[:, t] = torch.where(done[:, None, None], torch.zeros_like(w), w).float()
                h, c = self.rnn.step_forward(x, h, c, attn)
            word = self.output_proj(h).argmax(dim=1)
            captions[:, t] = torch.where(done, torch.full_like(word, self._null), word)
            done |= word == self._end
            if done.all():
                break
    if self.cell_type == 'attention':
        return captions, attn_weights_all
    return captions
# === CaptioningRNN.sample:step-functions-directly
def sample(self, images, max_length=15):
    N = images.shape[0]
    captions = self._null * images.new(N, max_length).fill_(1).long()
    if self.cell_type == 'attention':
        attn_weights_all = images.new(N, max_length, 4, 4).fill_(0).float()
    proj = self._project_features(images).detach()
    if self.cell_type == 'attention':
        A = proj
        prev_h = prev_c = A.mean(dim=(2, 3))
    else:
        prev_h, prev_c = proj, torch.zeros_like(proj)
    words = torch.ones(N, dtype=torch.long) * self._start
    for t in range(max_length):
        x = self.word_embed.W_embed[words].detach()
        if self.cell_type == 'rnn':
            prev_h, _ = rnn_step_forward(x, prev_h, self.rnn.Wx, self.rnn.Wh, self.rnn.b)
        elif self.cell_type == 'lstm':
            prev_h, prev_c = lstm_step_forward(x, prev_h, prev_c, self.rnn.Wx, self.rnn.Wh, self.rnn.b)
        else:
            attn, attn_weights = dot_product_attention(prev_h, A)
            attn_weights_all[:, t] = attn_weights
            prev_h, prev_c = lstm_step_forward(x, prev_h, prev_c, self.rnn.Wx, self.rnn.Wh, self.rnn.b,
                                               attn, self.rnn.Wattn)
        words = torch.argmax(self.output_proj(prev_h), dim=1)
        captions[:, t] = words
    if self.cell_type == 'attention':
        return captions, attn_weights_all.detach()
    return captions
# === CaptioningRNN.sample:wrong-start-token-in-captions
def sample(self, images, max_length=15):
    N = images.shape[0]
    captions = torch.full((N, max_length), self._null, dtype=torch.long)
    attn_weights_all = torch.zeros(N, max_length, 4, 4)
    with torch.no_grad():
        proj = self._project_features(images)
        if self.cell_type == 'attention':
            A = proj
            h = c = A.mean(dim=(2, 3))
        else:
            h, c = proj, torch.zeros_like(proj)
        word = torch.full((N,), self._start, dtype=torch.long)
        for t in range(max_length):
            captions[:, t] = word
            x = self.word_embed(word)
            if self.cell_type == 'rnn':
                h = self.rnn.step_forward(x, h)
            elif self.cell_type == 'lstm':
                h, c = self.rnn.step_forward(x, h, c)
            else:
                attn, w = dot_product_attention(h, A)
                attn_weights_all[:, t] = w
                h, c = self.rnn.step_forward(x, h, c, attn)
            word = self.output_proj(h).argmax(dim=1)
    if self.cell_type == 'attention':
        return captions, attn_weights_all
    return captions
# === CaptioningRNN.sample:wrong-lstm-cell-state-not-carried
def sample(self, images, max_length=15):
    N = images.shape[0]
    captions = torch.full((N, max_length), self._null, dtype=torch.long)
    attn_weights_all = torch.zeros(N, max_length, 4, 4)
    with torch.no_grad():
        proj = self._project_features(images)
        if self.cell_type == 'attention':
            A = proj
            h = c0 = A.mean(dim=(2, 3))
        else:
            h, c0 = proj, torch.zeros_like(proj)
        word = torch.full((N,), self._start, dtype=torch.long)
        for t in range(max_length):
            x = self.word_embed(word)
            if self.cell_type == 'rnn':
                h = self.rnn.step_forward(x, h)
            elif self.cell_type == 'lstm':
                h, _ = self.rnn.step_forward(x, h, c0)
            else:
                attn, w = dot_product_attention(h, A)
                attn_weights_all[:, t] = w
                h, _ = self.rnn.step_forward(x, h, c0, attn)
            word = self.output_proj(h).argmax(dim=1)
            captions[:, t] = word
    if self.cell_type == 'attention':
        return captions, attn_weights_all
    return captions
# === lstm_step_forward:split-gates
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    a = x @ Wx + prev_h @ Wh + b
    if attn is not None:
        a = a + attn @ Wattn
    ai, af, ao, ag = torch.split(a, prev_h.shape[1], dim=1)
    i, f, o, g = torch.sigmoid(ai), torch.sigmoid(af), torch.sigmoid(ao), torch.tanh(ag)
    next_c = f * prev_c + i * g
    next_h = o * torch.tanh(next_c)
    return next_h, next_c
# === lstm_step_forward:chunk
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    a = torch.mm(x, Wx) + torch.mm(prev_h, Wh) + b
    if attn is not None and Wattn is not None:
        a += torch.mm(attn, Wattn)
    i, f, o, g = a.chunk(4, dim=1)
    next_c = torch.sigmoid(f) * prev_c + torch.sigmoid(i) * torch.tanh(g)
    next_h = torch.sigmoid(o) * torch.tanh(next_c)
    return next_h, next_c
# === lstm_step_forward:wrong-gate-order-ifgo
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    a = x @ Wx + prev_h @ Wh + b
    if attn is not None:
        a = a + attn @ Wattn
    ai, af, ag, ao = a.chunk(4, dim=1)
    next_c = torch.sigmoid(af) * prev_c + torch.sigmoid(ai) * torch.tanh(ag)
    return torch.sigmoid(ao) * torch.tanh(next_c), next_c
# === lstm_forward:step-function-loop
def lstm_forward(x, h0, Wx, Wh, b):
    c0 = torch.zeros_like(h0)
    N, T, D = x.shape
    h = torch.zeros(N, T, h0.shape[1], dtype=h0.dtype, device=h0.device)
    prev_h, prev_c = h0, c0
    for t in range(T):
        prev_h, prev_c = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
    return h
# === lstm_forward:list-append
def lstm_forward(x, h0, Wx, Wh, b):
    hs, h, c = [], h0, torch.zeros_like(h0)
    for x_t in torch.unbind(x, dim=1):
        h, c = lstm_step_forward(x_t, h, c, Wx, Wh, b)
        hs.append(h)
    return torch.stack(hs, dim=1)
# === lstm_forward:wrong-c0-equals-h0
def lstm_forward(x, h0, Wx, Wh, b):
    hs, h, c = [], h0, h0
    for t in range(x.shape[1]):
        h, c = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
    return torch.stack(hs, dim=1)
# === dot_product_attention:einsum
def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    A_flat = A.reshape(N, H, -1)
    scores = torch.einsum('nh,nhk->nk', prev_h, A_flat) / math.sqrt(H)
    w = F.softmax(scores, dim=1)
    attn = torch.einsum('nhk,nk->nh', A_flat, w)
    return attn, w.view(N, D_a, D_a)
# === dot_product_attention:broadcast-sum
def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    scores = (A * prev_h[:, :, None, None]).sum(dim=1) / H ** 0.5
    attn_weights = torch.softmax(scores.flatten(1), dim=1).view(N, D_a, D_a)
    attn = (A * attn_weights[:, None]).sum(dim=(2, 3))
    return attn, attn_weights
# === dot_product_attention:wrong-no-scaling
def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    A_flat = A.reshape(N, H, -1)
    w = torch.softmax(torch.bmm(prev_h.unsqueeze(1), A_flat).squeeze(1), dim=1)
    return torch.bmm(A_flat, w.unsqueeze(2)).squeeze(2), w.reshape(N, D_a, D_a)
# === attention_forward:preallocated
def attention_forward(x, A, Wx, Wh, Wattn, b):
    N, T, D = x.shape
    h0 = A.mean(dim=(2, 3))
    c0 = h0
    h = torch.zeros(N, T, h0.shape[1], dtype=x.dtype, device=x.device)
    prev_h, prev_c = h0, c0
    for t in range(T):
        attn, _ = dot_product_attention(prev_h, A)
        prev_h, prev_c = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b, attn=attn, Wattn=Wattn)
        h[:, t] = prev_h
    return h
# === attention_forward:avg-pool-h0
def attention_forward(x, A, Wx, Wh, Wattn, b):
    h = c = F.adaptive_avg_pool2d(A, 1).flatten(1)
    hs = []
    for x_t in x.unbind(1):
        attn, _ = dot_product_attention(h, A)
        h, c = lstm_step_forward(x_t, h, c, Wx, Wh, b, attn, Wattn)
        hs.append(h)
    return torch.stack(hs, 1)
# === attention_forward:wrong-c0-zero
def attention_forward(x, A, Wx, Wh, Wattn, b):
    h = A.mean(dim=(2, 3))
    c = torch.zeros_like(h)
    hs = []
    for t in range(x.shape[1]):
        attn, _ = dot_product_attention(h, A)
        h, c = lstm_step_forward(x[:, t], h, c, Wx, Wh, b, attn, Wattn)
        hs.append(h)
    return torch.stack(hs, 1)
# === rnn_step_forward:torch-mm-functions
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h, cache = None, None
    a = torch.mm(x, Wx) + torch.mm(prev_h, Wh) + b.view(1, -1)
    next_h = a.tanh()
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache
# === rnn_step_backward:matmul-pow-T
def rnn_step_backward(dnext_h, cache):
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1 - next_h.pow(2))
    dx = torch.matmul(dtanh, Wx.T)
    dprev_h = dtanh @ Wh.T
    dWx = x.T @ dtanh
    dWh = prev_h.T @ dtanh
    db = torch.sum(dtanh, dim=0)
    return dx, dprev_h, dWx, dWh, db
# === rnn_step_backward:wrong-db-mean
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    dx = da @ Wx.t()
    dprev_h = da @ Wh.t()
    dWx = x.t() @ da
    dWh = prev_h.t() @ da
    db = da.mean(dim=0)
    return dx, dprev_h, dWx, dWh, db
# === rnn_forward:new-zeros-index-assign
def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, D = x.size()
    H = h0.size(1)
    h = x.new_zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        next_h, c = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = next_h
        cache.append(c)
        prev_h = next_h
    return h, cache
# === rnn_backward:reversed-range-explicit
def rnn_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][2].shape[0]
    dx = torch.zeros((N, T, D), dtype=dh.dtype, device=dh.device)
    dWx = torch.zeros((D, H), dtype=dh.dtype, device=dh.device)
    dWh = torch.zeros((H, H), dtype=dh.dtype, device=dh.device)
    db = torch.zeros((H,), dtype=dh.dtype, device=dh.device)
    dprev = torch.zeros((N, H), dtype=dh.dtype, device=dh.device)
    for t in range(T - 1, -1, -1):
        dx[:, t], dprev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev
    return dx, dh0, dWx, dWh, db
# === WordEmbedding:index-select-view
class WordEmbedding(nn.Module):
    def __init__(self, vocab_size, embed_size,
                 device='cpu', dtype=torch.float32):
        super().__init__()
        self.W_embed = Parameter(torch.randn(vocab_size, embed_size,
                                 device=device, dtype=dtype).div(math.sqrt(vocab_size)))

    def forward(self, x):
        out = None
        out = torch.index_select(self.W_embed, 0, x.reshape(-1)).view(*x.shape, -1)
        return out
# === temporal_softmax_loss:log-softmax-gather-mask
def temporal_softmax_loss(x, y, ignore_index=None):
    loss = None
    N, T, V = x.shape
    logp = torch.log_softmax(x, dim=2)
    nll = -torch.gather(logp, 2, y.unsqueeze(2)).squeeze(2)
    mask = torch.ones_like(nll) if ignore_index is None else (y != ignore_index).to(nll.dtype)
    loss = (nll * mask).sum() / N
    return loss
# === temporal_softmax_loss:float32-cast
def temporal_softmax_loss(x, y, ignore_index=None):
    loss = F.cross_entropy(x.float().reshape(-1, x.shape[2]), y.reshape(-1), ignore_index=ignore_index if ignore_index is not None else -100, reduction='sum') / x.shape[0]
    return loss
# === temporal_softmax_loss:wrong-ignore-index-dropped
def temporal_softmax_loss(x, y, ignore_index=None):
    loss = F.cross_entropy(x.reshape(-1, x.shape[-1]), y.reshape(-1), reduction='sum') / x.shape[0]
    return loss
# === CaptioningRNN.sample:max-index-full-tensor
def sample(self, images, max_length=15):
    N = images.shape[0]
    captions = torch.full((N, max_length), self._null, dtype=torch.long, device=images.device)
    if self.cell_type == 'attention':
        attn_weights_all = torch.zeros(N, max_length, 4, 4, device=images.device)
    proj = self._project_features(images).detach()
    if self.cell_type == 'attention':
        A = proj
        h = A.view(A.shape[0], A.shape[1], -1).mean(-1)
        c = h.clone()
    else:
        h = proj
        c = torch.zeros_like(h)
    word = torch.LongTensor([self._start] * N).to(images.device)
    for t in range(max_length):
        emb = self.word_embed(word.unsqueeze(1))[:, 0]
        if self.cell_type == 'rnn':
            h = self.rnn.step_forward(emb, h)
        elif self.cell_type == 'lstm':
            h, c = self.rnn.step_forward(emb, h, c)
        else:
            attn, w = dot_product_attention(h, A)
            attn_weights_all[:, t] = w.detach()
            h, c = self.rnn.step_forward(emb, h, c, attn)
        scores = self.output_proj(h)
        word = scores.max(1)[1]
        captions[:, t] = word.detach()
    if self.cell_type == 'attention':
        return captions, attn_weights_all.cpu()
    return captions
# === CaptioningRNN.sample:wrong-attention-c0-zero
def sample(self, images, max_length=15):
    N = images.shape[0]
    captions = self._null * images.new(N, max_length).fill_(1).long()
    if self.cell_type == 'attention':
        attn_weights_all = images.new(N, max_length, 4, 4).fill_(0).float()
    with torch.no_grad():
        proj = self._project_features(images)
        if self.cell_type == 'attention':
            A = proj
            h = A.mean(dim=(2, 3))
        else:
            h = proj
        c = torch.zeros_like(h)
        words = h.new_full((N,), self._start, dtype=torch.long)
        for t in range(max_length):
            x = self.word_embed(words)
            if self.cell_type == 'rnn':
                h = self.rnn.step_forward(x, h)
            elif self.cell_type == 'lstm':
                h, c = self.rnn.step_forward(x, h, c)
            else:
                attn, attn_weights = dot_product_attention(h, A)
                attn_weights_all[:, t] = attn_weights
                h, c = self.rnn.step_forward(x, h, c, attn)
            words = torch.argmax(self.output_proj(h), dim=1)
            captions[:, t] = words
    if self.cell_type == 'attention':
        return captions, attn_weights_all.cpu()
    return captions
# === lstm_step_forward:slices-method-sigmoid
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    next_h, next_c = None, None
    H = prev_h.shape[1]
    if attn is None:
        a = x @ Wx + prev_h @ Wh + b
    else:
        a = x @ Wx + prev_h @ Wh + attn @ Wattn + b
    ai, af, ao, ag = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:4 * H]
    i, f, o, g = ai.sigmoid(), af.sigmoid(), ao.sigmoid(), ag.tanh()
    next_c = f * prev_c + i * g
    next_h = o * next_c.tanh()
    return next_h, next_c
# === lstm_step_forward:wrong-no-tanh-on-cell
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    H = prev_h.shape[1]
    a = x.mm(Wx) + prev_h.mm(Wh) + b
    if attn is not None:
        a = a + attn.mm(Wattn)
    i, f, o, g = torch.split(a, H, dim=1)
    next_c = torch.sigmoid(f) * prev_c + torch.sigmoid(i) * torch.tanh(g)
    next_h = torch.sigmoid(o) * next_c
    return next_h, next_c
# === lstm_forward:zeros-c0-preallocated
def lstm_forward(x, h0, Wx, Wh, b):
    h = None
    c0 = torch.zeros_like(h0)
    N, T, D = x.shape
    h = torch.zeros(N, T, h0.shape[1], dtype=h0.dtype, device=h0.device)
    prev_h, prev_c = h0, c0
    for t in range(T):
        prev_h, prev_c = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
    return h
# === dot_product_attention:einsum-flatten-softmax
def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    attn, attn_weights = None, None
    A_flat = A.flatten(start_dim=2)
    scores = torch.einsum('nh,nhk->nk', prev_h, A_flat) / (H ** 0.5)
    w = F.softmax(scores, dim=-1)
    attn = torch.einsum('nhk,nk->nh', A_flat, w)
    attn_weights = w.view(N, D_a, D_a)
    return attn, attn_weights
# === dot_product_attention:wrong-softmax-over-batch
def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    A_flat = A.reshape(N, H, -1)
    scores = torch.bmm(prev_h.unsqueeze(1), A_flat).squeeze(1) / math.sqrt(H)
    w = torch.softmax(scores, dim=0)
    attn = torch.bmm(A_flat, w.unsqueeze(2)).squeeze(2)
    return attn, w.reshape(N, D_a, D_a)
# === attention_forward:view-mean-new-zeros
def attention_forward(x, A, Wx, Wh, Wattn, b):
    h = None
    N, T, D = x.shape
    H = A.shape[1]
    h0 = A.view(N, H, -1).mean(dim=2)
    c0 = h0
    h = x.new_zeros(N, T, H)
    prev_h, prev_c = h0, c0
    for t in range(T):
        attn, _ = dot_product_attention(prev_h, A)
        prev_h, prev_c = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b, attn=attn, Wattn=Wattn)
        h[:, t] = prev_h
    return h
# === temporal_softmax_loss:direct-ignore-index-transpose
def temporal_softmax_loss(x, y, ignore_index=None):
    loss = F.cross_entropy(torch.transpose(x, 1, 2), y, ignore_index=ignore_index, reduction='sum') / x.shape[0]
    return loss
# === dot_product_attention:permute-reshape-bmm
def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    A_t = A.permute(0, 2, 3, 1).reshape(N, D_a * D_a, H)
    scores = torch.bmm(A_t, prev_h.view(N, H, 1)) / math.sqrt(H)
    w = scores.softmax(dim=1)
    attn = torch.bmm(A_t.transpose(1, 2), w).view(N, H)
    attn_weights = w.view(N, D_a, D_a)
    return attn, attn_weights
# === dot_product_attention:wrong-view-without-permute
def dot_product_attention(prev_h, A):
    N, H, D_a, _ = A.shape
    A_t = A.view(N, D_a * D_a, H)
    scores = torch.bmm(A_t, prev_h.unsqueeze(2)) / math.sqrt(H)
    w = scores.softmax(dim=1)
    attn = torch.bmm(A_t.transpose(1, 2), w).squeeze(2)
    return attn, w.view(N, D_a, D_a)
# === CaptioningRNN.sample:word-list-start-dropped
def sample(self, images, max_length=15):
    N = images.shape[0]
    with torch.no_grad():
        proj = self._project_features(images)
        if self.cell_type == 'attention':
            A = proj
            h = F.adaptive_avg_pool2d(A, 1).view(N, -1)
            c = h
            weights = []
        else:
            h, c = proj, torch.zeros_like(proj)
        words = [torch.full((N,), self._start, dtype=torch.long, device=images.device)]
        for _ in range(max_length):
            x = self.word_embed(words[-1])
            if self.cell_type == 'rnn':
                h = self.rnn.step_forward(x, h)
            elif self.cell_type == 'lstm':
                h, c = self.rnn.step_forward(x, h, c)
            else:
                attn, w = dot_product_attention(h, A)
                weights.append(w)
                h, c = self.rnn.step_forward(x, h, c, attn)
            words.append(torch.max(self.output_proj(h), dim=1).indices)
        captions = torch.stack(words, dim=1)[:, 1:]
    if self.cell_type == 'attention':
        return captions, torch.stack(weights, dim=1).cpu()
    return captions
# === temporal_softmax_loss:wrong-item
def temporal_softmax_loss(x, y, ignore_index=None):
    loss = F.cross_entropy(x.reshape(-1, x.shape[-1]), y.reshape(-1), ignore_index=ignore_index, reduction='sum').item() / x.shape[0]
    return loss
# === rnn_step_forward:wrong-data-weights
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = torch.tanh(x.mm(Wx.data) + prev_h.mm(Wh.data) + b.data)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache
