"""
Implements a CaptioningRNN (vanilla RNN, LSTM and attention LSTM) in PyTorch.

EECS 498-007/598-005 A4, Q2 (with the CS231n A3 RNN/LSTM captioning material).
WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

Symbols used in shapes throughout this file:
  N  minibatch size               T  sequence length (time steps)
  D  input (feature / word-vector) dimension
  H  hidden-state dimension       V  vocabulary size
  D_a spatial size of the attention grid (4 for 112x112 images)

Differences from the FA2020 original (on purpose, each kept compatible with its API):
- ``FeatureExtractor`` takes an extra ``weights`` argument ('auto', 'imagenet', 'project' or
  'untrained') and prints which MobileNetV2 weights it uses. Offline there are no ImageNet
  weights, and untrained MobileNetV2 features carry almost no colour/shape information, so
  'auto' falls back to a MobileNetV2 that this project trains on the generated captioning
  images (``eecs598.caption_features``), never silently to random weights.
- ``FeatureExtractor`` uses ``torchvision.models.mobilenet_v2`` with the IMAGENET1K_V1 weights
  (the original's ``pretrained=True``); torchvision's current default (V2) would change the
  spec's expected losses.
- ``CaptioningRNN.forward`` and ``sample`` also accept precomputed features (the output of
  ``self.feat_extractor.extract_mobilenet_feature``) instead of images, so a training loop can
  extract features once instead of in every minibatch. Images are recognised as 4-D inputs
  with 3 channels; anything else is taken as features.
- ``CaptioningRNN`` takes an optional ``feature_weights`` argument passed to its
  ``FeatureExtractor``.
- The original ``extract_mobilenet_feature`` computed an L2 normalisation and discarded it; the
  discarded call is left out (features are *not* normalised, as in the original's results).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def hello():
    """
    This is a sample function that we will try to import and run to ensure that
    our environment is correctly set up on Google Colab.
    """
    print('Hello from rnn_lstm_attention_captioning.py!')


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FEATURE_WEIGHTS = ('auto', 'imagenet', 'project', 'untrained')


class FeatureExtractor(object):
    """
    Image feature extraction with MobileNet.

    Not an nn.Module on purpose: MobileNet's parameters must not show up in (and be trained
    through) ``CaptioningRNN.parameters()``.
    """

    def __init__(self, pooling=False, verbose=False,
                 device='cpu', dtype=torch.float32, weights='auto'):
        """
        Inputs:
        - pooling: average-pool the 1280x4x4 map to a 1280 vector (for RNN / LSTM).
        - verbose: print the output shape for a 3x112x112 input.
        - device, dtype: where the network runs.
        - weights: which MobileNetV2 weights to use:
          'imagenet'  -- torchvision IMAGENET1K_V1 (the original); raises when unavailable;
          'project'   -- a MobileNetV2 trained by this project on the generated SYNTHETIC
                         captioning images (trained once, ~2 minutes of one core, then cached);
          'untrained' -- random initialisation (only useful for shape checks);
          'auto'      -- 'imagenet' when available, otherwise 'project'.
        """
        from eecs598 import pretrained
        from eecs598.resources import available

        if weights not in FEATURE_WEIGHTS:
            raise ValueError(f'weights must be one of {FEATURE_WEIGHTS}, got {weights!r}')
        if weights == 'auto':
            weights = 'imagenet' if available('mobilenet_v2') else 'project'
        if weights == 'imagenet':
            net = pretrained.load_mobilenet_v2(pretrained=True, verbose=False)
        elif weights == 'untrained':
            net = pretrained.load_mobilenet_v2(pretrained=False, verbose=False)
        else:
            from eecs598.caption_features import load_project_mobilenet_v2
            net = load_project_mobilenet_v2()
        self.weights = weights
        self.weights_source = net.weights_source
        self.is_imagenet = net.is_imagenet
        print(f'FeatureExtractor: MobileNetV2 weights = {self.weights_source}')

        self.device, self.dtype = device, dtype
        self.mean = torch.tensor(IMAGENET_MEAN, dtype=dtype, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, dtype=dtype, device=device).view(1, 3, 1, 1)
        # Drop the classifier (the last child); keep the convolutional trunk.
        self.mobilenet = nn.Sequential(*list(net.children())[:-1])
        if pooling:
            self.mobilenet.add_module('LastAvgPool', nn.AvgPool2d(4, 4))
        self.mobilenet.to(device=device, dtype=dtype)
        self.mobilenet.eval()
        for p in self.mobilenet.parameters():
            p.requires_grad_(False)
        if verbose:
            with torch.no_grad():
                out = self.mobilenet(torch.zeros(1, 3, 112, 112, device=device, dtype=dtype))
            print(self.mobilenet)
            print(f'input (1, 3, 112, 112) -> output {tuple(out.shape)}')

    def extract_mobilenet_feature(self, img, verbose=False):
        """
        Inputs:
        - img: Batch of resized images, of shape N x 3 x 112 x 112 (uint8, values 0..255)

        Outputs:
        - feat: Image feature, of shape N x 1280 (pooled) or N x 1280 x 4 x 4
        """
        num_img = img.shape[0]
        chunk = 500  # bounds memory: one chunk of activations at a time
        feats = []
        with torch.no_grad():
            for start in range(0, num_img, chunk):
                x = img[start:start + chunk].to(device=self.device, dtype=self.dtype) / 255.0
                x = (x - self.mean) / self.std
                feats.append(self.mobilenet(x).squeeze(-1).squeeze(-1))  # (n, 1280[, 4, 4])
        feat = torch.cat(feats)
        if verbose:
            print('Output feature shape: ', feat.shape)
        return feat


##############################################################################
# Recurrent Neural Network                                                   #
##############################################################################
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """
    Run the forward pass for a single timestep of a vanilla RNN that uses a tanh
    activation function.

    The input data has dimension D, the hidden state has dimension H, and we use
    a minibatch size of N.

    Inputs:
    - x: Input data for this timestep, of shape (N, D).
    - prev_h: Hidden state from previous timestep, of shape (N, H)
    - Wx: Weight matrix for input-to-hidden connections, of shape (D, H)
    - Wh: Weight matrix for hidden-to-hidden connections, of shape (H, H)
    - b: Biases, of shape (H,)

    Returns a tuple of:
    - next_h: Next hidden state, of shape (N, H)
    - cache: Tuple of values needed for the backward pass.
    """
    next_h, cache = None, None
    ##########################################################################
    # TODO: Implement a single forward step for the vanilla RNN. Store the next
    # hidden state and any values you need for the backward pass in the next_h
    # and cache variables respectively. (~2 lines)
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    next_h = torch.tanh(x.mm(Wx) + prev_h.mm(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """
    Backward pass for a single timestep of a vanilla RNN.

    Inputs:
    - dnext_h: Gradient of loss with respect to next hidden state, of shape (N, H)
    - cache: Cache object from the forward pass

    Returns a tuple of:
    - dx: Gradients of input data, of shape (N, D)
    - dprev_h: Gradients of previous hidden state, of shape (N, H)
    - dWx: Gradients of input-to-hidden weights, of shape (D, H)
    - dWh: Gradients of hidden-to-hidden weights, of shape (H, H)
    - db: Gradients of bias vector, of shape (H,)
    """
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    ##########################################################################
    # TODO: Implement the backward pass for a single step of a vanilla RNN.
    #
    # HINT: For the tanh function, you can compute the local derivative in
    # terms of the output value from tanh. (~7 lines)
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h * next_h)  # through tanh: (N, H)
    dx = da.mm(Wx.t())
    dprev_h = da.mm(Wh.t())
    dWx = x.t().mm(da)
    dWh = prev_h.t().mm(da)
    db = da.sum(dim=0)
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """
    Run a vanilla RNN forward on an entire sequence of data. We assume an input
    sequence composed of T vectors, each of dimension D. The RNN uses a hidden
    size of H, and we work over a minibatch containing N sequences. After running
    the RNN forward, we return the hidden states for all timesteps.

    Inputs:
    - x: Input data for the entire timeseries, of shape (N, T, D).
    - h0: Initial hidden state, of shape (N, H)
    - Wx: Weight matrix for input-to-hidden connections, of shape (D, H)
    - Wh: Weight matrix for hidden-to-hidden connections, of shape (H, H)
    - b: Biases, of shape (H,)

    Returns a tuple of:
    - h: Hidden states for the entire timeseries, of shape (N, T, H).
    - cache: Values needed in the backward pass
    """
    h, cache = None, None
    ##########################################################################
    # TODO: Implement forward pass for a vanilla RNN running on a sequence of
    # input data. You should use the rnn_step_forward function that you defined
    # above. You can use a for loop to help compute the forward pass. (~7 lines)
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    N, T, _ = x.shape
    hs, cache = [], []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        hs.append(prev_h)
        cache.append(step_cache)
    h = torch.stack(hs, dim=1)  # (N, T, H)
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################
    return h, cache


def rnn_backward(dh, cache):
    """
    Compute the backward pass for a vanilla RNN over an entire sequence of data.

    Inputs:
    - dh: Upstream gradients of all hidden states, of shape (N, T, H).

    NOTE: 'dh' contains the upstream gradients produced by the
    individual loss functions at each timestep, *not* the gradients
    being passed between timesteps (which you'll have to compute yourself
    by calling rnn_step_backward in a loop).

    Returns a tuple of:
    - dx: Gradient of inputs, of shape (N, T, D)
    - dh0: Gradient of initial hidden state, of shape (N, H)
    - dWx: Gradient of input-to-hidden weights, of shape (D, H)
    - dWh: Gradient of hidden-to-hidden weights, of shape (H, H)
    - db: Gradient of biases, of shape (H,)
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    ##########################################################################
    # TODO: Implement the backward pass for a vanilla RNN running an entire
    # sequence of data. You should use the rnn_step_backward function that you
    # defined above. You can use a for loop to help compute the backward pass.
    # (~12 lines)
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = dh.new_zeros(N, T, D)
    dWx = dh.new_zeros(D, H)
    dWh = dh.new_zeros(H, H)
    db = dh.new_zeros(H)
    dprev_h = dh.new_zeros(N, H)
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, cache[t])
        dx[:, t] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################
    return dx, dh0, dWx, dWh, db


class RNN(nn.Module):
    """
    A single-layer vanilla RNN module.

    Arguments for initialization:
    - input_size: Input size, denoted as D before
    - hidden_size: Hidden size, denoted as H before
    """

    def __init__(self, input_size, hidden_size, device='cpu',
                 dtype=torch.float32):
        """
        Initialize a RNN.
        Model parameters to initialize:
        - Wx: Weight matrix for input-to-hidden connections, of shape (D, H)
        - Wh: Weight matrix for hidden-to-hidden connections, of shape (H, H)
        - b: Biases, of shape (H,)
        """
        super().__init__()

        # Register parameters
        self.Wx = nn.Parameter(torch.randn(input_size, hidden_size,
                               device=device, dtype=dtype).div(math.sqrt(input_size)))
        self.Wh = nn.Parameter(torch.randn(hidden_size, hidden_size,
                               device=device, dtype=dtype).div(math.sqrt(hidden_size)))
        self.b = nn.Parameter(torch.zeros(hidden_size,
                              device=device, dtype=dtype))

    def forward(self, x, h0):
        """
        Inputs:
        - x: Input data for the entire timeseries, of shape (N, T, D)
        - h0: Initial hidden state, of shape (N, H)

        Outputs:
        - hn: The hidden state output, of shape (N, T, H)
        """
        hn, _ = rnn_forward(x, h0, self.Wx, self.Wh, self.b)
        return hn

    def step_forward(self, x, prev_h):
        """
        Inputs:
        - x: Input data for one time step, of shape (N, D)
        - prev_h: The previous hidden state, of shape (N, H)

        Outputs:
        - next_h: The next hidden state, of shape (N, H)
        """
        next_h, _ = rnn_step_forward(x, prev_h, self.Wx, self.Wh, self.b)
        return next_h


class WordEmbedding(nn.Module):
    """
    Simplified version of torch.nn.Embedding.

    We operate on minibatches of size N where
    each sequence has length T. We assume a vocabulary of V words, assigning each
    word to a vector of dimension D.

    Inputs:
    - x: Integer array of shape (N, T) giving indices of words. Each element idx
      of x muxt be in the range 0 <= idx < V.

    Returns a tuple of:
    - out: Array of shape (N, T, D) giving word vectors for all input words.
    """

    def __init__(self, vocab_size, embed_size,
                 device='cpu', dtype=torch.float32):
        super().__init__()

        # Register parameters
        self.W_embed = nn.Parameter(torch.randn(vocab_size, embed_size,
                                    device=device, dtype=dtype).div(math.sqrt(vocab_size)))

    def forward(self, x):

        out = None
        ######################################################################
        # TODO: Implement the forward pass for word embeddings.
        #
        # HINT: This can be done in one line using PyTorch's array indexing.
        ######################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        out = self.W_embed[x]  # (N, T, D)
        # END SOLUTION
        ######################################################################
        #                           END OF YOUR CODE                         #
        ######################################################################
        return out


def temporal_softmax_loss(x, y, ignore_index=None):
    """
    A temporal version of softmax loss for use in RNNs. We assume that we are
    making predictions over a vocabulary of size V for each timestep of a
    timeseries of length T, over a minibatch of size N. The input x gives scores
    for all vocabulary elements at all timesteps, and y gives the indices of the
    ground-truth element at each timestep. We use a cross-entropy loss at each
    timestep, summing the loss over all timesteps and averaging across the
    minibatch.

    As an additional complication, we may want to ignore the model output at some
    timesteps, since sequences of different length may have been combined into a
    minibatch and padded with NULL tokens. The optional ignore_index argument
    tells us which elements in the caption should not contribute to the loss.

    Inputs:
    - x: Input scores, of shape (N, T, V)
    - y: Ground-truth indices, of shape (N, T) where each element is in the range
         0 <= y[i, t] < V

    Returns a tuple of:
    - loss: Scalar giving loss
    """
    loss = None

    ##########################################################################
    # TODO: Implement the temporal softmax loss function.
    #
    # REQUIREMENT: This part MUST be done in one single line of code!
    #
    # HINT: Look up the function torch.functional.cross_entropy, set
    # ignore_index to the variable ignore_index (i.e., index of NULL) and
    # set reduction to either 'sum' or 'mean' (avoid using 'none' for now).
    #
    # We use a cross-entropy loss at each timestep, summing the loss over
    # all timesteps and averaging across the minibatch.
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = F.cross_entropy(x.reshape(-1, x.shape[-1]), y.reshape(-1), reduction='sum', ignore_index=-100 if ignore_index is None else ignore_index) / x.shape[0]
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################

    return loss


def _is_image_batch(images):
    """True for an (N, 3, H, W) image batch; False for precomputed MobileNet features."""
    return images.dim() == 4 and images.shape[1] == 3


class CaptioningRNN(nn.Module):
    """
    A CaptioningRNN produces captions from images using a recurrent
    neural network.

    The RNN receives input vectors of size D, has a vocab size of V, works on
    sequences of length T, has an RNN hidden dimension of H, uses word vectors
    of dimension W, and operates on minibatches of size N.

    Note that we don't use any regularization for the CaptioningRNN.

    You will implement the `__init__` method for model initialization and
    the `forward` method first, then come back for the `sample` method later.
    """

    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128,
                 hidden_dim=128, cell_type='rnn', device='cpu',
                 ignore_index=None, dtype=torch.float32, feature_weights='auto'):
        """
        Construct a new CaptioningRNN instance.

        Inputs:
        - word_to_idx: A dictionary giving the vocabulary. It contains V entries,
          and maps each string to a unique integer in the range [0, V).
        - input_dim: Dimension D of input image feature vectors.
        - wordvec_dim: Dimension W of word vectors.
        - hidden_dim: Dimension H for the hidden state of the RNN.
        - cell_type: What type of RNN to use; either 'rnn', 'lstm', or 'attention'.
        - dtype: datatype to use; use float32 for training and float64 for
          numeric gradient checking.
        - feature_weights: MobileNetV2 weights of the FeatureExtractor (see its
          docstring; addition to the original API).
        """
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

        ##########################################################################
        # TODO: Initialize the image feature projection layer, word embedding    #
        # layer, RNN / LSTM / AttentionLSTM and the output projection layer.     #
        # The image feature extractor is FeatureExtractor (pooling for           #
        # rnn/lstm, no pooling for attention). Use nn.Linear for the            #
        # projections and the classes you wrote above for the rest.             #
        # Name them self.feat_extractor, self.feat_proj, self.word_embed,       #
        # self.rnn and self.output_proj: the provided self._project_features    #
        # uses the first two, so that forward and sample accept images or the   #
        # precomputed features the notebook's training cells pass.              #
        ##########################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        self.feat_extractor = FeatureExtractor(pooling=cell_type != 'attention', device=device,
                                               dtype=dtype, weights=feature_weights)
        # Attention applies the same projection to each of the D_a x D_a cells.
        self.feat_proj = nn.Linear(input_dim, hidden_dim, device=device, dtype=dtype)
        self.word_embed = WordEmbedding(vocab_size, wordvec_dim, device=device, dtype=dtype)
        cell = {'rnn': RNN, 'lstm': LSTM, 'attention': AttentionLSTM}[cell_type]
        self.rnn = cell(wordvec_dim, hidden_dim, device=device, dtype=dtype)
        self.output_proj = nn.Linear(hidden_dim, vocab_size, device=device, dtype=dtype)
        # END SOLUTION
        ##########################################################################
        #                             END OF YOUR CODE                           #
        ##########################################################################

    def _project_features(self, images):
        """Images (or precomputed features) -> h0 (N, H), or A (N, H, D_a, D_a) for attention."""
        feats = images
        if _is_image_batch(images):
            feats = self.feat_extractor.extract_mobilenet_feature(images)
        feats = feats.to(dtype=self.feat_proj.weight.dtype)
        if self.cell_type == 'attention':
            # A Linear over the channel dimension of every cell == a 1x1 convolution.
            return self.feat_proj(feats.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # (N, H, 4, 4)
        return self.feat_proj(feats)  # (N, H)

    def forward(self, images, captions):
        """
        Compute training-time loss for the RNN. We input images and
        ground-truth captions for those images, and use an RNN (or LSTM) to compute
        loss. The backward part will be done by torch.autograd.

        Inputs:
        - images: Input images, of shape (N, 3, 112, 112) -- or the features that
          self.feat_extractor computes for them, (N, 1280) / (N, 1280, 4, 4)
        - captions: Ground-truth captions; an integer array of shape (N, T + 1) where
          each element is in the range 0 <= y[i, t] < V

        Outputs:
        - loss: A scalar loss
        """
        # Cut captions into two pieces: captions_in has everything but the last word
        # and will be input to the RNN; captions_out has everything but the first
        # word and this is what we will expect the RNN to generate. These are offset
        # by one relative to each other because the RNN should produce word (t+1)
        # after receiving word t. The first element of captions_in will be the START
        # token, and the first element of captions_out will be the first word.
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]

        loss = 0.0
        ############################################################################
        # TODO: Implement the forward pass for the CaptioningRNN.                  #
        # In the forward pass you will need to do the following:                   #
        # (1) Use an affine transformation to project the image feature to        #
        #     the initial hidden state $h0$ (for RNN/LSTM, of shape (N, H)) or     #
        #     the projected CNN activation input $A$ (for Attention LSTM,          #
        #     of shape (N, H, 4, 4). self._project_features(images) does this.     #
        # (2) Use a word embedding layer to transform the words in captions_in     #
        #     from indices to vectors, giving an array of shape (N, T, W).         #
        # (3) Use either a vanilla RNN or LSTM (depending on self.cell_type) to    #
        #     process the sequence of input word vectors and produce hidden state  #
        #     vectors for all timesteps, producing an array of shape (N, T, H).    #
        # (4) Use a (temporal) affine transformation to compute scores over the    #
        #     vocabulary at every timestep using the hidden states, giving an      #
        #     array of shape (N, T, V).                                            #
        # (5) Use (temporal) softmax to compute loss using captions_out, ignoring  #
        #     the points where the output word is <NULL>.                          #
        #                                                                          #
        # Do not worry about regularizing the weights or their gradients!          #
        ############################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        h0_or_A = self._project_features(images)
        x = self.word_embed(captions_in)  # (N, T, W)
        hs = self.rnn(x, h0_or_A)  # (N, T, H)
        scores = self.output_proj(hs)  # (N, T, V)
        loss = temporal_softmax_loss(scores, captions_out, ignore_index=self.ignore_index)
        # END SOLUTION
        ############################################################################
        #                             END OF YOUR CODE                             #
        ############################################################################

        return loss

    def sample(self, images, max_length=15):
        """
        Run a test-time forward pass for the model, sampling captions for input
        feature vectors.

        At each timestep, we embed the current word, pass it and the previous hidden
        state to the RNN to get the next hidden state, use the hidden state to get
        scores for all vocab words, and choose the word with the highest score as
        the next word. The initial hidden state is computed by applying an affine
        transform to the image features, and the initial word is the <START>
        token.

        For LSTMs you will also have to keep track of the cell state; in that case
        the initial cell state should be zero.

        Inputs:
        - images: Input images, of shape (N, 3, 112, 112) (or their features, see forward)
        - max_length: Maximum length T of generated captions

        Returns:
        - captions: Array of shape (N, max_length) giving sampled captions,
          where each element is an integer in the range [0, V). The first element
          of captions should be the first sampled word, not the <START> token.
        - attn_weights_all: Array of attention weights, of shape (N, max_length, 4, 4)
          (only for cell_type 'attention')
        """
        N = images.shape[0]
        captions = self._null * images.new(N, max_length).fill_(1).long()

        if self.cell_type == 'attention':
            attn_weights_all = images.new(N, max_length, 4, 4).fill_(0).float()

        ###########################################################################
        # TODO: Implement test-time sampling for the model. You will need to      #
        # initialize the hidden state of the RNN by applying the learned affine   #
        # transform to the image features. The first word that you feed to      #
        # the RNN should be the <START> token; its value is stored in the         #
        # variable self._start. At each timestep you will need to do to:          #
        # (1) Embed the previous word using the learned word embeddings           #
        # (2) Make an RNN step using the previous hidden state and the embedded   #
        #     current word to get the next hidden state.                          #
        # (3) Apply the learned affine transformation to the next hidden state to #
        #     get scores for all words in the vocabulary                          #
        # (4) Select the word with the highest score as the next word, writing it #
        #     (the word index) to the appropriate slot in the captions variable   #
        #                                                                         #
        # For simplicity, you do not need to stop generating after an <END> token #
        # is sampled, but you can if you want to.                                 #
        #                                                                         #
        # NOTE: we are still working over minibatches in this function. Also if   #
        # you are using an LSTM, initialize the first cell state to zeros.        #
        # For AttentionLSTM, first project the 1280x4x4 feature map to            #
        # A of shape Hx4x4 and then initialize the hidden state and cell state    #
        # to the average of A over its spatial dimensions.                        #
        ###########################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        with torch.no_grad():
            proj = self._project_features(images)
            if self.cell_type == 'attention':
                A = proj
                h = c = A.mean(dim=(2, 3))  # (N, H)
            else:
                h = proj
                c = torch.zeros_like(h)
            words = h.new_full((N,), self._start, dtype=torch.long)
            for t in range(max_length):
                x = self.word_embed(words)  # (N, W)
                if self.cell_type == 'rnn':
                    h = self.rnn.step_forward(x, h)
                elif self.cell_type == 'lstm':
                    h, c = self.rnn.step_forward(x, h, c)
                else:
                    attn, attn_weights = dot_product_attention(h, A)
                    attn_weights_all[:, t] = attn_weights
                    h, c = self.rnn.step_forward(x, h, c, attn)
                words = self.output_proj(h).argmax(dim=1)  # (N,)
                captions[:, t] = words
        # END SOLUTION
        ############################################################################
        #                             END OF YOUR CODE                             #
        ############################################################################
        if self.cell_type == 'attention':
            return captions, attn_weights_all.cpu()
        else:
            return captions


##############################################################################
# LSTM                                                                       #
##############################################################################
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, attn=None, Wattn=None):
    """
    Forward pass for a single timestep of an LSTM.

    The input data has dimension D, the hidden state has dimension H, and we use
    a minibatch size of N.

    Inputs:
    - x: Input data, of shape (N, D)
    - prev_h: Previous hidden state, of shape (N, H)
    - prev_c: previous cell state, of shape (N, H)
    - Wx: Input-to-hidden weights, of shape (D, 4H)
    - Wh: Hidden-to-hidden weights, of shape (H, 4H)
    - b: Biases, of shape (4H,)
    - attn and Wattn are for Attention LSTM only, indicate the attention input and
      embedding weights for the attention input

    Returns a tuple of:
    - next_h: Next hidden state, of shape (N, H)
    - next_c: Next cell state, of shape (N, H)

    The gates are the four H-wide slices of a = x Wx + prev_h Wh + b, in the order
    i (input), f (forget), o (output), g (candidate).
    """
    next_h, next_c = None, None
    #############################################################################
    # TODO: Implement the forward pass for a single timestep of an LSTM.        #
    # (~10 lines; less than 5 more for the attention term)                      #
    #############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    H = prev_h.shape[1]
    a = torch.addmm(b, x, Wx).addmm_(prev_h, Wh)  # (N, 4H): one matmul per input for all gates
    if attn is not None:
        a = a.addmm_(attn, Wattn)
    i = torch.sigmoid(a[:, :H])
    f = torch.sigmoid(a[:, H:2 * H])
    o = torch.sigmoid(a[:, 2 * H:3 * H])
    g = torch.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * torch.tanh(next_c)
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################

    return next_h, next_c


def lstm_forward(x, h0, Wx, Wh, b):
    """
    Forward pass for an LSTM over an entire sequence of data. We assume an input
    sequence composed of T vectors, each of dimension D. The LSTM uses a hidden
    size of H, and we work over a minibatch containing N sequences. After running
    the LSTM forward, we return the hidden states for all timesteps.

    Note that the initial cell state is passed as input, but the initial cell
    state is set to zero. Also note that the cell state is not returned; it is
    an internal variable to the LSTM and is not accessed from outside.

    Inputs:
    - x: Input data, of shape (N, T, D)
    - h0: Initial hidden state, of shape (N, H)
    - Wx: Weights for input-to-hidden connections, of shape (D, 4H)
    - Wh: Weights for hidden-to-hidden connections, of shape (H, 4H)
    - b: Biases, of shape (4H,)

    Returns a tuple of:
    - h: Hidden states for all timesteps of all sequences, of shape (N, T, H)
    """

    h = None
    c0 = torch.zeros_like(h0)  # we provide the intial cell state c0 here for you!
    ##########################################################################
    # TODO: Implement the forward pass for an LSTM over an entire timeseries. #
    # You should use the lstm_step_forward function that you just defined.   #
    # HINT: the input projection x Wx + b of all T steps can be computed in   #
    # one matrix multiply before the loop.                                    #
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    # The loop of lstm_step_forward's gate math over time, with the input projection of all T
    # steps hoisted into one matmul and the backward pass written by hand (_LSTMSequence below).
    h = _LSTMSequence.apply(x, h0, Wx, Wh, b)
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################

    return h


##############################################################################
# (Optional) helpers for your lstm_forward                                   #
##############################################################################
# Replace "pass" statement with your code
# BEGIN SOLUTION
class _LSTMSequence(torch.autograd.Function):
    """lstm_forward's LSTM over a whole sequence (c0 = 0), with a hand-written backward pass.

    Autograd through a Python time loop records every small op of every step and keeps all
    their intermediates. This forward runs 7 ops per step on views made before the loop and
    stores only the activated gates, the cell states and tanh(c). The backward computes every
    factor that does not depend on the recurrent gradient for all T steps at once, keeps 6 ops
    (one of them the (N, 4H) x (4H, H) matmul) per step in the time loop, and leaves the weight and input
    gradients to three large matmuls after it -- the same FLOPs as torch.nn.LSTM.

    Inputs: x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,); gate order i, f, o, g.
    Returns: h (N, T, H).
    """

    @staticmethod
    def forward(ctx, x, h0, Wx, Wh, b):
        N, T, D = x.shape
        H = h0.shape[1]
        xt = x.transpose(0, 1).reshape(T * N, D)  # time-major rows, (T*N, D)
        # gates[t] starts as x_t Wx + b (one matmul for all steps) and becomes the activated gates.
        gates = torch.addmm(b, xt, Wx).view(T, N, 4 * H)
        hs = x.new_empty(T + 1, N, H)  # hs[0] = h0, hs[t + 1] = h_t
        cs = x.new_zeros(T + 1, N, H)  # cs[0] = c0 = 0
        tanh_c = x.new_empty(T, N, H)
        hs[0] = h0
        # Per-step views, made once: the loop then runs compute ops only.
        a, ifo, g = gates.unbind(0), gates[:, :, :3 * H].unbind(0), gates[:, :, 3 * H:].unbind(0)
        i, f, o = (gates[:, :, k * H:(k + 1) * H].unbind(0) for k in range(3))
        h, c, tc = hs.unbind(0), cs.unbind(0), tanh_c.unbind(0)
        for t in range(T):
            a[t].addmm_(h[t], Wh)  # (N, 4H)
            ifo[t].sigmoid_()
            g[t].tanh_()
            torch.mul(f[t], c[t], out=c[t + 1])
            c[t + 1].addcmul_(i[t], g[t])  # c_t = f * c_{t-1} + i * g
            torch.tanh(c[t + 1], out=tc[t])
            torch.mul(o[t], tc[t], out=h[t + 1])  # h_t = o * tanh(c_t)
        ctx.save_for_backward(xt, Wx, Wh, gates, hs, cs, tanh_c)
        return hs[1:].transpose(0, 1)  # (N, T, H)

    @staticmethod
    def backward(ctx, dh):
        xt, Wx, Wh, gates, hs, cs, tanh_c = ctx.saved_tensors
        T, N, H4 = gates.shape
        H, D = H4 // 4, xt.shape[1]
        dh = dh.transpose(0, 1)  # (T, N, H)
        i, f, o, g = gates.view(T, N, 4, H).unbind(2)  # each (T, N, H)
        # Every factor that does not depend on the recurrent gradients, for all steps at once:
        # da_i = dc g i(1-i), da_f = dc c_prev f(1-f), da_o = dh tanh(c) o(1-o), da_g = dc i (1-g^2),
        # where dc = dc_next f_next + dh o (1 - tanh(c)^2).
        K = torch.stack([g * i * (1 - i), cs[:-1] * f * (1 - f),
                         tanh_c * o * (1 - o), i * (1 - g * g)], dim=2)  # (T, N, 4, H)
        P = o * (1 - tanh_c * tanh_c)  # (T, N, H)
        dA = gates.new_empty(T, N, 4, H)  # gradient of the gate pre-activations
        dA_if, dA_o, dA_g = dA[:, :, :2].unbind(0), dA[:, :, 2].unbind(0), dA[:, :, 3].unbind(0)
        K_if, K_o, K_g = K[:, :, :2].unbind(0), K[:, :, 2].unbind(0), K[:, :, 3].unbind(0)
        dA_t, P_t, f_t, dh_in = dA.view(T, N, H4).unbind(0), P.unbind(0), f.unbind(0), dh.unbind(0)
        WhT = Wh.t()
        dh_t = dh_in[T - 1]
        dc = dh_t * P_t[T - 1]
        for t in range(T - 1, -1, -1):
            if t < T - 1:
                dh_t = torch.addmm(dh_in[t], dA_t[t + 1], WhT)  # dh_t + gradient from step t + 1
                dc = dc.mul_(f_t[t + 1]).addcmul_(dh_t, P_t[t])
            torch.mul(K_if[t], dc.unsqueeze(1), out=dA_if[t])
            torch.mul(K_o[t], dh_t, out=dA_o[t])
            torch.mul(K_g[t], dc, out=dA_g[t])
        dh0 = dA_t[0].mm(WhT)
        dA = dA.view(T * N, H4)
        dx = dA.mm(Wx.t()).view(T, N, D).transpose(0, 1)
        dWx = xt.t().mm(dA)
        dWh = hs[:-1].reshape(T * N, H).t().mm(dA)
        db = dA.sum(0)
        return dx, dh0, dWx, dWh, db
# END SOLUTION


class LSTM(nn.Module):
    """
    This is our single-layer, uni-directional LSTM module.

    Arguments for initialization:
    - input_size: Input size, denoted as D before
    - hidden_size: Hidden size, denoted as H before
    """

    def __init__(self, input_size, hidden_size, device='cpu',
                 dtype=torch.float32):
        """
        Initialize a LSTM.
        Model parameters to initialize:
        - Wx: Weights for input-to-hidden connections, of shape (D, 4H)
        - Wh: Weights for hidden-to-hidden connections, of shape (H, 4H)
        - b: Biases, of shape (4H,)
        """
        super().__init__()

        # Register parameters
        self.Wx = nn.Parameter(torch.randn(input_size, hidden_size * 4,
                               device=device, dtype=dtype).div(math.sqrt(input_size)))
        self.Wh = nn.Parameter(torch.randn(hidden_size, hidden_size * 4,
                               device=device, dtype=dtype).div(math.sqrt(hidden_size)))
        self.b = nn.Parameter(torch.zeros(hidden_size * 4,
                              device=device, dtype=dtype))

    def forward(self, x, h0):
        """
        Inputs:
        - x: Input data for the entire timeseries, of shape (N, T, D)
        - h0: Initial hidden state, of shape (N, H)

        Outputs:
        - hn: The hidden state output, of shape (N, T, H)
        """
        hn = lstm_forward(x, h0, self.Wx, self.Wh, self.b)
        return hn

    def step_forward(self, x, prev_h, prev_c):
        """
        Inputs:
        - x: Input data for one time step, of shape (N, D)
        - prev_h: The previous hidden state, of shape (N, H)
        - prev_c: The previous cell state, of shape (N, H)

        Outputs:
        - next_h: The next hidden state, of shape (N, H)
        - next_c: The next cell state, of shape (N, H)
        """
        next_h, next_c = lstm_step_forward(x, prev_h, prev_c, self.Wx, self.Wh, self.b)
        return next_h, next_c


##############################################################################
# Attention LSTM                                                             #
##############################################################################
def dot_product_attention(prev_h, A):
    """
    A simple scaled dot-product attention layer.
    Inputs:
    - prev_h: The LSTM hidden state from the previous time step, of shape (N, H)
    - A: **Projected** CNN feature activation, of shape (N, H, 4, 4),
         where H is the LSTM hidden state size

    Outputs:
    - attn: Attention embedding output, of shape (N, H)
    - attn_weights: Attention weights, of shape (N, 4, 4)

    The scores are (prev_h . A[:, :, i, j]) / sqrt(H), normalised with a softmax over
    the 16 grid positions.
    """
    N, H, D_a, _ = A.shape

    attn, attn_weights = None, None
    ##########################################################################
    # TODO: Implement the scaled dot-product attention we described earlier. #
    # HINT: Make sure you reshape attn_weights back to (N, 4, 4)!            #
    # (~5 lines)                                                             #
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    A_flat = A.reshape(N, H, D_a * D_a)  # (N, H, 16)
    # Products and sums, not bmm: N separate (1, H) x (H, 16) matrix products are too small for
    # a matrix-multiply kernel (on a CPU this saves ~10% of attention_forward's forward + backward).
    scores = (prev_h.unsqueeze(2) * A_flat).sum(dim=1) / math.sqrt(H)  # (N, 16)
    weights = torch.softmax(scores, dim=1)  # (N, 16)
    attn = (A_flat * weights.unsqueeze(1)).sum(dim=2)  # (N, H)
    attn_weights = weights.reshape(N, D_a, D_a)
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################

    return attn, attn_weights


def attention_forward(x, A, Wx, Wh, Wattn, b):
    """
    h0 and c0 are same initialized as the global image feature (meanpooled A)
    For simplicity, we implement scaled dot-product attention, which means in
    Eq. 4 of the paper (https://arxiv.org/pdf/1502.03044.pdf),
    f_{att}(a_i, h_{t-1}) equals to the scaled dot product of a_i and h_{t-1}.

    Forward pass for an LSTM over an entire sequence of data. We assume an input
    sequence composed of T vectors, each of dimension D. The LSTM uses a hidden
    size of H, and we work over a minibatch containing N sequences. After running
    the LSTM forward, we return the hidden states for all timesteps.

    Note that the initial cell state is passed as input, but the initial cell
    state is set to zero. Also note that the cell state is not returned; it is
    an internal variable to the LSTM and is not accessed from outside.

    Inputs:
    - x: Input data, of shape (N, T, D)
    - A: **Projected** activation map, of shape (N, H, 4, 4)
    - Wx: Weights for input-to-hidden connections, of shape (D, 4H)
    - Wh: Weights for hidden-to-hidden connections, of shape (H, 4H)
    - Wattn: Weights for attention-to-hidden connections, of shape (H, 4H)
    - b: Biases, of shape (4H,)

    Returns a tuple of:
    - h: Hidden states for all timesteps of all sequences, of shape (N, T, H)
    """

    h = None

    # The initial hidden state h0 and cell state c0 are initialized differently in
    # Attention LSTM from the original LSTM and hence we provided them for you.
    h0 = A.mean(dim=(2, 3))  # Initial hidden state, of shape (N, H)
    c0 = h0  # Initial cell state, of shape (N, H)

    ##########################################################################
    # TODO: Implement the forward pass for an LSTM over an entire timeseries. #
    # You should use the lstm_step_forward function and dot_product_attention #
    # function that you just defined.                                         #
    ##########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    N, T, D = x.shape
    prev_h, prev_c = h0, c0
    hs = []
    for t in range(T):
        attn, _ = dot_product_attention(prev_h, A)
        prev_h, prev_c = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b, attn, Wattn)
        hs.append(prev_h)
    h = torch.stack(hs, dim=1)  # (N, T, H)
    # END SOLUTION
    ##########################################################################
    #                             END OF YOUR CODE                           #
    ##########################################################################

    return h


class AttentionLSTM(nn.Module):
    """
    This is our single-layer, uni-directional Attention module.

    Arguments for initialization:
    - input_size: Input size, denoted as D before
    - hidden_size: Hidden size, denoted as H before
    """

    def __init__(self, input_size, hidden_size, device='cpu',
                 dtype=torch.float32):
        """
        Initialize a LSTM.
        Model parameters to initialize:
        - Wx: Weights for input-to-hidden connections, of shape (D, 4H)
        - Wh: Weights for hidden-to-hidden connections, of shape (H, 4H)
        - Wattn: Weights for attention-to-hidden connections, of shape (H, 4H)
        - b: Biases, of shape (4H,)
        """
        super().__init__()

        # Register parameters
        self.Wx = nn.Parameter(torch.randn(input_size, hidden_size * 4,
                               device=device, dtype=dtype).div(math.sqrt(input_size)))
        self.Wh = nn.Parameter(torch.randn(hidden_size, hidden_size * 4,
                               device=device, dtype=dtype).div(math.sqrt(hidden_size)))
        self.Wattn = nn.Parameter(torch.randn(hidden_size, hidden_size * 4,
                                  device=device, dtype=dtype).div(math.sqrt(hidden_size)))
        self.b = nn.Parameter(torch.zeros(hidden_size * 4,
                              device=device, dtype=dtype))

    def forward(self, x, A):
        """
        Inputs:
        - x: Input data for the entire timeseries, of shape (N, T, D)
        - A: The projected CNN feature activation, of shape (N, H, 4, 4)

        Outputs:
        - hn: The hidden state output, of shape (N, T, H)
        """
        hn = attention_forward(x, A, self.Wx, self.Wh, self.Wattn, self.b)
        return hn

    def step_forward(self, x, prev_h, prev_c, attn):
        """
        Inputs:
        - x: Input data for one time step, of shape (N, D)
        - prev_h: The previous hidden state, of shape (N, H)
        - prev_c: The previous cell state, of shape (N, H)
        - attn: The attention embedding, of shape (N, H)

        Outputs:
        - next_h: The next hidden state, of shape (N, H)
        - next_c: The next cell state, of shape (N, H)
        """
        next_h, next_c = lstm_step_forward(x, prev_h, prev_c, self.Wx, self.Wh,
                                           self.b, attn=attn, Wattn=self.Wattn)
        return next_h, next_c
