"""
Implements network visualization in PyTorch.
WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

Three ways of looking inside a trained image classifier, all built on gradients with respect to
the *input image* rather than the weights:

* saliency maps (Simonyan et al., 2014, section 3.1): which pixels the class score depends on;
* adversarial ("fooling") images (Szegedy et al., 2014): a tiny change that flips the prediction;
* class visualization (Simonyan et al., 2014, section 2; Yosinski et al., 2015): an image,
  grown from noise, that maximises one class score.

Going further (not in the original assignment):

* ``pgd_attack``: untargeted / targeted L-infinity projected gradient descent (Madry et al.,
  2018), the standard benchmark attack; the notebook compares it with ``torchattacks.PGD``;
* ``smooth_grad`` (Smilkov et al., 2017) and ``grad_cam`` (Selvaraju et al., 2017): two
  improved attribution maps, compared in the notebook with Captum's implementations.

Symbols used in shapes: N images, C = 3 channels, H x W pixels, K feature channels of a layer
(spatial size h x w), M classes.

Every function takes ``model`` as an argument and works for any image classifier mapping
(N, 3, H, W) images normalised like ``a4_helper.preprocess`` to (N, M) class scores: the notebook
uses the ImageNet SqueezeNet 1.1 when its weights are available, and otherwise a small digit
classifier trained by the project (``eecs598.digit_classifier.load_mnist_classifier``).

Differences from the original starter (EECS 498-007 FA2020 A4):

* ``create_class_visualization`` (provided in the original notebook) lives here, takes the
  image size and a ``show`` switch, shows a tqdm progress bar, and ``class_names`` may be any
  indexable (list or dict).
* ``compute_saliency_maps``: the TODO's sentence "You first want to compute the loss over the
  correct scores" is reworded. The original asks for the gradient of the correct-class *score*,
  and many read "loss" as cross-entropy, whose gradient differs; the TODO now says to sum the
  unnormalised correct-class scores.
* ``class_visualization_step``: the solution normalises the gradient by its L2 norm before the
  ascent step (normalising makes the learning rate independent of the model's score scale, as in
  ``make_adversarial_attack``). The original leaves this open, so the grader judges only the
  direction of the step: a raw-gradient step ``learning_rate * g`` is just as right.
"""
import random

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from a4_helper import SQUEEZENET_MEAN, SQUEEZENET_STD, blur_image, deprocess, jitter


def hello():
    """
    This is a sample function that we will try to import and run to ensure that
    our environment is correctly set up on Google Colab.
    """
    print("Hello from network_visualization.py!")


def compute_saliency_maps(X, y, model):
    """
    Compute a class saliency map using the model for images X and labels y.

    Input:
    - X: Input images; Tensor of shape (N, 3, H, W)
    - y: Labels for X; LongTensor of shape (N,)
    - model: A pretrained CNN that will be used to compute the saliency map.

    Returns:
    - saliency: A Tensor of shape (N, H, W) giving the saliency maps for the input
    images.
    """
    # Make input tensor require gradient
    X.requires_grad_()

    saliency = None
    ##############################################################################
    # TODO: Implement this function. Perform a forward and backward pass through #
    # the model to compute the gradient of the correct class score with respect  #
    # to each input image. You first want to sum the correct-class scores (the   #
    # unnormalised scores, not a loss such as cross-entropy) over the batch, and #
    # then compute the gradients with a backward pass. The saliency map is the   #
    # maximum over the channels of the absolute value of that gradient.          #
    # Hint: X.grad.data stores the gradients                                     #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    scores = model(X)                                     # (N, M)
    correct_scores = scores.gather(1, y.view(-1, 1)).squeeze(1)  # (N,)
    correct_scores.sum().backward()
    saliency = X.grad.data.abs().max(dim=1)[0]            # (N, H, W)
    # END SOLUTION
    ##############################################################################
    #               END OF YOUR CODE                                             #
    ##############################################################################
    return saliency


def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
    """
    Generate an adversarial attack that is close to X, but that the model classifies
    as target_y.

    Inputs:
    - X: Input image; Tensor of shape (1, 3, H, W)
    - target_y: An integer in the range [0, M)
    - model: A pretrained CNN
    - max_iter: Upper bound on number of iteration to perform
    - verbose: If True, it prints the pogress (you can use this flag for debugging)

    Returns:
    - X_adv: An image that is close to X, but that is classifed as target_y
    by the model.
    """
    # Initialize our adversarial attack to the input image, and make it require
    # gradient
    X_adv = X.clone()
    X_adv = X_adv.requires_grad_()

    learning_rate = 1
    ##############################################################################
    # TODO: Generate an adversarial attack X_adv that the model will classify    #
    # as the class target_y. You should perform gradient ascent on the score     #
    # of the target class, stopping when the model is fooled.                    #
    # When computing an update step, first normalize the gradient:               #
    #   dX = learning_rate * g / ||g||_2                                         #
    #                                                                            #
    # You should write a training loop.                                          #
    #                                                                            #
    # HINT: For most examples, you should be able to generate an adversarial     #
    # attack in fewer than 100 iterations of gradient ascent.                    #
    # You can print your progress over iterations to check your algorithm.       #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    for it in range(max_iter):
        scores = model(X_adv)                             # (1, M)
        target_score = scores[0, target_y]
        max_score, pred = scores[0].max(dim=0)
        if verbose:
            print('Iteration %d: target score %.3f, max score %.3f'
                  % (it, target_score.item(), max_score.item()))
        if pred.item() == target_y:
            break
        target_score.backward()
        with torch.no_grad():
            g = X_adv.grad
            X_adv += learning_rate * g / g.norm()
            X_adv.grad.zero_()
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return X_adv


def class_visualization_step(img, target_y, model, **kwargs):
    """
    Performs gradient step update to generate an image that maximizes the
    score of target_y under a pretrained model.

    Inputs:
    - img: random image with jittering as a PyTorch tensor of shape (1, 3, H, W)
      that requires gradient
    - target_y: Integer in the range [0, M) giving the index of the class
    - model: A pretrained CNN that will be used to generate the image

    Keyword arguments:
    - l2_reg: Strength of L2 regularization on the image
    - learning_rate: How big of a step to take

    Returns:
    - img: the same tensor, updated in place by one ascent step
    """
    l2_reg = kwargs.pop('l2_reg', 1e-3)
    learning_rate = kwargs.pop('learning_rate', 25)
    ########################################################################
    # TODO: Use the model to compute the gradient of the score for the     #
    # class target_y with respect to the pixels of the image, and make a   #
    # gradient step on the image using the learning rate. Don't forget the #
    # L2 regularization term!                                              #
    # Be very careful about the signs of elements in your code.            #
    # Hint: You have to perform inplace operations on img.data to update   #
    # the generated image using gradient ascent & reset img.grad to zero   #
    # after each step.                                                     #
    # The objective is s_y(I) - l2_reg * ||I||_2^2 (squared L2 norm). You  #
    # may step along the raw gradient or the L2-normalised one: only the   #
    # direction of the step is graded.                                     #
    ########################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    score = model(img)[0, target_y]
    objective = score - l2_reg * img.square().sum()      # s_y(I) - lambda * ||I||_2^2
    objective.backward()
    g = img.grad.data
    img.data += learning_rate * g / g.norm()
    img.grad.zero_()
    # END SOLUTION
    ########################################################################
    #                             END OF YOUR CODE                         #
    ########################################################################
    return img


def create_class_visualization(target_y, model, class_names=None, device='cpu',
                               save_fig=False, **kwargs):
    """
    Generate an image to maximize the score of target_y under a pretrained model.

    Inputs:
    - target_y: Integer in the range [0, M) giving the index of the class
    - model: A pretrained CNN that will be used to generate the image
    - class_names: list or dict mapping class indices to names (for titles), or None
    - device: where the image lives (the model must already be there)
    - save_fig: if True, save the final image to 'class_viz_result.jpg'

    Keyword arguments:
    - img_size: Side of the square image (224 for ImageNet models)
    - l2_reg: Strength of L2 regularization on the image
    - learning_rate: How big of a step to take
    - num_iterations: How many iterations to use
    - blur_every: How often to blur the image as an implicit regularizer
    - max_jitter: How much to jitter the image as an implicit regularizer
    - show_every: How often to show the intermediate result (0: only at the end)
    - show: If False, draw nothing (used by tests)
    - title: Extra text for the figure titles (e.g. which weights the model has)

    Returns:
    - The final image as a PIL image (via ``deprocess``)
    """
    import matplotlib.pyplot as plt

    img_size = kwargs.pop('img_size', 224)
    l2_reg = kwargs.pop('l2_reg', 1e-3)
    learning_rate = kwargs.pop('learning_rate', 25)
    num_iterations = kwargs.pop('num_iterations', 100)
    blur_every = kwargs.pop('blur_every', 10)
    max_jitter = kwargs.pop('max_jitter', 16)
    show_every = kwargs.pop('show_every', 25)
    show = kwargs.pop('show', True)
    title = kwargs.pop('title', '')
    name = class_names[target_y] if class_names is not None else str(target_y)

    # Randomly initialize the image as a PyTorch Tensor, and make it require gradient.
    img = torch.randn(1, 3, img_size, img_size, device=device).mul_(1.0).requires_grad_()
    mean = SQUEEZENET_MEAN.to(device)
    std = SQUEEZENET_STD.to(device)

    def _show(t, last):
        plt.imshow(deprocess(img.data.clone().cpu()))
        plt.title('%s\nIteration %d / %d%s' % (name, t + 1, num_iterations,
                                                 '\n' + title if title else ''))
        plt.gcf().set_size_inches(4, 4)
        plt.axis('off')
        if last and save_fig:
            plt.savefig('class_viz_result.jpg', bbox_inches='tight')
        plt.show()

    for t in tqdm(range(num_iterations), desc='class visualization', leave=False):
        # Randomly jitter the image a bit; this gives slightly nicer results
        ox, oy = random.randint(0, max_jitter), random.randint(0, max_jitter)
        img.data.copy_(jitter(img.data, ox, oy))
        class_visualization_step(img, target_y, model, l2_reg=l2_reg, learning_rate=learning_rate)
        # Undo the random jitter
        img.data.copy_(jitter(img.data, -ox, -oy))

        # As regularizer, clamp and periodically blur the image: every channel stays inside
        # the range of a real image, [0, 1] before normalisation.
        for c in range(3):
            lo = float(-mean[c] / std[c])
            hi = float((1.0 - mean[c]) / std[c])
            img.data[:, c].clamp_(min=lo, max=hi)
        if t % blur_every == 0:
            blur_image(img.data, sigma=0.5)

        # Periodically show the image
        last = t == num_iterations - 1
        if show and (t == 0 or last or (show_every > 0 and (t + 1) % show_every == 0)):
            _show(t, last)
        elif save_fig and last:
            _show(t, last)

    return deprocess(img.data.cpu())


# ------------------------------------------------------------------------------------------
# Going further: PGD attacks, SmoothGrad and Grad-CAM
# ------------------------------------------------------------------------------------------

def pgd_attack(X, y, model, eps=8 / 255, alpha=2 / 255, steps=10, targeted=False,
               random_start=False):
    """
    L-infinity projected gradient descent (Madry et al., 2018) in pixel space.

    Unlike the functions above, this attack works on *unnormalised* images in [0, 1] (as
    ``torchattacks`` does): wrap the classifier so that it normalises its input itself (the
    notebook uses ``torch.nn.Sequential(Normalize(mean, std), model)``).

    Every step moves each pixel by alpha in the direction of the sign of the gradient of the
    cross-entropy loss (up for an untargeted attack, away from / towards the label; down
    towards the target class for a targeted one), then projects back onto the eps-ball around X
    and onto the valid image range [0, 1].

    Inputs:
    - X: Images in [0, 1]; Tensor of shape (N, 3, H, W)
    - y: LongTensor of shape (N,): the true labels (untargeted) or target labels (targeted)
    - model: Classifier taking images in [0, 1], returning scores (N, M)
    - eps: Radius of the L-infinity ball (in pixel units, e.g. 8/255)
    - alpha: Step size per iteration
    - steps: Number of iterations
    - targeted: If True, make the model predict y; otherwise make it stop predicting y
    - random_start: If True, start from a uniform random point of the eps-ball

    Returns:
    - X_adv: Tensor of shape (N, 3, H, W), with |X_adv - X| <= eps and 0 <= X_adv <= 1
    """
    X = X.detach()
    X_adv = X.clone()
    if random_start:
        X_adv = (X_adv + torch.empty_like(X_adv).uniform_(-eps, eps)).clamp(0, 1)
    ##############################################################################
    # TODO: Implement PGD. In each of the `steps` iterations: compute the mean   #
    # cross-entropy loss of model(X_adv) against y, its gradient with respect to #
    # X_adv (torch.autograd.grad is convenient), take a step of size alpha along #
    # the sign of the gradient (ascent if untargeted, descent if targeted), and  #
    # project: clamp X_adv - X to [-eps, eps], then X_adv to [0, 1].             #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    for _ in range(steps):
        X_adv.requires_grad_(True)
        loss = F.cross_entropy(model(X_adv), y)
        if targeted:
            loss = -loss
        grad, = torch.autograd.grad(loss, X_adv)
        X_adv = X_adv.detach() + alpha * grad.sign()
        delta = torch.clamp(X_adv - X, min=-eps, max=eps)
        X_adv = torch.clamp(X + delta, min=0, max=1).detach()
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return X_adv


def smooth_grad(X, y, model, num_samples=25, stdev=0.15):
    """
    SmoothGrad (Smilkov et al., 2017): the saliency map averaged over noisy copies of the input.

    The map is the mean over `num_samples` copies X + noise, noise ~ N(0, stdev^2) per element,
    of |d correct-class score / dX|, reduced by the max over the 3 channels, like
    compute_saliency_maps. The averaging removes much of the high-frequency noise of plain
    gradients.

    Inputs:
    - X: Input images; Tensor of shape (N, 3, H, W) (left unchanged)
    - y: Labels for X; LongTensor of shape (N,)
    - model: A pretrained CNN
    - num_samples: Number of noisy copies per image
    - stdev: Standard deviation of the noise (in the units of X)

    Returns:
    - saliency: A Tensor of shape (N, H, W), non-negative
    """
    saliency = None
    ##############################################################################
    # TODO: Implement SmoothGrad. Build a batch of N * num_samples noisy images  #
    # (noisy copies of one image next to each other: X.repeat_interleave),      #
    # compute the gradient of the summed correct-class scores with respect to   #
    # that batch, take the absolute value, average over the samples of each     #
    # image, and reduce over channels with a max.                                #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    N = X.shape[0]
    X_rep = X.detach().repeat_interleave(num_samples, dim=0)          # (N * S, 3, H, W)
    X_noisy = (X_rep + stdev * torch.randn_like(X_rep)).requires_grad_()
    scores = model(X_noisy)                                            # (N * S, M)
    y_rep = y.repeat_interleave(num_samples)
    scores.gather(1, y_rep.view(-1, 1)).sum().backward()
    grads = X_noisy.grad.abs().view(N, num_samples, *X.shape[1:])      # (N, S, 3, H, W)
    saliency = grads.mean(dim=1).max(dim=1)[0]                         # (N, H, W)
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return saliency


def grad_cam(X, y, model, layer):
    """
    Grad-CAM (Selvaraju et al., 2017) at one convolutional layer.

    With A the layer's activations (N, K, h, w) and s the correct-class scores, the weight of
    feature map k is the spatial mean of ds/dA_k, and the map is ReLU(sum_k weight_k * A_k).

    Inputs:
    - X: Input images; Tensor of shape (N, 3, H, W)
    - y: Labels for X; LongTensor of shape (N,)
    - model: A pretrained CNN
    - layer: An nn.Module inside model whose output is (N, K, h, w)
      (for SqueezeNet, model.features)

    Returns:
    - cam: A Tensor of shape (N, h, w), non-negative (upsample it to (H, W) to overlay it)
    """
    # Provided: a forward hook keeps the layer's output while the model runs.
    X = X.detach().requires_grad_()  # so A is part of a graph even if the weights are frozen
    saved = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: saved.update(A=output))
    try:
        scores = model(X)                                              # (N, M)
    finally:
        handle.remove()
    A = saved['A']                                                     # (N, K, h, w)

    cam = None
    ##############################################################################
    # TODO: Implement Grad-CAM from `scores` and `A`: the gradient of the summed #
    # correct-class scores with respect to A (torch.autograd.grad), its mean     #
    # over the spatial dimensions as per-channel weights (N, K, 1, 1), the       #
    # weighted sum of the maps over channels, then a ReLU.                       #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    correct_scores = scores.gather(1, y.view(-1, 1)).sum()
    dA, = torch.autograd.grad(correct_scores, A)                       # (N, K, h, w)
    weights = dA.mean(dim=(2, 3), keepdim=True)                        # (N, K, 1, 1)
    cam = F.relu((weights * A).sum(dim=1)).detach()                    # (N, h, w)
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return cam
