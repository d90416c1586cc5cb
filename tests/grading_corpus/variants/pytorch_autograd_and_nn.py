# Variants of the Q1 (PyTorch autograd and nn) functions and classes; each section replaces one
# definition of the repository's solution module. See ../manifest.json.
# === three_layer_convnet:functional-chain
def three_layer_convnet(x, params):
  conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
  x = F.relu(F.conv2d(x, conv_w1, bias=conv_b1, padding=2))
  x = F.relu(F.conv2d(x, conv_w2, bias=conv_b2, padding=1))
  scores = F.linear(flatten(x), fc_w, fc_b)
  return scores
# === three_layer_convnet:view-and-matmul
def three_layer_convnet(x, params):
  conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
  h1 = torch.relu(torch.nn.functional.conv2d(x, conv_w1, conv_b1, stride=1, padding=2))
  h2 = torch.relu(torch.nn.functional.conv2d(h1, conv_w2, conv_b2, stride=1, padding=1))
  return h2.view(h2.shape[0], -1) @ fc_w.t() + fc_b
# === three_layer_convnet:wrong-missing-relu
def three_layer_convnet(x, params):
  conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
  x = F.relu(F.conv2d(x, conv_w1, bias=conv_b1, padding=2))
  x = F.conv2d(x, conv_w2, bias=conv_b2, padding=1)
  return F.linear(flatten(x), fc_w, fc_b)
# === initialize_three_layer_conv_part2:kaiming-on-empty
def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
  C, H, W = 3, 32, 32
  num_classes = 10
  channel_1, channel_2 = 32, 16
  kernel_size_1, kernel_size_2 = 5, 3
  def w(*shape):
    t = torch.empty(*shape, dtype=dtype, device=device)
    nn.init.kaiming_normal_(t)
    return t.requires_grad_()
  def b(n):
    return torch.zeros(n, dtype=dtype, device=device, requires_grad=True)
  conv_w1 = w(channel_1, C, kernel_size_1, kernel_size_1)
  conv_b1 = b(channel_1)
  conv_w2 = w(channel_2, channel_1, kernel_size_2, kernel_size_2)
  conv_b2 = b(channel_2)
  fc_w = w(num_classes, channel_2 * H * W)
  fc_b = b(num_classes)
  return [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b]
# === initialize_three_layer_conv_part2:manual-he-init
def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
  import math
  shapes = [(32, 3, 5, 5), (16, 32, 3, 3), (10, 16 * 32 * 32)]
  params = []
  for shape in shapes:
    fan_in = math.prod(shape[1:])
    weight = torch.randn(shape, dtype=dtype, device=device) * math.sqrt(2.0 / fan_in)
    weight.requires_grad = True
    bias = torch.zeros(shape[0], dtype=dtype, device=device)
    bias.requires_grad = True
    params += [weight, bias]
  return params
# === initialize_three_layer_conv_part2:wrong-random-biases
def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
  def w(*shape):
    return nn.init.kaiming_normal_(torch.empty(*shape, dtype=dtype, device=device)).requires_grad_()
  return [w(32, 3, 5, 5), torch.randn(32, dtype=dtype, device=device, requires_grad=True),
          w(16, 32, 3, 3), torch.randn(16, dtype=dtype, device=device, requires_grad=True),
          w(10, 16 * 32 * 32), torch.randn(10, dtype=dtype, device=device, requires_grad=True)]
# === ThreeLayerConvNet:explicit-layers
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
    x = F.relu(self.conv1(x))
    x = F.relu(self.conv2(x))
    scores = self.fc(flatten(x))
    return scores
# === ThreeLayerConvNet:sequential-and-init-loop
class ThreeLayerConvNet(nn.Module):
  def __init__(self, in_channel, channel_1, channel_2, num_classes):
    super().__init__()
    self.net = nn.Sequential(
      nn.Conv2d(in_channel, channel_1, 5, padding=2), nn.ReLU(inplace=True),
      nn.Conv2d(channel_1, channel_2, 3, padding=1), nn.ReLU(inplace=True),
      nn.Flatten(), nn.Linear(channel_2 * 32 * 32, num_classes))
    for m in self.modules():
      if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight.data)
        m.bias.data.zero_()

  def forward(self, x):
    return self.net(x)
# === ThreeLayerConvNet:wrong-missing-relu
class ThreeLayerConvNet(nn.Module):
  def __init__(self, in_channel, channel_1, channel_2, num_classes):
    super().__init__()
    self.conv1 = nn.Conv2d(in_channel, channel_1, 5, padding=2)
    self.conv2 = nn.Conv2d(channel_1, channel_2, 3, padding=1)
    self.fc = nn.Linear(channel_2 * 32 * 32, num_classes)
    for layer in (self.conv1, self.conv2, self.fc):
      nn.init.kaiming_normal_(layer.weight)
      nn.init.zeros_(layer.bias)

  def forward(self, x):
    return self.fc(flatten(self.conv2(F.relu(self.conv1(x)))))
# === ThreeLayerConvNet:wrong-default-init
class ThreeLayerConvNet(nn.Module):
  def __init__(self, in_channel, channel_1, channel_2, num_classes):
    super().__init__()
    self.conv1 = nn.Conv2d(in_channel, channel_1, 5, padding=2)
    self.conv2 = nn.Conv2d(channel_1, channel_2, 3, padding=1)
    self.fc = nn.Linear(channel_2 * 32 * 32, num_classes)

  def forward(self, x):
    return self.fc(flatten(F.relu(self.conv2(F.relu(self.conv1(x))))))
# === initialize_three_layer_conv_part3:sgd-kwargs
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
# === initialize_three_layer_conv_part3:explicit-zero-momentum
def initialize_three_layer_conv_part3():
  model = ThreeLayerConvNet(in_channel=3, channel_1=32, channel_2=16, num_classes=10)
  optimizer = torch.optim.SGD(params=model.parameters(), lr=3e-3, momentum=0.0, weight_decay=1e-4)
  return model, optimizer
# === initialize_three_layer_conv_part3:wrong-adam
def initialize_three_layer_conv_part3():
  model = ThreeLayerConvNet(3, 32, 16, 10)
  optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
  return model, optimizer
# === initialize_three_layer_conv_part4:ordereddict-nn-flatten
def initialize_three_layer_conv_part4():
  C, H, W = 3, 32, 32
  num_classes = 10
  channel_1, channel_2 = 32, 16
  learning_rate, weight_decay, momentum = 1e-2, 1e-4, 0.5
  model = nn.Sequential(OrderedDict([
    ('conv1', nn.Conv2d(C, channel_1, kernel_size=5, padding=2)),
    ('relu1', nn.ReLU()),
    ('conv2', nn.Conv2d(channel_1, channel_2, kernel_size=3, padding=1)),
    ('relu2', nn.ReLU()),
    ('flatten', nn.Flatten()),
    ('fc', nn.Linear(channel_2 * H * W, num_classes)),
  ]))
  optimizer = optim.SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay,
                        momentum=momentum, nesterov=True)
  return model, optimizer
# === initialize_three_layer_conv_part4:layer-list
def initialize_three_layer_conv_part4():
  layers = [nn.Conv2d(3, 32, (5, 5), padding=(2, 2)), nn.ReLU(),
            nn.Conv2d(32, 16, (3, 3), padding=(1, 1)), nn.ReLU(),
            Flatten(), nn.Linear(16 * 32 * 32, 10)]
  model = nn.Sequential(*layers)
  optimizer = torch.optim.SGD(model.parameters(), 1e-2, momentum=0.5, weight_decay=1e-4, nesterov=True)
  return model, optimizer
# === initialize_three_layer_conv_part4:wrong-no-nesterov
def initialize_three_layer_conv_part4():
  model = nn.Sequential(nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.Conv2d(32, 16, 3, padding=1),
                        nn.ReLU(), Flatten(), nn.Linear(16 * 32 * 32, 10))
  optimizer = optim.SGD(model.parameters(), lr=1e-2, weight_decay=1e-4, momentum=0.5)
  return model, optimizer
# === PlainBlock:explicit-attributes
class PlainBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.bn1 = nn.BatchNorm2d(Cin)
    self.conv1 = nn.Conv2d(Cin, Cout, 3, stride=2 if downsample else 1, padding=1)
    self.bn2 = nn.BatchNorm2d(Cout)
    self.conv2 = nn.Conv2d(Cout, Cout, 3, padding=1)

  def forward(self, x):
    x = self.conv1(F.relu(self.bn1(x)))
    return self.conv2(F.relu(self.bn2(x)))
# === PlainBlock:ordereddict-net
class PlainBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    stride = 2 if downsample else 1
    self.net = nn.Sequential(OrderedDict([
      ('bn1', nn.BatchNorm2d(Cin)), ('relu1', nn.ReLU()),
      ('conv1', nn.Conv2d(Cin, Cout, kernel_size=3, stride=stride, padding=1)),
      ('bn2', nn.BatchNorm2d(Cout)), ('relu2', nn.ReLU()),
      ('conv2', nn.Conv2d(Cout, Cout, kernel_size=3, stride=1, padding=1)),
    ]))

  def forward(self, x):
    return self.net(x)
# === PlainBlock:wrong-post-activation
class PlainBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.net = nn.Sequential(
      nn.Conv2d(Cin, Cout, 3, padding=1, stride=2 if downsample else 1), nn.BatchNorm2d(Cout), nn.ReLU(),
      nn.Conv2d(Cout, Cout, 3, padding=1), nn.BatchNorm2d(Cin if Cin == Cout else Cout), nn.ReLU())

  def forward(self, x):
    return self.net(x)
# === ResidualBlock:nested-ifs
class ResidualBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.block = PlainBlock(Cin, Cout, downsample=downsample)
    if not downsample:
      if Cin == Cout:
        self.shortcut = nn.Identity()
      else:
        self.shortcut = nn.Conv2d(Cin, Cout, kernel_size=1)
    else:
      self.shortcut = nn.Conv2d(Cin, Cout, kernel_size=1, stride=2)

  def forward(self, x):
    return self.block(x) + self.shortcut(x)
# === ResidualBlock:optional-shortcut
class ResidualBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.block = PlainBlock(Cin, Cout, downsample)
    self.shortcut = None
    if downsample or Cin != Cout:
      self.shortcut = nn.Conv2d(Cin, Cout, 1, stride=2 if downsample else 1)

  def forward(self, x):
    identity = x if self.shortcut is None else self.shortcut(x)
    return self.block(x) + identity
# === ResidualBlock:wrong-relu-after-sum
class ResidualBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    self.block = PlainBlock(Cin, Cout, downsample)
    if downsample:
      self.shortcut = nn.Conv2d(Cin, Cout, 1, stride=2)
    elif Cin != Cout:
      self.shortcut = nn.Conv2d(Cin, Cout, 1)
    else:
      self.shortcut = nn.Identity()

  def forward(self, x):
    return F.relu(self.block(x) + self.shortcut(x))
# === ResNet:adaptive-pool-in-cnn
class ResNet(nn.Module):
  def __init__(self, stage_args, Cin=3, block=ResidualBlock, num_classes=10):
    super().__init__()
    stages = [ResNetStage(*args, block=block) for args in stage_args]
    self.cnn = nn.Sequential(ResNetStem(Cin=Cin, Cout=stage_args[0][0]), *stages,
                             nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    self.fc = nn.Linear(stage_args[-1][1], num_classes)

  def forward(self, x):
    return self.fc(self.cnn(x))
# === ResNet:avg-pool-over-spatial-size
class ResNet(nn.Module):
  def __init__(self, stage_args, Cin=3, block=ResidualBlock, num_classes=10):
    super().__init__()
    layers = [ResNetStem(Cin, stage_args[0][0])]
    for (cin, cout, num_blocks, downsample) in stage_args:
      layers.append(ResNetStage(cin, cout, num_blocks, downsample, block))
    self.cnn = nn.Sequential(*layers)
    self.fc = nn.Linear(stage_args[-1][1], num_classes)

  def forward(self, x):
    x = self.cnn(x)
    x = F.avg_pool2d(x, kernel_size=x.shape[2:])
    return self.fc(flatten(x))
# === ResNet:fc-as-1x1-conv
class ResNet(nn.Module):
  def __init__(self, stage_args, Cin=3, block=ResidualBlock, num_classes=10):
    super().__init__()
    self.cnn = nn.Sequential(ResNetStem(Cin, stage_args[0][0]),
                             *[ResNetStage(*a, block=block) for a in stage_args])
    self.fc = nn.Conv2d(stage_args[-1][1], num_classes, kernel_size=1)

  def forward(self, x):
    x = F.adaptive_avg_pool2d(self.cnn(x), 1)
    return self.fc(x).flatten(1)
# === ResNet:wrong-max-pool
class ResNet(nn.Module):
  def __init__(self, stage_args, Cin=3, block=ResidualBlock, num_classes=10):
    super().__init__()
    self.cnn = nn.Sequential(ResNetStem(Cin, stage_args[0][0]),
                             *[ResNetStage(*a, block=block) for a in stage_args])
    self.fc = nn.Linear(stage_args[-1][1], num_classes)

  def forward(self, x):
    x = self.cnn(x)
    return self.fc(x.amax(dim=(2, 3)))
# === ResidualBottleneckBlock:explicit
class ResidualBottleneckBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    mid = Cout // 4
    self.block = nn.Sequential(
      nn.BatchNorm2d(Cin), nn.ReLU(), nn.Conv2d(Cin, mid, kernel_size=1, stride=2 if downsample else 1),
      nn.BatchNorm2d(mid), nn.ReLU(), nn.Conv2d(mid, mid, kernel_size=3, padding=1),
      nn.BatchNorm2d(mid), nn.ReLU(), nn.Conv2d(mid, Cout, kernel_size=1))
    if downsample:
      self.shortcut = nn.Conv2d(Cin, Cout, 1, stride=2)
    elif Cin == Cout:
      self.shortcut = nn.Identity()
    else:
      self.shortcut = nn.Conv2d(Cin, Cout, 1)

  def forward(self, x):
    return self.block(x) + self.shortcut(x)
# === ResidualBottleneckBlock:helper-function
def _bn_relu_conv(cin, cout, k, stride=1):
  return [nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)]


class ResidualBottleneckBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    s = 2 if downsample else 1
    self.block = nn.Sequential(*_bn_relu_conv(Cin, Cout // 4, 1, s), *_bn_relu_conv(Cout // 4, Cout // 4, 3),
                               *_bn_relu_conv(Cout // 4, Cout, 1))
    self.shortcut = nn.Identity() if (Cin == Cout and not downsample) else nn.Conv2d(Cin, Cout, 1, stride=s)

  def forward(self, x):
    return self.block(x) + self.shortcut(x)
# === ResidualBottleneckBlock:wrong-mid-channels
class ResidualBottleneckBlock(nn.Module):
  def __init__(self, Cin, Cout, downsample=False):
    super().__init__()
    mid = Cout // 2
    s = 2 if downsample else 1
    self.block = nn.Sequential(
      nn.BatchNorm2d(Cin), nn.ReLU(), nn.Conv2d(Cin, mid, 1, stride=s),
      nn.BatchNorm2d(mid), nn.ReLU(), nn.Conv2d(mid, mid, 3, padding=1),
      nn.BatchNorm2d(mid), nn.ReLU(), nn.Conv2d(mid, Cout, 1))
    self.shortcut = nn.Identity() if (Cin == Cout and not downsample) else nn.Conv2d(Cin, Cout, 1, stride=s)

  def forward(self, x):
    return self.block(x) + self.shortcut(x)
# === three_layer_convnet:torch-flatten-mm-clamp
def three_layer_convnet(x, params):
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    scores = None
    h1 = F.conv2d(x, conv_w1, bias=conv_b1, stride=1, padding=2).clamp(min=0)
    h2 = torch.relu(F.conv2d(h1, conv_w2, conv_b2, padding=1))
    scores = torch.flatten(h2, 1).mm(fc_w.t()) + fc_b
    return scores
# === three_layer_convnet:wrong-relu-on-scores
def three_layer_convnet(x, params):
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    x = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
    x = F.relu(F.conv2d(x, conv_w2, conv_b2, padding=1))
    scores = F.relu(x.view(x.shape[0], -1) @ fc_w.t() + fc_b)
    return scores
# === initialize_three_layer_conv_part2:kaiming-then-requires-grad-attr
def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
    C, H, W = 3, 32, 32
    num_classes = 10
    channel_1 = 32
    channel_2 = 16
    kernel_size_1 = 5
    kernel_size_2 = 3
    conv_w1 = nn.init.kaiming_normal_(torch.empty(channel_1, C, kernel_size_1, kernel_size_1, dtype=dtype, device=device))
    conv_w1.requires_grad = True
    conv_b1 = torch.zeros((channel_1,), dtype=dtype, device=device)
    conv_b1.requires_grad = True
    conv_w2 = nn.init.kaiming_normal_(torch.empty(channel_2, channel_1, kernel_size_2, kernel_size_2, dtype=dtype, device=device))
    conv_w2.requires_grad = True
    conv_b2 = torch.zeros((channel_2,), dtype=dtype, device=device)
    conv_b2.requires_grad = True
    fc_w = nn.init.kaiming_normal_(torch.empty(num_classes, channel_2 * H * W, dtype=dtype, device=device))
    fc_w.requires_grad = True
    fc_b = torch.zeros((num_classes,), dtype=dtype, device=device)
    fc_b.requires_grad = True
    return [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b]
# === initialize_three_layer_conv_part2:wrong-biases-no-grad
def initialize_three_layer_conv_part2(dtype=torch.float, device='cpu'):
    C, H, W = 3, 32, 32
    num_classes = 10
    channel_1 = 32
    channel_2 = 16
    kernel_size_1 = 5
    kernel_size_2 = 3
    conv_w1 = nn.init.kaiming_normal_(torch.empty(channel_1, C, kernel_size_1, kernel_size_1, dtype=dtype, device=device)).requires_grad_()
    conv_b1 = torch.zeros(channel_1, dtype=dtype, device=device)
    conv_w2 = nn.init.kaiming_normal_(torch.empty(channel_2, channel_1, kernel_size_2, kernel_size_2, dtype=dtype, device=device)).requires_grad_()
    conv_b2 = torch.zeros(channel_2, dtype=dtype, device=device)
    fc_w = nn.init.kaiming_normal_(torch.empty(num_classes, channel_2 * H * W, dtype=dtype, device=device)).requires_grad_()
    fc_b = torch.zeros(num_classes, dtype=dtype, device=device)
    return [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b]
# === ThreeLayerConvNet:init-on-data-view-forward
class ThreeLayerConvNet(nn.Module):
    def __init__(self, in_channel, channel_1, channel_2, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channel, channel_1, kernel_size=5, stride=1, padding=2, bias=True)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size=3, stride=1, padding=1, bias=True)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(channel_2 * 32 * 32, num_classes)
        nn.init.kaiming_normal_(self.conv1.weight.data)
        nn.init.kaiming_normal_(self.conv2.weight.data)
        nn.init.kaiming_normal_(self.fc.weight.data)
        self.conv1.bias.data.zero_()
        self.conv2.bias.data.zero_()
        self.fc.bias.data.zero_()

    def forward(self, x):
        scores = None
        x = self.relu1(self.conv1(x))
        x = self.relu2(self.conv2(x))
        scores = self.fc(x.view(x.size(0), -1))
        return scores
# === initialize_three_layer_conv_part3:positional-sgd
def initialize_three_layer_conv_part3():
    C = 3
    num_classes = 10
    channel_1 = 32
    channel_2 = 16
    learning_rate = 3e-3
    weight_decay = 1e-4
    model = None
    optimizer = None
    model = ThreeLayerConvNet(in_channel=C, channel_1=channel_1, channel_2=channel_2, num_classes=num_classes)
    optimizer = torch.optim.SGD(list(model.parameters()), learning_rate, weight_decay=weight_decay)
    return model, optimizer
# === initialize_three_layer_conv_part3:wrong-no-weight-decay
def initialize_three_layer_conv_part3():
    C = 3
    num_classes = 10
    channel_1 = 32
    channel_2 = 16
    learning_rate = 3e-3
    weight_decay = 1e-4
    model = ThreeLayerConvNet(C, channel_1, channel_2, num_classes)
    optimizer = optim.SGD(model.parameters(), lr=learning_rate)
    return model, optimizer
# === initialize_three_layer_conv_part4:add-module-nn-flatten
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
    momentum = 0.5
    weight_decay = 1e-4
    model = nn.Sequential()
    model.add_module('conv1', nn.Conv2d(C, channel_1, kernel_size_1, padding=pad_size_1))
    model.add_module('relu1', nn.ReLU(inplace=True))
    model.add_module('conv2', nn.Conv2d(channel_1, channel_2, kernel_size_2, padding=pad_size_2))
    model.add_module('relu2', nn.ReLU(inplace=True))
    model.add_module('flatten', nn.Flatten())
    model.add_module('fc', nn.Linear(channel_2 * H * W, num_classes))
    optimizer = optim.SGD(params=model.parameters(), lr=learning_rate, momentum=momentum,
                          weight_decay=weight_decay, nesterov=True)
    return model, optimizer
# === initialize_three_layer_conv_part4:wrong-no-weight-decay
def initialize_three_layer_conv_part4():
    C, H, W = 3, 32, 32
    num_classes = 10
    channel_1 = 32
    channel_2 = 16
    learning_rate = 1e-2
    momentum = 0.5
    model = nn.Sequential(OrderedDict([
        ('conv1', nn.Conv2d(C, channel_1, 5, padding=2)),
        ('relu1', nn.ReLU()),
        ('conv2', nn.Conv2d(channel_1, channel_2, 3, padding=1)),
        ('relu2', nn.ReLU()),
        ('flatten', Flatten()),
        ('fc', nn.Linear(channel_2 * H * W, num_classes)),
    ]))
    optimizer = optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum, nesterov=True)
    return model, optimizer
# === PlainBlock:add-module-bias-free-first-conv
class PlainBlock(nn.Module):
    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()
        self.net = None
        self.net = nn.Sequential()
        self.net.add_module('bn1', nn.BatchNorm2d(Cin))
        self.net.add_module('relu1', nn.ReLU(inplace=False))
        self.net.add_module('conv1', nn.Conv2d(Cin, Cout, kernel_size=3, stride=(2 if downsample else 1), padding=1, bias=False))
        self.net.add_module('bn2', nn.BatchNorm2d(Cout))
        self.net.add_module('relu2', nn.ReLU())
        self.net.add_module('conv2', nn.Conv2d(Cout, Cout, kernel_size=3, padding=1))

    def forward(self, x):
        return self.net(x)
# === PlainBlock:wrong-stride-on-second-conv
class PlainBlock(nn.Module):
    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()
        s = 2 if downsample else 1
        self.net = nn.Sequential(
            nn.BatchNorm2d(Cin), nn.ReLU(),
            nn.Conv2d(Cin, Cout, 3, padding=1),
            nn.BatchNorm2d(Cout), nn.ReLU(),
            nn.Conv2d(Cout, Cout, 3, padding=1, stride=s),
        )

    def forward(self, x):
        return self.net(x)
# === ResidualBlock:empty-sequential-shortcut
class ResidualBlock(nn.Module):
    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()
        self.block = None
        self.shortcut = None
        self.block = PlainBlock(Cin, Cout, downsample=downsample)
        if Cin == Cout and not downsample:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(Cin, Cout, kernel_size=1, stride=2 if downsample else 1, padding=0))

    def forward(self, x):
        out = self.block(x)
        out += self.shortcut(x)
        return out
# === ResidualBlock:wrong-always-conv-shortcut
class ResidualBlock(nn.Module):
    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()
        self.block = PlainBlock(Cin, Cout, downsample)
        self.shortcut = nn.Conv2d(Cin, Cout, 1, stride=2 if downsample else 1)

    def forward(self, x):
        return self.block(x) + self.shortcut(x)
# === ResNet:modulelist-adaptive-pool-functional
class ResNet(nn.Module):
    def __init__(self, stage_args, Cin=3, block=ResidualBlock, num_classes=10):
        super().__init__()
        self.cnn = None
        stages = [ResNetStem(Cin=Cin, Cout=stage_args[0][0])]
        for (cin, cout, n, down) in stage_args:
            stages.append(ResNetStage(cin, cout, n, downsample=down, block=block))
        self.cnn = nn.ModuleList(stages)
        self.fc = nn.Linear(stage_args[-1][1], num_classes)

    def forward(self, x):
        scores = None
        for stage in self.cnn:
            x = stage(x)
        x = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        scores = self.fc(x)
        return scores
# === ResidualBottleneckBlock:separate-attrs-bias-free
class ResidualBottleneckBlock(nn.Module):
    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()
        mid = Cout // 4
        stride = 2 if downsample else 1
        self.bn1, self.conv1 = nn.BatchNorm2d(Cin), nn.Conv2d(Cin, mid, 1, stride=stride, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(mid), nn.Conv2d(mid, mid, 3, padding=1, bias=False)
        self.bn3, self.conv3 = nn.BatchNorm2d(mid), nn.Conv2d(mid, Cout, 1)
        if downsample or Cin != Cout:
            self.shortcut = nn.Conv2d(Cin, Cout, 1, stride=stride)
        else:
            self.shortcut = None

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        out = self.conv3(F.relu(self.bn3(out)))
        return out + (x if self.shortcut is None else self.shortcut(x))
# === PlainBlock:wrong-bias-free-convs
class PlainBlock(nn.Module):
    def __init__(self, Cin, Cout, downsample=False):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm2d(Cin), nn.ReLU(),
            nn.Conv2d(Cin, Cout, 3, stride=2 if downsample else 1, padding=1, bias=False),
            nn.BatchNorm2d(Cout), nn.ReLU(),
            nn.Conv2d(Cout, Cout, 3, padding=1, bias=False),
        )

    def forward(self, x):
        return self.net(x)
# === three_layer_convnet:wrong-no-grad-forward
def three_layer_convnet(x, params):
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    with torch.no_grad():
        x = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
        x = F.relu(F.conv2d(x, conv_w2, conv_b2, padding=1))
        scores = F.linear(x.flatten(1), fc_w, fc_b)
    return scores
