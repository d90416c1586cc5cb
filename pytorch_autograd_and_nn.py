"""
Implements PyTorch autograd and the nn.Module / nn.Sequential APIs, and a pre-activation ResNet
for CIFAR-10 (EECS 498-007 / 598-005 A4, Q1).

WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

Symbols used in the docstrings:
  N  batch size                  C, Cin, Cout  channel counts
  H, W  spatial height / width   K  number of classes (10 for CIFAR-10)

Besides the student functions this module holds the training helpers that the original notebook
defined inline (``check_accuracy_part2``, ``train_part2``, ``check_accuracy_part34``,
``adjust_learning_rate``, ``train_part345``). They take the data loaders and the device as
arguments instead of reading notebook globals, show a tqdm progress bar, and can return the
per-iteration loss history for plotting. The faster training recipe of the notebook's "Going
further" section lives in ``eecs598/cifar_recipes.py``.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from tqdm.auto import tqdm


def hello():
    """
    This is a sample function that we will try to import and run to ensure that
    our environment is correctly set up on Google Colab.
    """
    print('Hello from pytorch_autograd_and_nn.py!')


################################################################################
# Part II. Barebones PyTorch
################################################################################


def flatten(x, start_dim=1, end_dim=-1):
    """Flatten dims start_dim..end_dim of x; (N, C, H, W) -> (N, C*H*W) by default."""
    return x.flatten(start_dim=start_dim, end_dim=end_dim)


def two_layer_fc(x, params):
    """
    A fully-connected neural network; the architecture is:
    NN is fully connected -> ReLU -> fully connected layer.
    Note that this function only defines the forward pass;
    PyTorch will take care of the backward pass for us.

    The input to the network will be a minibatch of data, of shape
    (N, d1, ..., dM) where d1 * ... * dM = D. The hidden layer will have H units,
    and the output layer will produce scores for C classes.

    Inputs:
    - x: A PyTorch Tensor of shape (N, d1, ..., dM) giving a minibatch of
      input data.
    - params: A list [w1, b1, w2, b2] of PyTorch Tensors giving weights
      for the network; w1 has shape (H, D), b1 has shape (H,), w2 has shape
      (C, H), and b2 has shape (C,).

    Returns:
    - scores: A PyTorch Tensor of shape (N, C) giving classification scores for
      the input data x.
    """
    x = flatten(x)  # (N, D)
    w1, b1, w2, b2 = params
    x = F.relu(F.linear(x, w1, b1))  # (N, H)
    x = F.linear(x, w2, b2)  # (N, C)
    return x


def three_layer_convnet(x, params):
    """
    Performs the forward pass of a three-layer convolutional network with the
    architecture defined above.

    Inputs:
    - x: A PyTorch Tensor of shape (N, C, H, W) giving a minibatch of images
    - params: A list of PyTorch Tensors giving the weights and biases for the
      network; should contain the following:
      - conv_w1: PyTorch Tensor of shape (channel_1, C, KH1, KW1) giving weights
        for the first convolutional layer
      - conv_b1: PyTorch Tensor of shape (channel_1,) giving biases for the first
        convolutional layer
      - conv_w2: PyTorch Tensor of shape (channel_2, channel_1, KH2, KW2) giving
        weights for the second convolutional layer
      - conv_b2: PyTorch Tensor of shape (channel_2,) giving biases for the second
        convolutional layer
      - fc_w: PyTorch Tensor giving weights for the fully-connected layer. Can you
        figure out what the shape should be?  (K, channel_2 * H * W)
      - fc_b: PyTorch Tensor giving biases for the fully-connected layer. Can you
        figure out what the shape should be?  (K,)

    Returns:
    - scores: PyTorch Tensor of shape (N, K) giving classification scores for x
    """
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    scores = None
    ##############################################################################
    # TODO: Implement the forward pass for the three-layer ConvNet.              #
    # The network have the following architecture:                               #
    # 1. Conv layer (with bias) with 32 5x5 filters, with zero-padding of 2      #
    #   2. ReLU                                                                  #
    # 3. Conv layer (with bias) with 16 3x3 filters, with zero-padding of 1      #
    # 4. ReLU                                                                    #
    # 5. Fully-connected layer (with bias) to compute scores for 10 classes      #
    # Hint: F.linear, F.conv2d, F.relu, flatten (implemented above)              #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    x = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))  # (N, channel_1, H, W)
    x = F.relu(F.conv2d(x, conv_w2, conv_b2, padding=1))  # (N, channel_2, H, W)
    scores = F.linear(flatten(x), fc_w, fc_b)  # (N, K)
    # END SOLUTION
    ################################################################################
    #                                 END OF YOUR CODE                             #
    ################################################################################
    return scores


def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
    '''
    Initializes weights for the three_layer_convnet for part II
    Inputs:
      - dtype: A torch data type object; all computations will be performed using
          this datatype. float is faster but less accurate, so you should use
          double for numeric gradient checking.
        - device: device to use for computation. 'cpu' or 'cuda'
    Returns:
      - params: [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b] with shapes
        (32, 3, 5, 5), (32,), (16, 32, 3, 3), (16,), (10, 16*32*32), (10,);
        every tensor has requires_grad=True.
    '''

    # Input/Output dimenssions
    C, H, W = 3, 32, 32
    num_classes = 10

    # Hidden layer channel and kernel sizes
    channel_1 = 32
    channel_2 = 16
    kernel_size_1 = 5
    kernel_size_2 = 3

    # Initialize the weights
    conv_w1 = None
    conv_b1 = None
    conv_w2 = None
    conv_b2 = None
    fc_w = None
    fc_b = None

    ##############################################################################
    # TODO: Define and initialize the parameters of a three-layer ConvNet           #
    # using nn.init.kaiming_normal_. You should initialize your bias vectors    #
    # using the zero_weight function.                                            #
    # You are given all the necessary variables above for initializing weights. #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    def weight(*shape):
        w = torch.empty(shape, dtype=dtype, device=device)
        nn.init.kaiming_normal_(w)
        return w.requires_grad_()

    def bias(n):
        return torch.zeros(n, dtype=dtype, device=device, requires_grad=True)

    conv_w1 = weight(channel_1, C, kernel_size_1, kernel_size_1)
    conv_b1 = bias(channel_1)
    conv_w2 = weight(channel_2, channel_1, kernel_size_2, kernel_size_2)
    conv_b2 = bias(channel_2)
    fc_w = weight(num_classes, channel_2 * H * W)
    fc_b = bias(num_classes)
    # END SOLUTION
    ##############################################################################
    #                                 END OF YOUR CODE                           #
    ##############################################################################
    return [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b]


################################################################################
# Training helpers (provided; defined inline in the original notebook)
################################################################################


def _split_name(loader):
    """'val' for a loader over the training split (as the original), 'test' otherwise."""
    train = getattr(loader.dataset, 'train', None)
    if train is None:
        # e.g. a TensorDataset or Subset: look one level down, default to 'val'
        train = getattr(getattr(loader.dataset, 'dataset', None), 'train', True)
    return 'val' if train else 'test'


def _param_device(tensors):
    for t in tensors:
        return t.device
    return torch.device('cpu')


def check_accuracy_part2(loader, model_fn, params, *, device=None, dtype=torch.float):
    """
    Check the accuracy of a classification model (barebones version).

    Inputs:
    - loader: A DataLoader for the data split we want to check; yields x (N, 3, 32, 32), y (N,)
    - model_fn: A function that performs the forward pass of the model,
      with the signature scores = model_fn(x, params)
    - params: List of PyTorch Tensors giving parameters of the model
    - device, dtype: where and as what to run x; device defaults to the device of params[0]

    Returns: Nothing, but prints the accuracy of the model
      (this version also returns the accuracy as a float in [0, 1]).
    """
    device = device if device is not None else _param_device(params)
    print('Checking accuracy on the %s set' % _split_name(loader))
    num_correct, num_samples = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.int64)
            scores = model_fn(x, params)
            preds = scores.argmax(dim=1)
            num_correct += (preds == y).sum().item()
            num_samples += preds.size(0)
    acc = float(num_correct) / max(num_samples, 1)
    print('Got %d / %d correct (%.2f%%)' % (num_correct, num_samples, 100 * acc))
    return acc


def train_part2(model_fn, params, learning_rate, *, loader_train, loader_val, device=None,
                dtype=torch.float, print_every=100, max_iters=None, return_loss_history=False):
    """
    Train a model on CIFAR-10 (one pass over loader_train) with manual SGD.

    Inputs:
    - model_fn: A Python function that performs the forward pass of the model.
      It should have the signature scores = model_fn(x, params) where x is a
      PyTorch Tensor of image data (N, 3, 32, 32), params is a list of PyTorch
      Tensors giving model weights, and scores is a PyTorch Tensor of shape (N, K)
      giving scores for the elements of x.
    - params: List of PyTorch Tensors giving weights for the model
    - learning_rate: Python scalar giving the learning rate to use for SGD
    - loader_train, loader_val: DataLoaders of the training and validation data
    - device, dtype: where and as what to run the data; device defaults to params' device
    - print_every: print the loss and check val accuracy every this many iterations
    - max_iters: stop after this many iterations (None: the whole loader); used by the
      notebook's cpu/fast modes
    - return_loss_history: also return the per-iteration losses

    Returns: the last validation accuracy (a float), and with return_loss_history=True a
      tuple (accuracy, loss_history float tensor of shape (num_iters,)).
    """
    device = device if device is not None else _param_device(params)
    num_iters = len(loader_train) if max_iters is None else min(max_iters, len(loader_train))
    losses = []
    acc = None
    bar = tqdm(total=num_iters, desc='train_part2', leave=False)
    for t, (x, y) in enumerate(loader_train):
        if t >= num_iters:
            break
        # Move the data to the proper device (GPU or CPU)
        x = x.to(device=device, dtype=dtype)
        y = y.to(device=device, dtype=torch.long)

        # Forward pass: compute scores and loss
        scores = model_fn(x, params)
        loss = F.cross_entropy(scores, y)

        # Backward pass: PyTorch figures out which Tensors in the computational
        # graph has requires_grad=True and uses backpropagation to compute the
        # gradient of the loss with respect to these Tensors, and stores the
        # gradients in the .grad attribute of each Tensor.
        loss.backward()

        # Update parameters. We don't want to backpropagate through the
        # parameter updates, so we scope the updates under a torch.no_grad()
        # context manager to prevent a computational graph from being built.
        with torch.no_grad():
            for w in params:
                if w.requires_grad:
                    w -= learning_rate * w.grad
                    # Manually zero the gradients after running the backward pass
                    w.grad.zero_()
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss='%.3f' % losses[-1])

        if t % print_every == 0 or t == num_iters - 1:
            print('Iteration %d, loss = %.4f' % (t, loss.item()))
            acc = check_accuracy_part2(loader_val, model_fn, params, device=device, dtype=dtype)
            print()
    bar.close()
    if return_loss_history:
        return acc, torch.tensor(losses, dtype=torch.float)
    return acc


def check_accuracy_part34(loader, model, *, device=None, dtype=torch.float):
    """
    Check the accuracy of an nn.Module classifier (puts the model in eval mode).

    Inputs:
    - loader: DataLoader yielding x (N, 3, 32, 32), y (N,)
    - model: nn.Module mapping x to scores (N, K)
    - device, dtype: where and as what to run x; device defaults to the model's device

    Returns: the accuracy as a float in [0, 1] (also printed).
    """
    device = device if device is not None else _param_device(model.parameters())
    print('Checking accuracy on the %s set' % _split_name(loader))
    num_correct = 0
    num_samples = 0
    model.eval()  # set model to evaluation mode
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)  # move to device, e.g. GPU
            y = y.to(device=device, dtype=torch.long)
            scores = model(x)
            preds = scores.argmax(dim=1)
            num_correct += (preds == y).sum().item()
            num_samples += preds.size(0)
    acc = float(num_correct) / max(num_samples, 1)
    print('Got %d / %d correct (%.2f)' % (num_correct, num_samples, 100 * acc))
    return acc


def adjust_learning_rate(optimizer, lrd, epoch, schedule):
    """
    Multiply lr by a learning rate decay factor lrd when epoch is in schedule.

    Inputs:
    - optimizer: a torch.optim optimizer
    - lrd: learning rate decay factor (e.g. 0.1)
    - epoch: current epoch number (0-based)
    - schedule: list of epochs at which to decay

    Returns: nothing; the learning rate of every parameter group is updated in place.
    """
    if epoch in schedule:
        for param_group in optimizer.param_groups:
            print('lr decay from {} to {}'.format(param_group['lr'], param_group['lr'] * lrd))
            param_group['lr'] *= lrd


def train_part345(model, optimizer, epochs=1, learning_rate_decay=.1, schedule=[], verbose=True,
                  *, loader_train, loader_val, device=None, dtype=torch.float, print_every=100,
                  max_iters=None, return_loss_history=False):
    """
    Train a model on CIFAR-10 using the PyTorch Module API.

    Inputs:
    - model: A PyTorch Module giving the model to train.
    - optimizer: An Optimizer object we will use to train the model
    - epochs: (Optional) A Python integer giving the number of epochs to train for
    - learning_rate_decay, schedule: lr is multiplied by learning_rate_decay at the start of
      every epoch listed in schedule (see adjust_learning_rate)
    - verbose: check val accuracy every print_every iterations and at the last one; otherwise
      only at the end of each epoch
    - loader_train, loader_val: DataLoaders of the training and validation data
    - device: where to train (the model is moved there); defaults to the model's device
    - dtype: dtype of the input images
    - max_iters: at most this many iterations per epoch (None: the whole loader)
    - return_loss_history: also return the per-iteration training losses

    Returns: (acc_history float tensor, iter_history long tensor): the validation accuracies
      and the (0-based, global) iteration at which each was measured. With
      return_loss_history=True a third element, the per-iteration losses (float tensor).

    Change from the original: the original wrote each check into slot ``tt // print_every``
    of a preallocated tensor of length ``num_iters // print_every + 1``, so the final check
    overwrote the previous one (and a slot stayed 0 when num_iters was a multiple of
    print_every). Here every check is kept: with verbose=True there is one entry per
    iteration ``tt`` with ``tt % print_every == 0``, plus the final iteration; with
    verbose=False one entry per epoch, as in the original.
    """
    device = device if device is not None else _param_device(model.parameters())
    model = model.to(device=device)  # move the model parameters to CPU/GPU
    iters_per_epoch = len(loader_train) if max_iters is None else min(max_iters, len(loader_train))
    num_iters = epochs * iters_per_epoch
    acc_history, iter_history, losses = [], [], []
    bar = tqdm(total=num_iters, desc='train_part345', leave=False)
    for e in range(epochs):
        adjust_learning_rate(optimizer, learning_rate_decay, e, schedule)
        for t, (x, y) in enumerate(loader_train):
            if t >= iters_per_epoch:
                break
            model.train()  # put model to training mode
            x = x.to(device=device, dtype=dtype)  # move to device, e.g. GPU
            y = y.to(device=device, dtype=torch.long)

            scores = model(x)
            loss = F.cross_entropy(scores, y)

            # Zero out all of the gradients for the variables which the optimizer
            # will update.
            optimizer.zero_grad()

            # This is the backwards pass: compute the gradient of the loss with
            # respect to each  parameter of the model.
            loss.backward()

            # Actually update the parameters of the model using the gradients
            # computed by the backwards pass.
            optimizer.step()
            losses.append(loss.item())
            bar.update(1)
            bar.set_postfix(epoch=e, loss='%.3f' % losses[-1])

            tt = t + e * iters_per_epoch
            last = t == iters_per_epoch - 1
            if (verbose and (tt % print_every == 0 or (e == epochs - 1 and last))) or \
                    (not verbose and last):
                print('Epoch %d, Iteration %d, loss = %.4f' % (e, tt, loss.item()))
                acc = check_accuracy_part34(loader_val, model, device=device, dtype=dtype)
                acc_history.append(acc)
                iter_history.append(tt)
                print()
    bar.close()
    out = (torch.tensor(acc_history, dtype=torch.float), torch.tensor(iter_history, dtype=torch.long))
    if return_loss_history:
        out = out + (torch.tensor(losses, dtype=torch.float),)
    return out


################################################################################
# Part III. PyTorch Module API
################################################################################


class TwoLayerFC(nn.Module):
    """Linear(input_size -> hidden_size) -> ReLU -> Linear(hidden_size -> num_classes).

    forward: x (N, d1, ..., dM) with d1*...*dM = input_size -> scores (N, num_classes).
    Weights are Kaiming-normal, biases zero.
    """

    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        # assign layer objects to class attributes
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, num_classes)
        # nn.init package contains convenient initialization methods
        # http://pytorch.org/docs/master/nn.html#torch-nn-init
        nn.init.kaiming_normal_(self.fc1.weight)
        nn.init.kaiming_normal_(self.fc2.weight)
        nn.init.zeros_(self.fc1.bias)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, x):
        # forward always defines connectivity
        x = flatten(x)
        scores = self.fc2(F.relu(self.fc1(x)))
        return scores


class ThreeLayerConvNet(nn.Module):
    """conv(5x5, pad 2) -> ReLU -> conv(3x3, pad 1) -> ReLU -> flatten -> fc.

    forward: x (N, in_channel, 32, 32) -> scores (N, num_classes).
    """

    def __init__(self, in_channel, channel_1, channel_2, num_classes):
        super().__init__()
        ########################################################################
        # TODO: Set up the layers you need for a three-layer ConvNet with the  #
        # architecture defined below. You should initialize the weight  of the #
        # model using Kaiming normal initialization, and zero out the bias     #
        # vectors.                                                             #
        #                                                                      #
        # The network architecture should be the same as in Part II:           #
        #   1. Convolutional layer with channel_1 5x5 filters with zero-padding of 2  #
        #   2. ReLU                                                            #
        #   3. Convolutional layer with channel_2 3x3 filters with zero-padding of 1  #
        #   4. ReLU                                                            #
        #   5. Fully-connected layer to num_classes classes                    #
        #                                                                      #
        # We assume that the size of the input of this network is `H = W = 32`, and   #
        # there is no pooing; this information is required when computing the number #
        # of input channels in the last fully-connected layer.                 #
        #                                                                      #
        # HINT: nn.Conv2d, nn.init.kaiming_normal_, nn.init.zeros_             #
        ########################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channel, channel_1, 5, padding=2)
        self.conv2 = nn.Conv2d(channel_1, channel_2, 3, padding=1)
        self.fc = nn.Linear(channel_2 * 32 * 32, num_classes)
        for layer in (self.conv1, self.conv2, self.fc):
            nn.init.kaiming_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
        # END SOLUTION
        ########################################################################
        #                          END OF YOUR CODE                            #
        ########################################################################

    def forward(self, x):
        scores = None
        ########################################################################
        # TODO: Implement the forward function for a 3-layer ConvNet. you      #
        # should use the layers you defined in __init__ and specify the        #
        # connectivity of those layers in forward()                            #
        # Hint: flatten (implemented at the start of part II)                  #
        ########################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        x = F.relu(self.conv1(x))  # (N, channel_1, 32, 32)
        x = F.relu(self.conv2(x))  # (N, channel_2, 32, 32)
        scores = self.fc(flatten(x))  # (N, num_classes)
        # END SOLUTION
        ########################################################################
        #                             END OF YOUR CODE                         #
        ########################################################################
        return scores


def initialize_three_layer_conv_part3():
    '''
    Instantiates a ThreeLayerConvNet model and a corresponding optimizer for part III

    Returns: (model, optimizer): ThreeLayerConvNet(3, 32, 16, 10) (input (N, 3, 32, 32) ->
      scores (N, 10)) and optim.SGD with lr 3e-3 and weight decay 1e-4 (no momentum).
    '''

    # Parameters for ThreeLayerConvNet
    C = 3
    num_classes = 10

    channel_1 = 32
    channel_2 = 16

    # Parameters for optimizer
    learning_rate = 3e-3
    weight_decay = 1e-4

    model = None
    optimizer = None
    ##############################################################################
    # TODO: Instantiate ThreeLayerConvNet model and a corresponding optimizer.     #
    # Use the above mentioned variables for setting the parameters.                #
    # You should train the model using stochastic gradient descent without       #
    # momentum, with L2 weight decay of 1e-4.                                    #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    model = ThreeLayerConvNet(C, channel_1, channel_2, num_classes)
    optimizer = optim.SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    # END SOLUTION
    ##############################################################################
    #                                 END OF YOUR CODE                           #
    ##############################################################################
    return model, optimizer


################################################################################
# Part IV. PyTorch Sequential API
################################################################################


class Flatten(nn.Module):
    """nn.Module wrapper of flatten: (N, C, H, W) -> (N, C*H*W)."""

    def forward(self, x):
        return flatten(x)


def initialize_three_layer_conv_part4():
    '''
    Instantiates a ThreeLayerConvNet model and a corresponding optimizer for part IV

    Returns: (model, optimizer): an nn.Sequential mapping (N, 3, 32, 32) -> (N, 10), PyTorch
      default initialisation, and optim.SGD(lr=1e-2, weight_decay=1e-4, momentum=0.5,
      nesterov=True).
    '''
    # Input/Output dimenssions
    C, H, W = 3, 32, 32
    num_classes = 10

    # Hidden layer channel and kernel sizes
    channel_1 = 32
    channel_2 = 16
    kernel_size_1 = 5
    pad_size_1 = 2
    kernel_size_2 = 3
    pad_size_2 = 1

    # Parameters for optimizer
    learning_rate = 1e-2
    weight_decay = 1e-4
    momentum = 0.5

    model = None
    optimizer = None
    ##################################################################################
    # TODO: Rewrite the 3-layer ConvNet with bias from Part III with Sequential API and #
    # a corresponding optimizer.                                                     #
    # You don't have to re-initialize your weight matrices and bias vectors.         #
    # Here you should use `nn.Sequential` to define a three-layer ConvNet with:      #
    #   1. Convolutional layer (with bias) with 32 5x5 filters, with zero-padding of 2 #
    #   2. ReLU                                                                      #
    #   3. Convolutional layer (with bias) with 16 3x3 filters, with zero-padding of 1 #
    #   4. ReLU                                                                      #
    #   5. Fully-connected layer (with bias) to compute scores for 10 classes        #
    #                                                                                #
    # You should optimize your model using stochastic gradient descent with Nesterov #
    # momentum 0.5, with L2 weight decay of 1e-4 as given in the variables above.    #
    # Hint: nn.Sequential, Flatten (implemented at the start of Part IV)             #
    ##################################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    model = nn.Sequential(
        nn.Conv2d(C, channel_1, kernel_size_1, padding=pad_size_1),
        nn.ReLU(),
        nn.Conv2d(channel_1, channel_2, kernel_size_2, padding=pad_size_2),
        nn.ReLU(),
        Flatten(),
        nn.Linear(channel_2 * H * W, num_classes),
    )
    optimizer = optim.SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay,
                          momentum=momentum, nesterov=True)
    # END SOLUTION
    ################################################################################
    #                                 END OF YOUR CODE                             #
    ################################################################################
    return model, optimizer


################################################################################
# Part V. ResNet for CIFAR-10
################################################################################


class PlainBlock(nn.Module):
    """Pre-activation plain block: (N, Cin, H, W) -> (N, Cout, H', W').

    H' = H, W' = W without downsampling; H' = ceil(H / 2), W' = ceil(W / 2) with it.
    """

    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()

        self.net = None
        ############################################################################
        # TODO: Implement PlainBlock.                                              #
        # Hint: Wrap your layers by nn.Sequential() to output a single module.     #
        #       You don't have use OrderedDict.                                    #
        # Inputs:                                                                  #
        # - Cin: number of input channels                                          #
        # - Cout: number of output channels                                        #
        # - downsample: add downsampling (a conv with stride=2) if True            #
        # Store the result in self.net.                                            #
        ############################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        self.net = nn.Sequential(
            nn.BatchNorm2d(Cin),
            nn.ReLU(),
            nn.Conv2d(Cin, Cout, 3, padding=1, stride=2 if downsample else 1),
            nn.BatchNorm2d(Cout),
            nn.ReLU(),
            nn.Conv2d(Cout, Cout, 3, padding=1),
        )
        # END SOLUTION
        ############################################################################
        #                                 END OF YOUR CODE                         #
        ############################################################################

    def forward(self, x):
        return self.net(x)


class ResidualBlock(nn.Module):
    """Pre-activation residual block: block(x) + shortcut(x); shapes as PlainBlock.

    Shortcut: identity if Cin == Cout and not downsample; 1x1 conv (stride 1) if Cin != Cout
    and not downsample; 1x1 conv with stride 2 if downsample.
    """

    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()

        self.block = None  # F
        self.shortcut = None  # G
        ############################################################################
        # TODO: Implement residual block using plain block. Hint: nn.Identity()    #
        # Inputs:                                                                  #
        # - Cin: number of input channels                                          #
        # - Cout: number of output channels                                        #
        # - downsample: add downsampling (a conv with stride=2) if True            #
        # Store the main block in self.block and the shortcut in self.shortcut.    #
        ############################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        self.block = PlainBlock(Cin, Cout, downsample)
        if downsample:
            self.shortcut = nn.Conv2d(Cin, Cout, 1, stride=2)
        elif Cin != Cout:
            self.shortcut = nn.Conv2d(Cin, Cout, 1)
        else:
            self.shortcut = nn.Identity()
        # END SOLUTION
        ############################################################################
        #                                 END OF YOUR CODE                         #
        ############################################################################

    def forward(self, x):
        return self.block(x) + self.shortcut(x)


class ResNetStem(nn.Module):
    """3x3 conv (padding 1, stride 1, with bias) -> ReLU: (N, Cin, H, W) -> (N, Cout, H, W)."""

    def __init__(self, Cin=3, Cout=8):
        super().__init__()
        layers = [
            nn.Conv2d(Cin, Cout, kernel_size=3, padding=1, stride=1),
            nn.ReLU(),
        ]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class ResNetStage(nn.Module):
    """block(Cin, Cout, downsample) followed by num_blocks - 1 blocks block(Cout, Cout)."""

    def __init__(self, Cin, Cout, num_blocks, downsample=True, block=ResidualBlock):
        super().__init__()
        blocks = [block(Cin, Cout, downsample)]
        for _ in range(num_blocks - 1):
            blocks.append(block(Cout, Cout))
        self.net = nn.Sequential(*blocks)

    def forward(self, x):
        return self.net(x)


class ResNet(nn.Module):
    """Stem -> stages -> global average pool -> fc: (N, Cin, H, W) -> scores (N, num_classes).

    stage_args is a list of (num_in_channels, num_out_channels, num_blocks, do_downsample);
    the stem outputs stage_args[0][0] channels (8 for plain32/resnet32, 32 for resnet47).
    """

    def __init__(self, stage_args, Cin=3, block=ResidualBlock, num_classes=10):
        super().__init__()

        self.cnn = None
        ############################################################################
        # TODO: Implement the convolutional part of ResNet using ResNetStem,       #
        #       ResNetStage, and wrap the modules by nn.Sequential.                #
        # Store the model in self.cnn.                                             #
        ############################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        layers = [ResNetStem(Cin, stage_args[0][0])]
        for args in stage_args:
            layers.append(ResNetStage(*args, block=block))
        self.cnn = nn.Sequential(*layers)
        # END SOLUTION
        ############################################################################
        #                                 END OF YOUR CODE                         #
        ############################################################################
        self.fc = nn.Linear(stage_args[-1][1], num_classes)

    def forward(self, x):
        scores = None
        ############################################################################
        # TODO: Implement the forward function of ResNet.                          #
        # Store the output in `scores`.                                            #
        ############################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        x = self.cnn(x)  # (N, C, H', W')
        x = x.mean(dim=(2, 3))  # global average pool, any input size -> (N, C)
        scores = self.fc(x)  # (N, num_classes)
        # END SOLUTION
        ############################################################################
        #                                 END OF YOUR CODE                         #
        ############################################################################
        return scores


class ResidualBottleneckBlock(nn.Module):
    """Pre-activation bottleneck block: 1x1 (Cout//4) -> 3x3 (Cout//4) -> 1x1 (Cout), plus the
    same shortcut as ResidualBlock. (N, Cin, H, W) -> (N, Cout, H', W'), H' as PlainBlock."""

    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()

        self.block = None
        self.shortcut = None
        ############################################################################
        # TODO: Implement residual bottleneck block.                               #
        # Inputs:                                                                  #
        # - Cin: number of input channels                                          #
        # - Cout: number of output channels                                        #
        # - downsample: add downsampling (a conv with stride=2) if True            #
        # Store the main block in self.block and the shortcut in self.shortcut.    #
        ############################################################################
        # Replace "pass" statement with your code
        # BEGIN SOLUTION
        Cmid = Cout // 4
        self.block = nn.Sequential(
            nn.BatchNorm2d(Cin),
            nn.ReLU(),
            nn.Conv2d(Cin, Cmid, 1, stride=2 if downsample else 1),
            nn.BatchNorm2d(Cmid),
            nn.ReLU(),
            nn.Conv2d(Cmid, Cmid, 3, padding=1),
            nn.BatchNorm2d(Cmid),
            nn.ReLU(),
            nn.Conv2d(Cmid, Cout, 1),
        )
        if downsample:
            self.shortcut = nn.Conv2d(Cin, Cout, 1, stride=2)
        elif Cin != Cout:
            self.shortcut = nn.Conv2d(Cin, Cout, 1)
        else:
            self.shortcut = nn.Identity()
        # END SOLUTION
        ############################################################################
        #                                 END OF YOUR CODE                         #
        ############################################################################

    def forward(self, x):
        return self.block(x) + self.shortcut(x)


# example of specifications
networks = {
    'plain32': {
        'block': PlainBlock,
        'stage_args': [
            (8, 8, 5, False),
            (8, 16, 5, True),
            (16, 32, 5, True),
        ]
    },
    'resnet32': {
        'block': ResidualBlock,
        'stage_args': [
            (8, 8, 5, False),
            (8, 16, 5, True),
            (16, 32, 5, True),
        ]
    },
    'resnet47': {
        'block': ResidualBottleneckBlock,
        'stage_args': [
            (32, 32, 5, False),
            (32, 64, 5, True),
            (64, 128, 5, True),
        ],
    },
}


def get_resnet(name):
    """Build one of the networks above: 'plain32', 'resnet32' or 'resnet47'."""
    return ResNet(**networks[name])
