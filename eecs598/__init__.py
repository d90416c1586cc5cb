"""Helper package for EECS 498-007 Assignment 4 (and the CS231n A3 GAN question).

Modules, one job each: ``device`` (device and run size), ``resources`` (where every file comes
from), ``data`` (loaders), ``pretrained`` (ImageNet models), ``utils`` (seeding, images, captions),
``grad`` (gradient checks), ``submit`` (submission zip), ``notebook`` (first notebook cell),
``run_notebooks`` (``python -m eecs598 run``).
"""
from . import data, device, grad, resources, submit, utils
from .device import get_device, is_fast, pick
from .grad import compute_numeric_gradient, grad_check_sparse, rel_error
from .submit import make_a4_submission
from .utils import (attention_visualizer, decode_captions, plot_history, reset_seed,
                    show_captioned_images, tensor_to_image, visualize_dataset)
