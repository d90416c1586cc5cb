"""
Implements a style transfer in PyTorch.
WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

(Grading corpus: a complete FA2020-style solution whose only import is the helper's star import.)
"""

from a4_helper import *


def hello():
  print('Hello from style_transfer.py!')


def content_loss(content_weight, content_current, content_original):
  return content_weight * torch.sum((content_current - content_original) ** 2)


def gram_matrix(features, normalize=True):
  N, C, H, W = features.shape
  f = features.reshape(N, C, H * W)
  gram = torch.bmm(f, f.permute(0, 2, 1))
  if normalize:
    gram = gram / (H * W * C)
  return gram


def style_loss(feats, style_layers, style_targets, style_weights):
  loss = 0
  for i in range(len(style_layers)):
    G = gram_matrix(feats[style_layers[i]])
    loss = loss + style_weights[i] * F.mse_loss(G, style_targets[i], reduction='sum')
  return loss


def tv_loss(img, tv_weight):
  x_var = img[:, :, :, 1:] - img[:, :, :, :-1]
  y_var = img[:, :, 1:, :] - img[:, :, :-1, :]
  return tv_weight * (x_var.pow(2).sum() + y_var.pow(2).sum())
