"""ImageNet-pretrained SqueezeNet 1.1 and MobileNetV2, with an explicit choice when unavailable.

The spec's expected numbers depend on torchvision's IMAGENET1K_V1 weights (MobileNetV2's current
default is V2, which would change them), so these loaders always ask for V1 through
:func:`eecs598.resources.fetch` (torch.hub cache, data cache, mirror, then download).

``pretrained`` is the caller's explicit choice:

* ``True``   -- ImageNet weights or :class:`ResourceUnavailable`;
* ``False``  -- untrained weights (seeded, so runs repeat);
* ``'auto'`` -- ImageNet weights when they can be had, otherwise untrained, with a warning.

Every returned model carries ``weights_source`` (a sentence for titles and logs) and
``is_imagenet``, so no output made without ImageNet weights can pass for one made with them.
A stand-in weights file registered by a test (``EECS598_STANDINS``) is fetched and loaded like the
real one but is not ImageNet: ``is_imagenet`` False, ``is_standin`` True, and its
``weights_source`` starts with "STAND-IN".
"""
import torch
import torchvision

from .resources import ResourceUnavailable, fetch, identify

UNTRAINED_SEED = 0


def _load(name, builder, pretrained, verbose):
    if pretrained not in (True, False, "auto"):
        raise ValueError(f"pretrained must be True, False or 'auto', got {pretrained!r}")
    model, source = None, None
    if pretrained in (True, "auto"):
        try:
            path = fetch(name)
            state = torch.load(path, map_location="cpu", weights_only=True)
            model = builder(weights=None)
            model.load_state_dict(state)
            source = f"ImageNet IMAGENET1K_V1 ({name})"
            edition = identify(name, path)
            if edition is not None and edition.label.startswith("STAND-IN"):
                # a test file with the real layout: downloaded and loaded like the real one, but
                # never treated as ImageNet (no output made with it can pass for an ImageNet one)
                source = f"{edition.label} in place of ImageNet IMAGENET1K_V1 ({name})"
        except ResourceUnavailable as err:
            if pretrained is True:
                raise
            print(f"[eecs598.pretrained] WARNING: ImageNet weights for {name} are unavailable:\n{err}")
    if model is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(UNTRAINED_SEED)
            model = builder(weights=None)
        source = (f"UNTRAINED {name} (random init, seed {UNTRAINED_SEED}): "
                  f"no ImageNet weights were available")
    model.weights_source = source
    model.is_imagenet = source.startswith("ImageNet")
    model.is_standin = source.startswith("STAND-IN")
    if verbose:
        print(f"[eecs598.pretrained] {name}: {source}")
    return model.eval()


def load_squeezenet(pretrained="auto", verbose=True):
    """torchvision SqueezeNet 1.1 in eval mode (see module docstring for ``pretrained``)."""
    return _load("squeezenet1_1", torchvision.models.squeezenet1_1, pretrained, verbose)


def load_mobilenet_v2(pretrained="auto", verbose=True):
    """torchvision MobileNetV2 in eval mode (see module docstring for ``pretrained``)."""
    return _load("mobilenet_v2", torchvision.models.mobilenet_v2, pretrained, verbose)


def imagenet_class_names():
    """The 1000 ImageNet class names in index order (short names, from torchvision's metadata)."""
    return list(torchvision.models.SqueezeNet1_1_Weights.IMAGENET1K_V1.meta["categories"])
