"""Helper package for EECS 498-007 Assignment 4 (and the CS231n A3 GAN question).

Modules, one job each: ``assignment`` (the registry of notebooks), ``device`` (device and run
size), ``resources`` (where every file comes from; behind it ``catalog``, ``checksums``,
``download``), ``data`` (loaders), ``pretrained`` (ImageNet models), ``model_cache`` (the cache of
the project-trained models: ``caption_features``, ``digit_classifier``, ``gan_quality``),
``synthetic_captions`` (with ``synthetic_scenes``, ``scene_rendering``), ``captioning`` (Q2's
notebook helpers), ``cifar_recipes`` (Q1's training recipes), ``utils`` (seeding, images,
captions), ``grad`` (gradient checks), ``stored_checks`` (checks against stored values),
``submit`` (submission zip), ``notebook``/``colab`` (first notebook cells), ``run_notebooks``
(``python -m eecs598 run``), ``release``/``leak_check``/``leak_behaviour`` (student release),
``grading`` (the autograder).
"""
from . import data, device, grad, resources, submit, utils
from .device import get_device, is_fast, pick
from .grad import compute_numeric_gradient, grad_check_sparse, rel_error
from .submit import make_a4_submission
from .utils import (attention_visualizer, decode_captions, plot_history, reset_seed,
                    show_captioned_images, tensor_to_image, visualize_dataset)
