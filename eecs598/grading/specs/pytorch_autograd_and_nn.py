"""Public graded tests of ``pytorch_autograd_and_nn.ipynb``: Q1 (30)."""
from . import F32, STD, Test, call, module, randn

# Functions whose output autograd must carry back to these inputs (True: all floating inputs;
# a list: those positions), because the assignment trains through them: a version built on
# ``.data``, ``.detach()``, ``.item()`` or ``torch.no_grad()`` gives the right numbers but cannot
# learn. Their call tests also compare the gradients.
DIFFERENTIABLE = {"three_layer_convnet": [1]}

PUBLIC = [
    Test("three_layer_convnet", "Q1", 5, "call",
         call("three_layer_convnet", randn(2, 3, 32, 32, seed=1),
              [randn(6, 3, 5, 5, seed=2, scale=0.1), randn(6, seed=3), randn(9, 6, 3, 3, seed=4, scale=0.1),
               randn(9, seed=5), randn(10, 9 * 32 * 32, seed=6, scale=0.01), randn(10, seed=7)]),
         ["three_layer_convnet"]),
    Test("initialize_three_layer_conv_part2", "Q1", 2, "param_summary",
         {"ctor": "initialize_three_layer_conv_part2", "is_list": True},
         ["initialize_three_layer_conv_part2"], tol=STD),
    Test("ThreeLayerConvNet forward", "Q1", 4, "module",
         module("ThreeLayerConvNet", randn(2, 3, 32, 32, seed=1, dtype=F32), 3, 12, 8, 10),
         ["ThreeLayerConvNet"], rtol=1e-4, atol=1e-4),
    Test("ThreeLayerConvNet init", "Q1", 1, "param_summary", {"ctor": "ThreeLayerConvNet",
         "ctor_args": [3, 12, 8, 10]}, ["ThreeLayerConvNet"], tol=STD),
    Test("initialize_three_layer_conv_part3 model", "Q1", 1, "module",
         module("initialize_three_layer_conv_part3", randn(2, 3, 32, 32, seed=2, dtype=F32), pick=0),
         ["initialize_three_layer_conv_part3", "ThreeLayerConvNet"], rtol=1e-4, atol=1e-4),
    Test("initialize_three_layer_conv_part3 optimizer", "Q1", 1, "optimizer",
         {"fn": "initialize_three_layer_conv_part3"}, ["initialize_three_layer_conv_part3"]),
    Test("initialize_three_layer_conv_part4 model", "Q1", 1, "module",
         module("initialize_three_layer_conv_part4", randn(2, 3, 32, 32, seed=3, dtype=F32), pick=0),
         ["initialize_three_layer_conv_part4"], rtol=1e-4, atol=1e-4),
    Test("initialize_three_layer_conv_part4 optimizer", "Q1", 1, "optimizer",
         {"fn": "initialize_three_layer_conv_part4"}, ["initialize_three_layer_conv_part4"]),
    Test("PlainBlock", "Q1", 3, "module", module("PlainBlock", randn(2, 3, 5, 6, seed=4, dtype=F32), 3, 10),
         ["PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResidualBlock", "Q1", 3, "module",
         module("ResidualBlock", randn(2, 3, 5, 6, seed=5, dtype=F32), 3, 10),
         ["ResidualBlock", "PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResidualBlock downsample", "Q1", 1, "module",
         module("ResidualBlock", randn(2, 3, 5, 6, seed=6, dtype=F32), 3, 10, True),
         ["ResidualBlock", "PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResNet", "Q1", 4, "module",
         module("ResNet", randn(2, 3, 16, 16, seed=7, dtype=F32), [[8, 8, 1, False], [8, 16, 1, True]]),
         ["ResNet", "ResidualBlock", "PlainBlock"], rtol=1e-4, atol=1e-4),
    Test("ResidualBottleneckBlock", "Q1", 3, "module",
         module("ResidualBottleneckBlock", randn(2, 8, 6, 6, seed=8, dtype=F32), 8, 16),
         ["ResidualBottleneckBlock"], rtol=1e-4, atol=1e-4),
]
