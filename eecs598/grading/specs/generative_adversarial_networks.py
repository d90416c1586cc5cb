"""Public graded tests of ``generative_adversarial_networks.ipynb``: GAN (15)."""
from . import Test, call, randn

# sample_noise: the mean and std of 10,000 draws, within about 5 standard errors of U(-1, 1)'s
# 0 and 1/sqrt(3).
NOISE = {"mean": (0.0, 0.04), "std": (0.0, 0.02)}

PUBLIC = [
    Test("sample_noise", "GAN", 2, "noise", {"batch_size": 200, "dim": 50, "seed": 231}, ["sample_noise"],
         seed=231,
         tol=NOISE),
    Test("discriminator", "GAN", 2, "gan_net", {"ctor": "discriminator", "in_shape": [4, 1, 28, 28]},
         ["discriminator"], rtol=1e-4, atol=1e-4),
    Test("generator", "GAN", 2, "gan_net", {"ctor": "generator", "ctor_args": [4], "in_shape": [3, 4]},
         ["generator"], rtol=1e-4, atol=1e-4),
    Test("discriminator_loss", "GAN", 2, "call",
         call("discriminator_loss", randn(10, 1, seed=1), randn(10, 1, seed=2)), ["discriminator_loss"]),
    Test("generator_loss", "GAN", 1, "call", call("generator_loss", randn(10, 1, seed=3)), ["generator_loss"]),
    Test("get_optimizer", "GAN", 1, "optimizer", {"fn": "get_optimizer", "model_ctor": True}, ["get_optimizer"]),
    Test("ls_discriminator_loss", "GAN", 1, "call",
         call("ls_discriminator_loss", randn(10, 1, seed=4), randn(10, 1, seed=5)), ["ls_discriminator_loss"]),
    Test("ls_generator_loss", "GAN", 1, "call", call("ls_generator_loss", randn(10, 1, seed=6)),
         ["ls_generator_loss"]),
    Test("build_dc_classifier", "GAN", 2, "gan_net", {"ctor": "build_dc_classifier", "in_shape": [4, 1, 28, 28]},
         ["build_dc_classifier"], rtol=1e-4, atol=1e-4),
    Test("build_dc_generator", "GAN", 1, "gan_net",
         {"ctor": "build_dc_generator", "ctor_args": [4], "in_shape": [3, 4]},
         ["build_dc_generator"], rtol=1e-4, atol=1e-4),
]
