"""
Implements pytorch autograd and nn in PyTorch.
WARNING: you SHOULD NOT use ".to()" or ".cuda()" in each implementation block.

(Grading corpus: a complete FA2020-style solution with the original header.)
"""

import torch
import torch.nn as nn
from a4_helper import *
import torch.nn.functional as F
import torch.optim as optim


def hello():
  print('Hello from pytorch_autograd_and_nn.py!')


################################################################################
# Part II. Barebones PyTorch
################################################################################
def flatten(x, start_dim=1, end_dim=-1):
  return x.flatten(start_dim=start_dim, end_dim=end_dim)


def three_layer_convnet(x, params):
  conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
  scores = None
  x = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
  x = F.relu(F.conv2d(x, conv_w2, conv_b2, padding=1))
  scores = F.linear(flatten(x), fc_w, fc_b)
  return scores


def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
  C, H, W = 3, 32, 32
  num_classes = 10
  channel_1 = 32
  channel_2 = 16
  kernel_size_1 = 5
  kernel_size_2 = 3

  conv_w1 = nn.init.kaiming_normal_(torch.empty(channel_1, C, kernel_size_1, kernel_size_1, dtype=dtype, device=device))
  conv_w1.requires_grad = True
  conv_b1 = nn.init.zeros_(torch.empty(channel_1, dtype=dtype, device=device))
  conv_b1.requires_grad = True
  conv_w2 = nn.init.kaiming_normal_(torch.empty(channel_2, channel_1, kernel_size_2, kernel_size_2, dtype=dtype, device=device))
  conv_w2.requires_grad = True
  conv_b2 = nn.init.zeros_(torch.empty(channel_2, dtype=dtype, device=device))
  conv_b2.requires_grad = True
  fc_w = nn.init.kaiming_normal_(torch.empty(num_classes, channel_2 * H * W, dtype=dtype, device=device))
  fc_w.requires_grad = True
  fc_b = nn.init.zeros_(torch.empty(num_classes, dtype=dtype, device=device))
  fc_b.requires_grad = True
  return [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b]


################################################################################
# Part III. PyTorch Module API
################################################################################
class ThreeLayerConvNet(nn.Module):
  def __init__(self, in_channel, channel_1, channel_2, num_classes):
    super().__init__()
    self.conv1 = nn.Conv2d(in_channel, channel_1, kernel_size=5, padding=2)
    nn.init.kaiming_normal_(self.conv1.weight)
    nn.init.zeros_(self.conv1.bias)
    self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size=3, padding=1)
    nn.init.kaiming_normal_(self.conv2.weight)
    nn.init.zeros_(self.conv2.bias)
    self.fc = nn.Linear(channel_2 * 32 * 32, num_classes)
    nn.init.kaiming_normal_(self.fc.weight)
    nn.init.zeros_(self.fc.bias)

  def forward(self, x):
    scores = None
    x = F.relu(self.conv1(x))
    x = F.relu(self.conv2(x))
    scores = self.fc(flatten(x))
    return scores


def initialize_three_layer_conv_part3():
  C = 3
  num_classes = 10
  channel_1 = 32
  channel_2 = 16
  learning_rate = 3e-3
  weight_decay = 1e-4
  model = ThreeLayerConvNet(C, channel_1, channel_2, num_classes)
  optimizer = optim.SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
  return model, optimizer


################################################################################
# Part IV. PyTorch Sequential API
################################################################################
class Flatten(nn.Module):
  def forward(self, x):
    return flatten(x)


def initialize_three_layer_conv_part4():
  C, H, W = 3, 32, 32
  num_classes = 10
  channel_1 = 32
  channel_2 = 16
  kernel_size_1 = 5
  pad_size_1 = 2
  kernel_size_2 = 3
  pad_size_2 = 1
  learning_rate = 1e-2
  weight_decay = 1e-4
  momentum = 0.5
  model = nn.Sequential(OrderedDict([
    ('conv1', nn.Conv2d(C, channel_1, kernel_size_1, padding=pad_size_1)),
    ('relu1', nn.ReLU()),
    ('conv2', nn.Conv2d(channel_1, channel_2, kernel_size_2, padding=pad_size_2)),
    ('relu2', nn.ReLU()),
    ('flatten', Flatten()),
    ('fc', nn.Linear(channel_2 * H * W, num_classes)),
  ]))
  optimizer = optim.SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay,
                        momentum=momentum, nesterov=True)
  return model, optimizer


################################################################################
# Part V. ResNet for CIFAR-10
################################################################################
class PlainBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.net = None
    self.net = nn.Sequential(
      nn.BatchNorm2d(Cin),
      nn.ReLU(),
      nn.Conv2d(Cin, Cout, kernel_size=3, padding=1, stride=2 if downsample else 1),
      nn.BatchNorm2d(Cout),
      nn.ReLU(),
      nn.Conv2d(Cout, Cout, kernel_size=3, padding=1),
    )

  def forward(self, x):
    return self.net(x)


class ResidualBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.block = None  # F
    self.shortcut = None  # G
    self.block = PlainBlock(Cin, Cout, downsample)
    if downsample:
      self.shortcut = nn.Conv2d(Cin, Cout, kernel_size=1, stride=2)
    elif Cin != Cout:
      self.shortcut = nn.Conv2d(Cin, Cout, kernel_size=1)
    else:
      self.shortcut = nn.Identity()

  def forward(self, x):
    return self.block(x) + self.shortcut(x)


class ResNetStem(nn.Module):
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
  def __init__(self, Cin, Cout, num_blocks, downsample=True,
               block=ResidualBlock):
    super().__init__()
    blocks = [block(Cin, Cout, downsample)]
    for _ in range(num_blocks - 1):
      blocks.append(block(Cout, Cout))
    self.net = nn.Sequential(*blocks)

  def forward(self, x):
    return self.net(x)


class ResNet(nn.Module):
  def __init__(self, stage_args, Cin=3, block=ResidualBlock, num_classes=10):
    super().__init__()
    self.cnn = None
    stem = ResNetStem(Cin, stage_args[0][0])
    stages = [ResNetStage(*args, block=block) for args in stage_args]
    self.cnn = nn.Sequential(stem, *stages)
    self.fc = nn.Linear(stage_args[-1][1], num_classes)

  def forward(self, x):
    scores = None
    x = self.cnn(x)
    x = F.adaptive_avg_pool2d(x, (1, 1))
    scores = self.fc(flatten(x))
    return scores


class ResidualBottleneckBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.block = None
    self.shortcut = None
    stride = 2 if downsample else 1
    self.block = nn.Sequential(
      nn.BatchNorm2d(Cin), nn.ReLU(), nn.Conv2d(Cin, Cout // 4, kernel_size=1, stride=stride),
      nn.BatchNorm2d(Cout // 4), nn.ReLU(), nn.Conv2d(Cout // 4, Cout // 4, kernel_size=3, padding=1),
      nn.BatchNorm2d(Cout // 4), nn.ReLU(), nn.Conv2d(Cout // 4, Cout, kernel_size=1),
    )
    if downsample:
      self.shortcut = nn.Conv2d(Cin, Cout, kernel_size=1, stride=2)
    elif Cin != Cout:
      self.shortcut = nn.Conv2d(Cin, Cout, kernel_size=1)
    else:
      self.shortcut = nn.Identity()

  def forward(self, x):
    return self.block(x) + self.shortcut(x)
