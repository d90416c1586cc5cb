"""Implements style transfer (Gatys et al., CVPR 2016) with SqueezeNet features in PyTorch.

WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

An image is optimised so that its deep features match those of a *content* image and the Gram
matrices (feature correlations) of its features match those of a *style* image; a total-variation
term keeps it smooth. The features come from ``squeezenet1_1().features`` (13 modules; the style
layers 1, 4, 6, 7 have 64, 128, 256 and 256 channels, the content layer 3 has 128).

Symbols used in docstrings and shape comments:
    N  batch size (1 for the images optimised here)
    C  number of feature channels at a layer
    H, W  spatial size of a feature map (or of the image, for ``tv_loss``)
    R  number of regions (masks) in guided style transfer

Student functions (as in EECS 498 FA2020 A4 / CS231n A3): ``content_loss``, ``gram_matrix``,
``style_loss``, ``tv_loss``; going further (as in the 2022 edition): ``guided_gram_matrix``,
``guided_style_loss``. Everything else is provided.

Differences from the originals, all deliberate:
  * ``style_transfer`` takes the network as ``cnn=`` and the device from it, instead of reading
    a global ``cnn`` and hard-coding ``torch.cuda.FloatTensor``; it also accepts PIL images as
    well as file paths, and returns a history (losses per iteration, intermediate images) so the
    notebook can plot a loss curve. With its defaults it runs the original schedule exactly.
  * ``num_iters`` is adjustable; the learning-rate decay and the end of clamping stay at the
    original fractions of the run (180/200 and 190/200).
  * ``features_from_img`` takes ``cnn`` as an argument (as in CS231n 2020).
  * The drivers run the network only up to the deepest layer the losses read (``truncate``):
    the same losses, less forward work.
"""
import time

import matplotlib.pyplot as plt
import PIL.Image
import torch
from tqdm.auto import tqdm

from a4_helper import deprocess, preprocess


def hello():
    """
    This is a sample function that we will try to import and run to ensure that
    our environment is correctly set up on Google Colab.
    """
    print('Hello from style_transfer.py!')


# optimisation schedule of the original notebooks (Adam, 200 iterations)
INITIAL_LR = 3.0        # Adam learning rate at the start (pixels of a normalised image)
DECAYED_LR = 0.1        # learning rate after the decay
DECAY_LR_FRACTION = 0.9     # decay at t == 180 of 200
CLAMP_FRACTION = 0.95       # clamp the image to [-1.5, 1.5] while t < 190 of 200
CLAMP_RANGE = 1.5       # |pixel| bound in normalised units (about 0.34 +- 1.5 * 0.225 in [0, 1])


def content_loss(content_weight, content_current, content_original):
    """
    Compute the content loss for style transfer.

    Inputs:
    - content_weight: Scalar giving the weighting for the content loss.
    - content_current: features of the current image; this is a PyTorch Tensor of shape
      (1, C_l, H_l, W_l).
    - content_original: features of the content image, Tensor with shape (1, C_l, H_l, W_l).

    Returns:
    - scalar content loss: w_c * sum((F - P) ** 2)
    """
    loss = None
    ##############################################################################
    # TODO: Compute the content loss for style transfer.                         #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = content_weight * ((content_current - content_original) ** 2).sum()
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


def gram_matrix(features, normalize=True):
    """
    Compute the Gram matrix from features.

    Inputs:
    - features: PyTorch Tensor of shape (N, C, H, W) giving features for
      a batch of N images.
    - normalize: optional, whether to normalize the Gram matrix
        If True, divide the Gram matrix by the number of neurons (H * W * C)

    Returns:
    - gram: PyTorch Tensor of shape (N, C, C) giving the
      (optionally normalized) Gram matrices for the N input images.
      (~4 lines, no loops)
    """
    gram = None
    ##############################################################################
    # TODO: Compute the Gram matrix from features.                               #
    # Don't forget to implement for both normalized and non-normalized version   #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    N, C, H, W = features.shape
    F = features.reshape(N, C, H * W)                 # (N, C, H*W)
    gram = torch.bmm(F, F.transpose(1, 2))            # (N, C, C)
    if normalize:
        gram = gram / (H * W * C)
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return gram


def style_loss(feats, style_layers, style_targets, style_weights):
    """
    Computes the style loss at a set of layers.

    Inputs:
    - feats: list of the features at every layer of the current image, as produced by
      the extract_features function.
    - style_layers: List of layer indices into feats giving the layers to include in the
      style loss.
    - style_targets: List of the same length as style_layers, where style_targets[i] is
      a PyTorch Tensor giving the Gram matrix of the source style image computed at
      layer style_layers[i].
    - style_weights: List of the same length as style_layers, where style_weights[i]
      is a scalar giving the weight for the style loss at layer style_layers[i].

    Returns:
    - style_loss: A PyTorch Tensor holding a scalar giving the style loss:
      sum_i w_i * sum((G(feats[style_layers[i]]) - style_targets[i]) ** 2)
      (~5 lines, one loop over the style layers)
    """
    loss = None
    ##############################################################################
    # TODO: Computes the style loss at a set of layers.                          #
    # Hint: you can do this with one for loop over the style layers, and should #
    # not be very much code (~5 lines).                                          #
    # You will need to use your gram_matrix function.                            #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = 0.0
    for layer, target, weight in zip(style_layers, style_targets, style_weights):
        G = gram_matrix(feats[layer])
        loss = loss + weight * ((G - target) ** 2).sum()
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


def tv_loss(img, tv_weight):
    """
    Compute total variation loss.

    Inputs:
    - img: PyTorch Variable of shape (1, 3, H, W) holding an input image.
    - tv_weight: Scalar giving the weight w_t to use for the TV loss.

    Returns:
    - loss: PyTorch Variable holding a scalar giving the total variation loss
      for img weighted by tv_weight: w_t * (sum of squared differences between vertical
      neighbours + sum of squared differences between horizontal neighbours), over all
      channels. (~3 lines)
    """
    loss = None
    ##############################################################################
    # TODO: Compute total variation loss.                                        #
    # Your implementation should be vectorized and not require any loops!        #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    dh = img[:, :, 1:, :] - img[:, :, :-1, :]         # (N, 3, H-1, W)
    dw = img[:, :, :, 1:] - img[:, :, :, :-1]         # (N, 3, H, W-1)
    loss = tv_weight * ((dh ** 2).sum() + (dw ** 2).sum())
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


def guided_gram_matrix(features, masks, normalize=True):
    """
    Compute the guided Gram matrix: one Gram matrix per region, of the features weighted by
    that region's mask (Gatys et al., "Controlling Perceptual Factors in Neural Style
    Transfer", CVPR 2017; the 2022 edition of this assignment).

    Inputs:
    - features: PyTorch Tensor of shape (N, R, C, H, W) giving features for
      a batch of N images (the same features repeated for each of the R regions is fine,
      and so is (N, 1, C, H, W), which broadcasts over the regions).
    - masks: PyTorch Tensor of shape (N, R, H, W) with values in [0, 1].
    - normalize: optional, whether to normalize the Gram matrix
        If True, divide the Gram matrix by the number of neurons (H * W * C)

    Returns:
    - gram: PyTorch Tensor of shape (N, R, C, C) giving the
      (optionally normalized) guided Gram matrices for the N input images.
      (~5 lines; no loop needed)
    """
    guided_gram = None
    ##############################################################################
    # TODO: Compute the guided Gram matrix from features.                        #
    # Apply the regional guidance mask to its corresponding feature and          #
    # calculate the Gram Matrix.                                                 #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    N, R, H, W = masks.shape
    C = features.shape[2]
    F = (features * masks.unsqueeze(2)).reshape(N, R, C, H * W)   # (N, R, C, H*W)
    guided_gram = F @ F.transpose(-1, -2)                          # (N, R, C, C)
    if normalize:
        guided_gram = guided_gram / (H * W * C)
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return guided_gram


def guided_style_loss(feats, style_layers, style_targets, style_weights, content_masks):
    """
    Computes the guided style loss at a set of layers.

    Inputs:
    - feats: list of the features at every layer of the current image, as produced by
      the extract_features function: feats[l] has shape (N, C_l, H_l, W_l).
    - style_layers: List of layer indices into feats giving the layers to include in the
      style loss.
    - style_targets: List of the same length as style_layers, where style_targets[i] is
      a PyTorch Tensor of shape (N, R, C_l, C_l) giving the target guided Gram matrices of
      the R regions at layer style_layers[i].
    - style_weights: List of the same length as style_layers, where style_weights[i]
      is a scalar giving the weight for the style loss at layer style_layers[i].
    - content_masks: List indexed like feats, where content_masks[l] is a Tensor of shape
      (N, R, H_l, W_l): the regions of the image being optimised, at layer l's resolution.

    Returns:
    - style_loss: A PyTorch Tensor holding a scalar giving the guided style loss:
      sum_i w_i * sum((guided_G_i - style_targets[i]) ** 2)   (~5 lines)
    """
    loss = None
    ##############################################################################
    # TODO: Computes the guided style loss at a set of layers.                   #
    # Use guided_gram_matrix; features of shape (N, C, H, W) can be given to it  #
    # as (N, 1, C, H, W) so that they broadcast over the regions.                #
    ##############################################################################
    # Replace "pass" statement with your code
    # BEGIN SOLUTION
    loss = 0.0
    for layer, target, weight in zip(style_layers, style_targets, style_weights):
        G = guided_gram_matrix(feats[layer].unsqueeze(1), content_masks[layer])
        loss = loss + weight * ((G - target) ** 2).sum()
    # END SOLUTION
    ##############################################################################
    #                             END OF YOUR CODE                               #
    ##############################################################################
    return loss


##################################################################################
# Provided code: feature extraction and the optimisation driver                  #
##################################################################################

def extract_features(x, cnn):
    """
    Use the CNN to extract features from the input image x.

    Inputs:
    - x: A PyTorch Tensor of shape (N, C, H, W) holding a minibatch of images that
      will be fed to the CNN.
    - cnn: A PyTorch model (an nn.Sequential such as squeezenet1_1().features) that we
      will use to extract features.

    Returns:
    - features: A list of feature for the input images x extracted using the cnn model.
      features[i] is a PyTorch Tensor of shape (N, C_i, H_i, W_i); recall that features
      from different layers of the network may have different numbers of channels (C_i) and
      spatial dimensions (H_i, W_i).
    """
    features = []
    prev_feat = x
    for module in cnn._modules.values():
        next_feat = module(prev_feat)
        features.append(next_feat)
        prev_feat = next_feat
    return features


def _cnn_device(cnn):
    """The device of the network's first parameter (CPU for a parameter-free network)."""
    for p in cnn.parameters():
        return p.device
    return torch.device('cpu')


def load_image(image):
    """Return a PIL RGB image from a PIL image or a file path."""
    if isinstance(image, PIL.Image.Image):
        return image.convert('RGB')
    with PIL.Image.open(image) as img:
        return img.convert('RGB')


def features_from_img(imgpath, imgsize, cnn):
    """
    Load an image (a file path or a PIL image), preprocess it at size imgsize (shorter side)
    and extract its features.

    Returns:
    - features: list of Tensors, as from extract_features (not detached; wrap the call in
      torch.no_grad() when the features are targets)
    - img: Tensor of shape (1, 3, H, W) on the network's device
    """
    img = preprocess(load_image(imgpath), size=imgsize)
    img_var = img.to(_cnn_device(cnn))
    return extract_features(img_var, cnn), img_var


def truncate(cnn, layers):
    """The first max(layers) + 1 modules of an nn.Sequential ``cnn`` (provided).

    The losses only read features up to the deepest content/style layer, so running the later
    modules (8-12 for the default layers) is wasted forward work; indices are unchanged.
    """
    return cnn[:max(layers) + 1] if isinstance(cnn, torch.nn.Sequential) else cnn


def weights_note(cnn):
    """'' for ImageNet features, else a label stating where the features come from.

    The notebook copies ``weights_source`` and ``is_imagenet`` from the model returned by
    ``eecs598.pretrained.load_squeezenet`` onto ``cnn``; random features are never presented
    as if they were the course's ImageNet features.
    """
    if getattr(cnn, 'is_imagenet', True):
        return ''
    return 'features: ' + getattr(cnn, 'weights_source', 'not ImageNet')


def _schedule(num_iters, decay_lr_at=None, clamp_until=None):
    """Iteration of the learning-rate decay and the end of clamping (180 and 190 for 200)."""
    if decay_lr_at is None:
        decay_lr_at = int(round(DECAY_LR_FRACTION * num_iters))
    if clamp_until is None:
        clamp_until = int(round(CLAMP_FRACTION * num_iters))
    return decay_lr_at, clamp_until


def optimize_image(img, loss_fn, num_iters=200, initial_lr=INITIAL_LR, decayed_lr=DECAYED_LR,
                   decay_lr_at=None, clamp_until=None, show_every=100, show=True, title='',
                   progress=True):
    """
    Run the original optimisation schedule on an image (provided; shared by every driver).

    Adam at ``initial_lr``; at ``t == decay_lr_at`` it is replaced by a fresh Adam at
    ``decayed_lr`` (a fresh optimiser also drops the moment estimates built up at the large
    rate). While ``t < clamp_until`` the image is clamped to [-1.5, 1.5] before each step, which
    keeps the large early steps inside the range of natural images; the last steps are
    unclamped so that the small-rate refinement is not undone.

    Inputs:
    - img: Tensor of shape (1, 3, H, W), the starting image (it is cloned, not modified)
    - loss_fn: function img -> dict of scalar Tensors (e.g. content, style, tv); their sum is
      minimised
    - num_iters, initial_lr, decayed_lr, decay_lr_at, clamp_until: the schedule
    - show_every: show the image every this many iterations (and at the end) when show
    - title: text appended to every figure title (e.g. which features are used)

    Returns a history dict:
    - 'image': final image, Tensor (1, 3, H, W) on the CPU
    - 'loss': list of total losses (float), one per iteration, before that iteration's step;
      one list per term of loss_fn too, under its key
    - 'snapshots': list of (t, PIL image) taken every show_every iterations and at the end
    - 'seconds': wall time of the loop
    """
    decay_lr_at, clamp_until = _schedule(num_iters, decay_lr_at, clamp_until)
    img = img.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([img], lr=initial_lr)
    history = {'loss': [], 'snapshots': []}

    def snapshot(t):
        pil = deprocess(img.detach().cpu())
        history['snapshots'].append((t, pil))
        if show:
            plt.figure(figsize=(5, 4))
            plt.axis('off')
            plt.imshow(pil)
            plt.title(f'Iteration {t}' + (f'\n{title}' if title else ''), fontsize=9)
            plt.show()

    start = time.perf_counter()
    for t in tqdm(range(num_iters), disable=not progress, leave=False):
        if t < clamp_until:
            with torch.no_grad():
                img.clamp_(-CLAMP_RANGE, CLAMP_RANGE)
        optimizer.zero_grad()
        terms = loss_fn(img)
        loss = sum(terms.values())
        loss.backward()
        history['loss'].append(loss.item())
        for k, v in terms.items():
            history.setdefault(k, []).append(float(v.detach()) if torch.is_tensor(v) else float(v))
        if t == decay_lr_at:
            optimizer = torch.optim.Adam([img], lr=decayed_lr)
        optimizer.step()
        if show_every and t % show_every == 0:
            snapshot(t)
    history['seconds'] = time.perf_counter() - start
    snapshot(num_iters)
    history['image'] = img.detach().cpu()
    return history


def style_targets_from_images(style_images, style_size, style_layers, cnn, blend=None):
    """
    Gram-matrix targets at the style layers, for one style image or a blend of several.

    Inputs:
    - style_images: a path or PIL image, or a list of them
    - style_size: size (shorter side) to preprocess the style images at
    - style_layers: list of layer indices
    - blend: list of non-negative weights, one per style image (default: equal weights).
      Blending the Gram matrices (not the images) mixes the two styles' feature statistics.

    Returns: list of Tensors of shape (1, C_l, C_l), one per style layer
    """
    if isinstance(style_images, (str, PIL.Image.Image)) or hasattr(style_images, '__fspath__'):
        style_images = [style_images]
    if blend is None:
        blend = [1.0 / len(style_images)] * len(style_images)
    assert len(blend) == len(style_images), 'one blend weight per style image'
    total = float(sum(blend))
    targets = [0.0] * len(style_layers)
    with torch.no_grad():       # targets are constants: no graph back into the style image
        for image, w in zip(style_images, blend):
            feats, _ = features_from_img(image, style_size, cnn)
            for i, idx in enumerate(style_layers):
                targets[i] = targets[i] + (w / total) * gram_matrix(feats[idx])
    return targets


def plot_history(history, title=''):
    """Plot the loss curve of one run (total and each term, log scale)."""
    plt.figure(figsize=(6, 3.5))
    for key, values in history.items():
        if isinstance(values, list) and values and isinstance(values[0], float):
            if key != 'loss' and max(values) <= 0:
                continue            # a term with weight 0 (e.g. no style in feature inversion)
            plt.semilogy(values, label='total' if key == 'loss' else key,
                         lw=2 if key == 'loss' else 1)
    plt.xlabel('iteration')
    plt.ylabel('loss')
    plt.legend()
    plt.title('Loss' + (f'\n{title}' if title else ''), fontsize=9)
    plt.tight_layout()
    plt.show()


def _optimize_and_save(img, loss_fn, num_iters, show_every, show, note, progress,
                       save_image, result_filename):
    """Run :func:`optimize_image` and, if asked, save the final image; returns the history."""
    history = optimize_image(img, loss_fn, num_iters=num_iters, show_every=show_every,
                             show=show, title=note, progress=progress)
    if save_image:
        assert result_filename, 'result_filename is required with save_image=True'
        deprocess(history['image']).save(result_filename)
    return history


def style_transfer(content_image, style_image, image_size, style_size, content_layer,
                   content_weight, style_layers, style_weights, tv_weight, init_random=False,
                   save_image=False, result_filename=None, *, cnn, num_iters=200,
                   show_every=100, show=True, style_blend=None, progress=True):
    """
    Run style transfer!

    Inputs:
    - content_image: filename (or PIL image) of content image
    - style_image: filename (or PIL image) of style image, or a list of them to blend
    - image_size: size of smallest image dimension (used for content loss and generated image)
    - style_size: size of smallest style image dimension
    - content_layer: layer to use for content loss
    - content_weight: weighting on content loss
    - style_layers: list of layers to use for style loss
    - style_weights: list of weights to use for each layer in style_layers
    - tv_weight: weight of total variation regularization term
    - init_random: initialize the starting image to uniform random noise
    - save_image: save the final image to result_filename
    - result_filename: file name of the saved image (.jpg)
    - cnn: the feature network (squeezenet1_1().features), frozen; it sets the device
    - num_iters, show_every, show: length of the run and how often to show the image
    - style_blend: blend weights when style_image is a list (see style_targets_from_images)

    Returns: the history dict of optimize_image (final image, losses, snapshots).
    """
    note = weights_note(cnn)
    cnn = truncate(cnn, [content_layer, *style_layers])
    # Extract features for the content image; detached, as it is a fixed target.
    with torch.no_grad():
        feats, content_img = features_from_img(content_image, image_size, cnn)
        content_target = feats[content_layer].clone()
    # Extract features for the style image(s).
    style_targets = style_targets_from_images(style_image, style_size, style_layers, cnn,
                                              blend=style_blend)

    # Initialize output image to content image or noise
    if init_random:
        img = torch.empty_like(content_img).uniform_(0, 1)
    else:
        img = content_img.clone()

    def loss_fn(img):
        feats = extract_features(img, cnn)
        return {
            'content': content_loss(content_weight, feats[content_layer], content_target),
            'style': style_loss(feats, style_layers, style_targets, style_weights),
            'tv': tv_loss(img, tv_weight),
        }

    if show:
        show_pair(content_image, style_image, image_size, style_size, note)
    return _optimize_and_save(img, loss_fn, num_iters, show_every, show, note, progress,
                              save_image, result_filename)


def show_pair(content_image, style_image, image_size, style_size, note=''):
    """Show the (preprocessed) content and style images side by side."""
    styles = style_image if isinstance(style_image, (list, tuple)) else [style_image]
    images = [content_image] + list(styles)
    sizes = [image_size] + [style_size] * len(styles)
    names = ['Content Source Img.'] + ['Style Source Img.'] * len(styles)
    fig, axes = plt.subplots(1, len(images), figsize=(4 * len(images), 3.2))
    for ax, image, size, name in zip(axes, images, sizes, names):
        ax.axis('off')
        ax.imshow(deprocess(preprocess(load_image(image), size=size)))
        ax.set_title(name)
    if note:
        fig.suptitle(note, fontsize=9)
    plt.show()


def region_masks(masks, cnn, image_size_hw):
    """
    Resize region masks to every layer's resolution.

    Inputs:
    - masks: Tensor of shape (R, H, W) (any resolution), values in [0, 1]
    - cnn: the feature network
    - image_size_hw: (H, W) of the image being optimised

    Returns: list indexed like extract_features' output; element l has shape
    (1, R, H_l, W_l) on the network's device.
    """
    device = _cnn_device(cnn)
    masks = masks.float().to(device).unsqueeze(0)                          # (1, R, H, W)
    with torch.no_grad():
        probe = torch.zeros(1, 3, *image_size_hw, device=device)
        shapes = [f.shape[-2:] for f in extract_features(probe, cnn)]
    # Area interpolation keeps soft borders and the fraction of each region at every layer.
    return [torch.nn.functional.interpolate(masks, size=tuple(s), mode='area') for s in shapes]


def guided_style_transfer(content_image, style_images, masks, image_size, style_size,
                          content_layer, content_weight, style_layers, style_weights, tv_weight,
                          init_random=False, save_image=False, result_filename=None, *, cnn,
                          num_iters=200, show_every=100, show=True, progress=True):
    """
    Spatially guided style transfer: region r of the content image takes the style of
    style_images[r] (provided driver for guided_gram_matrix / guided_style_loss).

    Inputs as for style_transfer, plus:
    - style_images: list of R style images (paths or PIL images)
    - masks: Tensor of shape (R, H, W) in [0, 1] (any resolution; resized to each layer),
      the regions of the content image; they should sum to about 1 at every pixel

    The target for region r at a layer is the style image's Gram matrix times the region's
    mask energy mean(m_r ** 2): guided_gram_matrix divides by the whole H * W * C, so a region
    covering a fraction of the image has correspondingly smaller correlations.

    Returns: the history dict of optimize_image.
    """
    note = weights_note(cnn)
    cnn = truncate(cnn, [content_layer, *style_layers])
    with torch.no_grad():
        feats, content_img = features_from_img(content_image, image_size, cnn)
        content_target = feats[content_layer].clone()
    layer_masks = region_masks(masks, cnn, content_img.shape[-2:])
    style_targets = []
    per_style = [style_targets_from_images(s, style_size, style_layers, cnn) for s in style_images]
    for i, idx in enumerate(style_layers):
        grams = torch.stack([targets[i][0] for targets in per_style]).unsqueeze(0)  # (1, R, C, C)
        energy = (layer_masks[idx] ** 2).mean(dim=(2, 3))                           # (1, R)
        style_targets.append(grams * energy[:, :, None, None])

    img = torch.empty_like(content_img).uniform_(0, 1) if init_random else content_img.clone()

    def loss_fn(img):
        feats = extract_features(img, cnn)
        return {
            'content': content_loss(content_weight, feats[content_layer], content_target),
            'style': guided_style_loss(feats, style_layers, style_targets, style_weights,
                                       layer_masks),
            'tv': tv_loss(img, tv_weight),
        }

    if show:
        show_pair(content_image, list(style_images), image_size, style_size, note)
    return _optimize_and_save(img, loss_fn, num_iters, show_every, show, note, progress,
                              save_image, result_filename)


def preserve_color(content_image, stylized):
    """
    Colour preservation by luminance transfer (Gatys et al., 2017, section 5.1, post-hoc
    variant): keep the stylised image's luminance (Y of YCbCr) and the content image's colour
    (Cb, Cr), resized to the stylised image.

    Inputs: content_image (path or PIL image), stylized (PIL image). Returns a PIL RGB image.
    """
    content = load_image(content_image).resize(stylized.size, PIL.Image.BICUBIC)
    y, _, _ = stylized.convert('YCbCr').split()
    _, cb, cr = content.convert('YCbCr').split()
    return PIL.Image.merge('YCbCr', (y, cb, cr)).convert('RGB')
