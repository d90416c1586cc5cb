"""``lstm_forward_fused``: the LSTM of ``rnn_lstm_attention_captioning.lstm_forward`` with a
hand-written backward pass for the whole sequence, for ``benchmarks/lstm.py``.

Instructor-only: it computes a graded function (``lstm_forward``), so it lives outside the student
module and no released file imports it (the student release leaves it out).
"""
import torch


class _LSTMSequence(torch.autograd.Function):
    """The LSTM of lstm_forward over a whole sequence, with a hand-written backward pass.

    Autograd through a Python time loop records ~10 small ops per step and keeps every
    intermediate alive. Here the forward stores only the activated gates, the
    cell states and tanh(c); the backward computes every factor that does not depend on the
    recurrent gradient for all T steps at once, keeps ~5 ops and one (N,H)x(H,4H) matmul per
    step in the time loop, and leaves the weight gradients to three large matmuls after it
    (dWx = X^T dA, dWh = H_prev^T dA, dx = dA Wx^T), as torch.nn.LSTM's CPU kernel does.
    """

    @staticmethod
    def forward(ctx, x, h0, Wx, Wh, b):
        N, T, D = x.shape
        H = h0.shape[1]
        xt = x.transpose(0, 1).reshape(T * N, D)  # time-major rows, (T*N, D)
        # gates[t] starts as x_t Wx + b and is overwritten in place by the activated gates.
        gates = torch.addmm(b, xt, Wx).view(T, N, 4 * H)
        hs = x.new_empty(T + 1, N, H)  # hs[0] = h0, hs[t + 1] = h_t
        cs = x.new_empty(T + 1, N, H)  # cs[0] = c0 = 0
        tanh_c = x.new_empty(T, N, H)
        hs[0] = h0
        cs[0] = 0
        for t in range(T):
            a = gates[t].addmm_(hs[t], Wh)  # (N, 4H)
            a[:, :3 * H].sigmoid_()
            a[:, 3 * H:].tanh_()
            i, f, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            torch.addcmul(f * cs[t], i, g, out=cs[t + 1])
            torch.tanh(cs[t + 1], out=tanh_c[t])
            torch.mul(o, tanh_c[t], out=hs[t + 1])
        ctx.save_for_backward(xt, Wx, Wh, gates, hs, cs, tanh_c)
        ctx.shape = (N, T, D, H)
        return hs[1:].transpose(0, 1)  # (N, T, H)

    @staticmethod
    def backward(ctx, dh):
        xt, Wx, Wh, gates, hs, cs, tanh_c = ctx.saved_tensors
        N, T, D, H = ctx.shape
        dh = dh.transpose(0, 1)  # (T, N, H)
        g4 = gates.view(T, N, 4, H)
        i, f, o, g = g4.unbind(2)  # each (T, N, H)
        # Everything that does not depend on the recurrent gradients, for all steps at once:
        # da_i = dc * g * i(1-i), da_f = dc * c_prev * f(1-f), da_o = dh * tanh(c) * o(1-o),
        # da_g = dc * i * (1-g^2); and dc gets dh * o * (1 - tanh(c)^2).
        K = torch.stack([g * i * (1 - i), cs[:-1] * f * (1 - f),
                         tanh_c * o * (1 - o), i * (1 - g * g)], dim=2)  # (T, N, 4, H)
        P = o * (1 - tanh_c * tanh_c)  # (T, N, H)
        dA = gates.new_empty(T, N, 4, H)  # gradient of the gate pre-activations
        dh_next = dh.new_zeros(N, H)
        dc = dh.new_zeros(N, H)
        WhT = Wh.t()
        for t in reversed(range(T)):
            dh_t = dh[t] + dh_next
            dc = torch.addcmul(dc, dh_t, P[t])  # dc_next * f (carried) + dh_t * o * tanh'(c)
            torch.mul(K[t], torch.stack([dc, dc, dh_t, dc], dim=1), out=dA[t])
            dh_next = dA[t].view(N, 4 * H).mm(WhT)
            dc = dc * f[t]  # becomes dc_next for step t - 1
        dA2 = dA.view(T * N, 4 * H)
        dx = dA2.mm(Wx.t()).view(T, N, D).transpose(0, 1)
        dWx = xt.t().mm(dA2)
        dWh = hs[:-1].reshape(T * N, H).t().mm(dA2)
        db = dA2.sum(dim=0)
        return dx, dh_next, dWx, dWh, db


def lstm_forward_fused(x, h0, Wx, Wh, b):
    """
    The same function as lstm_forward (c0 = 0, gate order i, f, o, g), computed by
    _LSTMSequence with a hand-written backward pass for the whole sequence.

    Inputs / Returns: as lstm_forward; x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H),
    b (4H,) -> h (N, T, H).
    """
    return _LSTMSequence.apply(x, h0, Wx, Wh, b)
