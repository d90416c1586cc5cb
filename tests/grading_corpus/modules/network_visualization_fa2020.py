"""
Implements a network visualization in PyTorch.
WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

(Grading corpus: a complete FA2020-style solution with the original header.)
"""

# import os
import torch
# import torchvision
# import torchvision.transforms as T
# import random
# import numpy as np
import matplotlib.pyplot as plt
from PIL import Image
from a4_helper import *


def hello():
  print('Hello from network_visualization.py!')


def compute_saliency_maps(X, y, model):
  # Make input tensor require gradient
  X.requires_grad_()

  saliency = None
  scores = model(X)
  correct_scores = scores.gather(1, y.view(-1, 1)).squeeze()
  loss = torch.sum(correct_scores)
  loss.backward()
  saliency, _ = torch.max(X.grad.data.abs(), dim=1)
  return saliency


def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
  # Initialize our adversarial attack to the input image, and make it require gradient
  X_adv = X.clone()
  X_adv = X_adv.requires_grad_()

  learning_rate = 1
  for i in range(max_iter):
    scores = model(X_adv)
    pred = scores.argmax(dim=1)
    if verbose:
      print('Iteration %d: target score %.3f, max score %.3f' % (i, scores[0, target_y].item(), scores.max().item()))
    if pred.item() == target_y:
      break
    target_score = scores[0, target_y]
    target_score.backward()
    with torch.no_grad():
      g = X_adv.grad
      dX = learning_rate * g / g.norm()
      X_adv += dX
      X_adv.grad.zero_()
  return X_adv


def class_visualization_step(img, target_y, model, **kwargs):
    l2_reg = kwargs.pop('l2_reg', 1e-3)
    learning_rate = kwargs.pop('learning_rate', 25)
    score = model(img)[0, target_y] - l2_reg * torch.norm(img) ** 2
    score.backward()
    with torch.no_grad():
      img.data += learning_rate * img.grad.data / torch.norm(img.grad.data)
      img.grad.data.zero_()
    return img
