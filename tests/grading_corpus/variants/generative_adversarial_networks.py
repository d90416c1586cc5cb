# Variants of the GAN functions (CS231n GANs-PyTorch, 2017-2023 editions); each section replaces
# one function of the repository's solution module. See ../manifest.json.
# === sample_noise:old-signature-rand
def sample_noise(batch_size, dim):
    return 2 * torch.rand(batch_size, dim) - 1
# === sample_noise:seed-kwarg-uniform
def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return torch.empty(batch_size, dim).uniform_(-1, 1)
# === sample_noise:wrong-range-0-1
def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return torch.rand(batch_size, dim)
# === discriminator:cs231n-flatten-class
def discriminator(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    model = nn.Sequential(
        Flatten(),
        nn.Linear(784, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 1)
    )
    return model
# === discriminator:old-signature-no-flatten-layer
def discriminator():
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.LeakyReLU(negative_slope=0.01, inplace=True),
        nn.Linear(256, 256),
        nn.LeakyReLU(negative_slope=0.01, inplace=True),
        nn.Linear(256, 1),
    )
    return model
# === discriminator:wrong-relu
def discriminator(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 1))
# === generator:sequential-ordereddict
def generator(noise_dim=NOISE_DIM, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    from collections import OrderedDict
    return nn.Sequential(OrderedDict([
        ('fc1', nn.Linear(noise_dim, 1024)), ('relu1', nn.ReLU(inplace=True)),
        ('fc2', nn.Linear(1024, 1024)), ('relu2', nn.ReLU(inplace=True)),
        ('fc3', nn.Linear(1024, 784)), ('tanh', nn.Tanh()),
    ]))
# === generator:old-signature
def generator(noise_dim=NOISE_DIM):
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, 784),
        nn.Tanh()
    )
    return model
# === generator:wrong-sigmoid-output
def generator(noise_dim=NOISE_DIM, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(noise_dim, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 784), nn.Sigmoid())
# === discriminator_loss:bce-with-logits
def discriminator_loss(logits_real, logits_fake):
    true_labels = torch.ones_like(logits_real)
    loss = F.binary_cross_entropy_with_logits(logits_real, true_labels) + \
        F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    return loss
# === discriminator_loss:logsigmoid
def discriminator_loss(logits_real, logits_fake):
    return -(F.logsigmoid(logits_real).mean() + F.logsigmoid(-logits_fake).mean())
# === discriminator_loss:wrong-sum-not-mean
def discriminator_loss(logits_real, logits_fake):
    return (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real), reduction='sum')
            + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake), reduction='sum'))
# === generator_loss:bce-loss-helper
def generator_loss(logits_fake):
    true_labels = torch.ones_like(logits_fake)
    return bce_loss(logits_fake, true_labels)
# === generator_loss:softplus
def generator_loss(logits_fake):
    return F.softplus(-logits_fake).mean()
# === generator_loss:wrong-minimax-sign
def generator_loss(logits_fake):
    return -bce_loss(logits_fake, torch.zeros_like(logits_fake))
# === get_optimizer:adam-kwargs
def get_optimizer(model):
    optimizer = optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    return optimizer
# === get_optimizer:torch-optim-list-params
def get_optimizer(model):
    return torch.optim.Adam(list(model.parameters()), 0.001, (0.5, 0.999))
# === get_optimizer:wrong-default-betas
def get_optimizer(model):
    return optim.Adam(model.parameters(), lr=1e-3)
# === ls_discriminator_loss:mse
def ls_discriminator_loss(scores_real, scores_fake):
    return 0.5 * F.mse_loss(scores_real, torch.ones_like(scores_real)) + 0.5 * F.mse_loss(scores_fake, torch.zeros_like(scores_fake))
# === ls_discriminator_loss:pow-mean
def ls_discriminator_loss(scores_real, scores_fake):
    loss = 0.5 * torch.mean(torch.pow(scores_real - 1, 2)) + 0.5 * torch.mean(torch.pow(scores_fake, 2))
    return loss
# === ls_discriminator_loss:wrong-no-half
def ls_discriminator_loss(scores_real, scores_fake):
    return ((scores_real - 1) ** 2).mean() + (scores_fake ** 2).mean()
# === ls_generator_loss:mse
def ls_generator_loss(scores_fake):
    return 0.5 * F.mse_loss(scores_fake, torch.ones_like(scores_fake))
# === ls_generator_loss:pow-mean
def ls_generator_loss(scores_fake):
    return torch.mean((scores_fake - 1).pow(2)) / 2
# === ls_generator_loss:wrong-target-zero
def ls_generator_loss(scores_fake):
    return 0.5 * (scores_fake ** 2).mean()
# === build_dc_classifier:old-signature-cs231n-classes
def build_dc_classifier():
    return nn.Sequential(
        Unflatten(-1, 1, 28, 28),
        nn.Conv2d(1, 32, kernel_size=5, stride=1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(32, 64, kernel_size=5, stride=1),
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(kernel_size=2, stride=2),
        Flatten(),
        nn.Linear(4 * 4 * 64, 4 * 4 * 64),
        nn.LeakyReLU(0.01),
        nn.Linear(4 * 4 * 64, 1)
    )
# === build_dc_classifier:batch-size-unflatten
def build_dc_classifier(batch_size):
    return nn.Sequential(
        Unflatten(batch_size, 1, 28, 28),
        nn.Conv2d(1, 32, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(1024, 1024), nn.LeakyReLU(0.01),
        nn.Linear(1024, 1),
    )
# === build_dc_classifier:wrong-no-pooling-stride
def build_dc_classifier(batch_size=None):
    return nn.Sequential(
        Unflatten(-1, 1, 28, 28),
        nn.Conv2d(1, 32, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 5, padding=2), nn.LeakyReLU(0.01), nn.MaxPool2d(3, 3),
        nn.Flatten(),
        nn.Linear(1024, 1024), nn.LeakyReLU(0.01),
        nn.Linear(1024, 1),
    )
# === build_dc_generator:cs231n-classes-initialize-weights
def build_dc_generator(noise_dim=NOISE_DIM):
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024),
        nn.ReLU(),
        nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128),
        nn.ReLU(),
        nn.BatchNorm1d(7 * 7 * 128),
        Unflatten(-1, 128, 7, 7),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),
        nn.Tanh(),
        Flatten(),
    )
    model.apply(initialize_weights)
    return model
# === build_dc_generator:view-in-forward-module
class _Reshape(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.view(x.size(0), *self.shape)


def build_dc_generator(noise_dim=NOISE_DIM):
    return nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(inplace=True), nn.BatchNorm1d(1024),
        nn.Linear(1024, 6272), nn.ReLU(inplace=True), nn.BatchNorm1d(6272),
        _Reshape(128, 7, 7),
        nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1), nn.Tanh(),
        _Reshape(784),
    )
# === build_dc_generator:wrong-batchnorm-before-relu
def build_dc_generator(noise_dim=NOISE_DIM):
    return nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
        nn.Linear(1024, 7 * 7 * 128), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(),
        Unflatten(-1, 128, 7, 7),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh(),
        Flatten(),
    )
# === get_optimizer:wrong-sgd
def get_optimizer(model):
    return optim.SGD(model.parameters(), lr=1e-3, momentum=0.5)
# === sample_noise:wrong-gaussian
def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return torch.randn(batch_size, dim)
# === sample_noise:seed-uniform-inplace
def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return torch.empty(batch_size, dim).uniform_(-1, 1)
# === sample_noise:wrong-half-range
def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return torch.rand(batch_size, dim) - 0.5
# === discriminator:nn-flatten-inplace-leaky-seed
def discriminator(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.LeakyReLU(negative_slope=0.01, inplace=True),
        nn.Linear(256, 256),
        nn.LeakyReLU(negative_slope=0.01, inplace=True),
        nn.Linear(256, 1),
    )
    return model
# === generator:seed-inplace-relu
def generator(noise_dim=NOISE_DIM, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(inplace=True),
        nn.Linear(1024, 1024), nn.ReLU(inplace=True),
        nn.Linear(1024, 784), nn.Tanh(),
    )
    return model
# === discriminator_loss:2017-manual-stable-bce
def discriminator_loss(logits_real, logits_fake):
    def stable_bce(input, target):
        neg_abs = -input.abs()
        return (input.clamp(min=0) - input * target + (1 + neg_abs.exp()).log()).mean()
    true_labels = torch.ones(logits_real.size(), dtype=logits_real.dtype, device=logits_real.device)
    false_labels = torch.zeros(logits_fake.size(), dtype=logits_fake.dtype, device=logits_fake.device)
    loss = stable_bce(logits_real, true_labels) + stable_bce(logits_fake, false_labels)
    return loss
# === discriminator_loss:wrong-labels-swapped
def discriminator_loss(logits_real, logits_fake):
    return bce_loss(logits_real, torch.zeros_like(logits_real)) + bce_loss(logits_fake, torch.ones_like(logits_fake))
# === generator_loss:sigmoid-then-bce
def generator_loss(logits_fake):
    return F.binary_cross_entropy(torch.sigmoid(logits_fake), torch.ones_like(logits_fake))
# === generator_loss:wrong-zero-target
def generator_loss(logits_fake):
    return bce_loss(logits_fake, torch.zeros_like(logits_fake))
# === get_optimizer:positional-args
def get_optimizer(model):
    optimizer = optim.Adam(model.parameters(), 1e-3, (0.5, 0.999))
    return optimizer
# === get_optimizer:wrong-lr
def get_optimizer(model):
    return optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
# === ls_discriminator_loss:square-method
def ls_discriminator_loss(scores_real, scores_fake):
    return (scores_real - 1).square().mean() / 2 + scores_fake.square().mean() / 2
# === ls_discriminator_loss:wrong-sum
def ls_discriminator_loss(scores_real, scores_fake):
    return 0.5 * ((scores_real - 1) ** 2).sum() + 0.5 * (scores_fake ** 2).sum()
# === ls_generator_loss:mse-loss-half
def ls_generator_loss(scores_fake):
    return 0.5 * F.mse_loss(scores_fake, torch.ones_like(scores_fake))
# === build_dc_classifier:module-subclass-view
def build_dc_classifier(batch_size=128):
    class DC(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 5)
            self.conv2 = nn.Conv2d(32, 64, 5)
            self.fc1 = nn.Linear(1024, 1024)
            self.fc2 = nn.Linear(1024, 1)

        def forward(self, x):
            x = x.view(-1, 1, 28, 28)
            x = F.max_pool2d(F.leaky_relu(self.conv1(x), 0.01), 2)
            x = F.max_pool2d(F.leaky_relu(self.conv2(x), 0.01), 2)
            x = F.leaky_relu(self.fc1(x.view(x.size(0), -1)), 0.01)
            return self.fc2(x)
    return DC()
# === build_dc_generator:nn-unflatten-builtin
def build_dc_generator(noise_dim=NOISE_DIM):
    return nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(), nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128), nn.ReLU(), nn.BatchNorm1d(7 * 7 * 128),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(), nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
        nn.Flatten(),
    )
# === build_dc_generator:wrong-no-tanh
def build_dc_generator(noise_dim=NOISE_DIM):
    return nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(), nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128), nn.ReLU(), nn.BatchNorm1d(7 * 7 * 128),
        Unflatten(-1, 128, 7, 7),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(), nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, 4, 2, 1),
        Flatten(),
    )
# === get_optimizer:betas-list
def get_optimizer(model):
    optimizer = None
    optimizer = torch.optim.Adam(params=model.parameters(), lr=0.001, betas=[0.5, 0.999])
    return optimizer
# === discriminator_loss:wrong-cat-mean
def discriminator_loss(logits_real, logits_fake):
    logits = torch.cat([logits_real, logits_fake])
    labels = torch.cat([torch.ones_like(logits_real), torch.zeros_like(logits_fake)])
    return F.binary_cross_entropy_with_logits(logits, labels)
# === sample_noise:2023-dtype-device-kwargs
def sample_noise(batch_size, dim, seed=None, dtype=torch.float, device='cpu'):
    if seed is not None:
        torch.manual_seed(seed)
    noise = 2 * torch.rand(batch_size, dim, dtype=dtype, device=device) - 1
    return noise
# === sample_noise:wrong-numpy-ignores-torch-seed
def sample_noise(batch_size, dim, seed=None):
    return torch.from_numpy(np.random.uniform(-1, 1, size=(batch_size, dim))).float()
