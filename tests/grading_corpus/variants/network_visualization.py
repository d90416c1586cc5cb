# Variants of the Q3 (network visualization) functions; each section replaces one function of
# the repository's solution module. See ../manifest.json.
# === compute_saliency_maps:index-correct-scores
def compute_saliency_maps(X, y, model):
  X.requires_grad_()
  scores = model(X)
  correct = scores[torch.arange(X.shape[0]), y]
  correct.sum().backward()
  saliency, _ = torch.max(X.grad.data.abs(), dim=1)
  return saliency
# === compute_saliency_maps:backward-with-onehot
def compute_saliency_maps(X, y, model):
  X.requires_grad_()
  model.eval()
  scores = model(X)
  onehot = torch.zeros_like(scores)
  onehot[range(len(y)), y] = 1.0
  scores.backward(gradient=onehot)
  return X.grad.abs().amax(dim=1)
# === compute_saliency_maps:wrong-cross-entropy
def compute_saliency_maps(X, y, model):
  X.requires_grad_()
  scores = model(X)
  loss = F.cross_entropy(scores, y, reduction='sum')
  loss.backward()
  saliency, _ = torch.max(torch.abs(X.grad.data), dim=1)
  return saliency
# === compute_saliency_maps:wrong-missing-abs
def compute_saliency_maps(X, y, model):
  X.requires_grad_()
  scores = model(X)
  scores.gather(1, y.view(-1, 1)).sum().backward()
  saliency, _ = X.grad.data.max(dim=1)
  return saliency
# === make_adversarial_attack:epsilon-in-norm
def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
  X_adv = X.clone()
  X_adv = X_adv.requires_grad_()
  learning_rate = 1
  for i in range(max_iter):
    scores = model(X_adv)
    if scores.argmax(dim=1).item() == target_y:
      break
    scores[0, target_y].backward()
    with torch.no_grad():
      X_adv += learning_rate * X_adv.grad / (X_adv.grad.norm() + 1e-5)
      X_adv.grad.zero_()
  return X_adv
# === make_adversarial_attack:autograd-grad-while
def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
  X_adv = X.clone().requires_grad_()
  learning_rate = 1
  it = 0
  while it < max_iter:
    scores = model(X_adv)
    target_score = scores[0][target_y]
    if target_score == scores.max():
      break
    g, = torch.autograd.grad(target_score, X_adv)
    X_adv.data = X_adv.data + learning_rate * g / torch.linalg.norm(g)
    it += 1
  return X_adv
# === make_adversarial_attack:wrong-gradient-descent
def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
  X_adv = X.clone().requires_grad_()
  learning_rate = 1
  for i in range(max_iter):
    scores = model(X_adv)
    if scores.argmax(dim=1).item() == target_y:
      break
    scores[0, target_y].backward()
    with torch.no_grad():
      X_adv -= learning_rate * X_adv.grad / X_adv.grad.norm()
      X_adv.grad.zero_()
  return X_adv
# === class_visualization_step:unnormalised-step
def class_visualization_step(img, target_y, model, **kwargs):
  l2_reg = kwargs.pop('l2_reg', 1e-3)
  learning_rate = kwargs.pop('learning_rate', 25)
  scores = model(img)
  score = scores[0, target_y] - l2_reg * torch.sum(img * img)
  score.backward()
  with torch.no_grad():
    img += learning_rate * img.grad
    img.grad.zero_()
  return img
# === class_visualization_step:normalised-with-epsilon
def class_visualization_step(img, target_y, model, **kwargs):
  l2_reg = kwargs.pop('l2_reg', 1e-3)
  learning_rate = kwargs.pop('learning_rate', 25)
  objective = model(img)[0, target_y] - l2_reg * img.norm() ** 2
  objective.backward()
  g = img.grad.data
  img.data += learning_rate * g / (g.norm() + 1e-8)
  img.grad.data.zero_()
  return img
# === class_visualization_step:wrong-l2-not-squared
def class_visualization_step(img, target_y, model, **kwargs):
  l2_reg = kwargs.pop('l2_reg', 1e-3)
  learning_rate = kwargs.pop('learning_rate', 25)
  objective = model(img)[0, target_y] - l2_reg * img.norm()
  objective.backward()
  g = img.grad.data
  img.data += learning_rate * g / g.norm()
  img.grad.zero_()
  return img
# === class_visualization_step:wrong-l2-sign
def class_visualization_step(img, target_y, model, **kwargs):
  l2_reg = kwargs.pop('l2_reg', 1e-3)
  learning_rate = kwargs.pop('learning_rate', 25)
  objective = model(img)[0, target_y] + l2_reg * (img ** 2).sum()
  objective.backward()
  g = img.grad.data
  img.data += learning_rate * g / g.norm()
  img.grad.zero_()
  return img
# === pgd_attack:loop-with-clamp
def pgd_attack(X, y, model, eps=8 / 255, alpha=2 / 255, steps=10, targeted=False, random_start=False):
  X_adv = X.clone().detach()
  if random_start:
    X_adv = torch.clamp(X_adv + torch.empty_like(X_adv).uniform_(-eps, eps), 0, 1)
  for _ in range(steps):
    X_adv.requires_grad = True
    loss = F.cross_entropy(model(X_adv), y)
    model.zero_grad()
    loss.backward()
    step = alpha * X_adv.grad.sign()
    with torch.no_grad():
      X_adv = X_adv - step if targeted else X_adv + step
      X_adv = torch.min(torch.max(X_adv, X - eps), X + eps).clamp(0, 1)
  return X_adv.detach()
# === pgd_attack:sum-loss-sign
def pgd_attack(X, y, model, eps=8 / 255, alpha=2 / 255, steps=10, targeted=False, random_start=False):
  delta = torch.zeros_like(X)
  sign = -1.0 if targeted else 1.0
  for _ in range(steps):
    delta.requires_grad_(True)
    loss = F.cross_entropy(model(X + delta), y, reduction='sum')  # same sign as the mean
    g, = torch.autograd.grad(loss, delta)
    delta = (delta.detach() + sign * alpha * g.sign()).clamp(-eps, eps)
    delta = (X + delta).clamp(0, 1) - X
  return (X + delta).detach()
# === pgd_attack:wrong-no-projection
def pgd_attack(X, y, model, eps=8 / 255, alpha=2 / 255, steps=10, targeted=False, random_start=False):
  X_adv = X.clone().detach()
  for _ in range(steps):
    X_adv.requires_grad_(True)
    loss = F.cross_entropy(model(X_adv), y)
    g, = torch.autograd.grad(loss, X_adv)
    X_adv = (X_adv.detach() + (-alpha if targeted else alpha) * g.sign()).clamp(0, 1)
  return X_adv
# === smooth_grad:loop-over-samples
def smooth_grad(X, y, model, num_samples=25, stdev=0.15):
  total = torch.zeros_like(X)
  for _ in range(num_samples):
    Xn = (X.detach() + stdev * torch.randn_like(X)).requires_grad_()
    model(Xn).gather(1, y.view(-1, 1)).sum().backward()
    total += Xn.grad.abs()
  return (total / num_samples).max(dim=1)[0]
# === smooth_grad:uses-saliency-function
def smooth_grad(X, y, model, num_samples=25, stdev=0.15):
  N, C, H, W = X.shape
  Xs = X.detach().repeat_interleave(num_samples, dim=0)
  Xs = Xs + torch.randn_like(Xs) * stdev
  scores = model(Xs.requires_grad_())
  scores[torch.arange(len(Xs)), y.repeat_interleave(num_samples)].sum().backward()
  return Xs.grad.abs().reshape(N, num_samples, C, H, W).mean(1).amax(1)
# === smooth_grad:wrong-no-abs
def smooth_grad(X, y, model, num_samples=25, stdev=0.15):
  total = torch.zeros_like(X)
  for _ in range(num_samples):
    Xn = (X.detach() + stdev * torch.randn_like(X)).requires_grad_()
    model(Xn).gather(1, y.view(-1, 1)).sum().backward()
    total += Xn.grad
  return (total / num_samples).max(dim=1)[0]
# === grad_cam:hooks-with-retain-grad
def grad_cam(X, y, model, layer):
  store = {}
  def fwd_hook(module, inp, out):
    out.retain_grad()
    store['A'] = out
  h = layer.register_forward_hook(fwd_hook)
  scores = model(X.detach().requires_grad_())
  h.remove()
  A = store['A']
  scores[torch.arange(X.shape[0]), y].sum().backward()
  alpha = A.grad.mean(dim=(2, 3))
  cam = torch.relu(torch.einsum('nk,nkhw->nhw', alpha, A))
  return cam.detach()
# === grad_cam:adaptive-avg-pool-weights
def grad_cam(X, y, model, layer):
  acts = []
  handle = layer.register_forward_hook(lambda m, i, o: acts.append(o))
  X = X.clone().requires_grad_(True)
  out = model(X)
  handle.remove()
  A = acts[0]
  dA = torch.autograd.grad(out.gather(1, y[:, None]).sum(), A)[0]
  w = F.adaptive_avg_pool2d(dA, 1)
  return F.relu((w * A).sum(1)).detach()
# === grad_cam:wrong-no-relu
def grad_cam(X, y, model, layer):
  acts = []
  handle = layer.register_forward_hook(lambda m, i, o: acts.append(o))
  out = model(X.clone().requires_grad_(True))
  handle.remove()
  A = acts[0]
  dA = torch.autograd.grad(out.gather(1, y[:, None]).sum(), A)[0]
  return (dA.mean(dim=(2, 3), keepdim=True) * A).sum(1).detach()
# === compute_saliency_maps:wrong-mean-cross-entropy
def compute_saliency_maps(X, y, model):
  X.requires_grad_()
  loss = torch.nn.functional.cross_entropy(model(X), y)
  loss.backward()
  saliency, _ = torch.max(torch.abs(X.grad.data), dim=1)
  return saliency
# === class_visualization_step:wrong-no-l2
def class_visualization_step(img, target_y, model, **kwargs):
  l2_reg = kwargs.pop('l2_reg', 1e-3)
  learning_rate = kwargs.pop('learning_rate', 25)
  model(img)[0, target_y].backward()
  g = img.grad.data
  img.data += learning_rate * g / g.norm()
  img.grad.zero_()
  return img
# === compute_saliency_maps:loop-over-batch-zero-grad
def compute_saliency_maps(X, y, model):
    X.requires_grad_()
    saliency = None
    model.zero_grad()
    for i in range(X.shape[0]):
        score = model(X[i:i + 1])[0, y[i]]
        score.backward()
    saliency, _ = torch.max(torch.abs(X.grad), dim=1)
    return saliency
# === compute_saliency_maps:autograd-grad-arange-index
def compute_saliency_maps(X, y, model):
    X.requires_grad_()
    saliency = None
    scores = model(X)
    correct = scores[torch.arange(X.shape[0]), y]
    g, = torch.autograd.grad(correct.sum(), X)
    saliency = g.abs().amax(dim=1)
    return saliency
# === compute_saliency_maps:wrong-mean-over-channels
def compute_saliency_maps(X, y, model):
    X.requires_grad_()
    scores = model(X)
    scores.gather(1, y.view(-1, 1)).sum().backward()
    saliency = X.grad.abs().mean(dim=1)
    return saliency
# === make_adversarial_attack:data-update-grad-none
def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
    X_adv = X.clone()
    X_adv = X_adv.requires_grad_()
    learning_rate = 1
    for i in range(max_iter):
        scores = model(X_adv)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[:, target_y].sum().backward()
        g = X_adv.grad.data
        X_adv.data += learning_rate * g / torch.norm(g, p=2)
        X_adv.grad = None
    return X_adv
# === class_visualization_step:no-grad-inplace-grad-none
def class_visualization_step(img, target_y, model, **kwargs):
    l2_reg = kwargs.pop('l2_reg', 1e-3)
    learning_rate = kwargs.pop('learning_rate', 25)
    model.zero_grad()
    scores = model(img)
    obj = scores[0, target_y] - l2_reg * torch.norm(img) ** 2
    obj.backward()
    with torch.no_grad():
        img += learning_rate * img.grad / img.grad.norm()
    img.grad = None
    return img
# === class_visualization_step:wrong-descent
def class_visualization_step(img, target_y, model, **kwargs):
    l2_reg = kwargs.pop('l2_reg', 1e-3)
    learning_rate = kwargs.pop('learning_rate', 25)
    obj = model(img)[0, target_y] - l2_reg * (img ** 2).sum()
    obj.backward()
    img.data -= learning_rate * img.grad.data / img.grad.data.norm()
    img.grad.data.zero_()
    return img
# === compute_saliency_maps:wrong-predicted-class
def compute_saliency_maps(X, y, model):
    X.requires_grad_()
    scores = model(X)
    pred = scores.argmax(dim=1)
    scores.gather(1, pred.view(-1, 1)).sum().backward()
    saliency = X.grad.abs().max(dim=1)[0]
    return saliency
# === make_adversarial_attack:update-then-check
def make_adversarial_attack(X, target_y, model, max_iter=100, verbose=True):
    X_adv = X.clone()
    X_adv = X_adv.requires_grad_()
    learning_rate = 1
    if model(X_adv).argmax().item() == target_y:
        return X_adv
    for it in range(max_iter):
        score = model(X_adv)[0, target_y]
        score.backward()
        with torch.no_grad():
            dX = learning_rate * X_adv.grad / X_adv.grad.norm()
            X_adv.add_(dX)
            X_adv.grad.zero_()
            if model(X_adv).argmax().item() == target_y:
                break
    return X_adv
# === class_visualization_step:wrong-l2-on-data
def class_visualization_step(img, target_y, model, **kwargs):
    l2_reg = kwargs.pop('l2_reg', 1e-3)
    learning_rate = kwargs.pop('learning_rate', 25)
    obj = model(img)[0, target_y] - l2_reg * (img.data ** 2).sum()
    obj.backward()
    img.data += learning_rate * img.grad.data / img.grad.data.norm()
    img.grad.data.zero_()
    return img
