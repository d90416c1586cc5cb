# Variants of the Q4 (style transfer) functions. Each section replaces one function of the
# repository's solution module; see ../manifest.json for what each must score.
# === content_loss:sum-of-squares
def content_loss(content_weight, content_current, content_original):
  diff = content_current - content_original
  return content_weight * (diff * diff).sum()
# === content_loss:mse-reduction-sum
def content_loss(content_weight, content_current, content_original):
  return content_weight * F.mse_loss(content_current, content_original, reduction='sum')
# === content_loss:wrong-mean
def content_loss(content_weight, content_current, content_original):
  return content_weight * torch.mean((content_current - content_original) ** 2)
# === gram_matrix:bmm
def gram_matrix(features, normalize=True):
  N, C, H, W = features.shape
  feats = features.view(N, C, H * W)
  gram = torch.bmm(feats, feats.transpose(1, 2))
  if normalize:
    gram = gram / (H * W * C)
  return gram
# === gram_matrix:einsum
def gram_matrix(features, normalize=True):
  N, C, H, W = features.size()
  gram = torch.einsum('nchw,ndhw->ncd', features, features)
  return gram / (C * H * W) if normalize else gram
# === gram_matrix:loop-over-batch
def gram_matrix(features, normalize=True):
  N, C, H, W = features.shape
  grams = []
  for i in range(N):
    f = features[i].reshape(C, -1)
    grams.append(f @ f.t())
  gram = torch.stack(grams)
  if normalize:
    gram /= float(H * W * C)
  return gram
# === gram_matrix:wrong-divides-by-hw
def gram_matrix(features, normalize=True):
  N, C, H, W = features.shape
  feats = features.reshape(N, C, -1)
  gram = feats @ feats.permute(0, 2, 1)
  if normalize:
    gram = gram / (H * W)
  return gram
# === style_loss:loop
def style_loss(feats, style_layers, style_targets, style_weights):
  loss = 0
  for i, layer in enumerate(style_layers):
    G = gram_matrix(feats[layer])
    loss += style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
  return loss
# === style_loss:sum-of-generator
def style_loss(feats, style_layers, style_targets, style_weights):
  return sum(w * F.mse_loss(gram_matrix(feats[l]), t, reduction='sum')
             for l, t, w in zip(style_layers, style_targets, style_weights))
# === style_loss:wrong-not-squared
def style_loss(feats, style_layers, style_targets, style_weights):
  loss = 0.0
  for i, l in enumerate(style_layers):
    loss = loss + style_weights[i] * (gram_matrix(feats[l]) - style_targets[i]).abs().sum()
  return loss
# === tv_loss:slices
def tv_loss(img, tv_weight):
  h = img[:, :, 1:, :] - img[:, :, :-1, :]
  w = img[:, :, :, 1:] - img[:, :, :, :-1]
  return tv_weight * (torch.sum(h * h) + torch.sum(w * w))
# === tv_loss:torch-diff
def tv_loss(img, tv_weight):
  return tv_weight * (torch.diff(img, dim=2).pow(2).sum() + torch.diff(img, dim=3).pow(2).sum())
# === tv_loss:vectorised-helper
def _squared_diffs(x, dim):
  """sum of squared differences of neighbours along dim"""
  return (x.narrow(dim, 1, x.shape[dim] - 1) - x.narrow(dim, 0, x.shape[dim] - 1)).pow(2).sum()


tv = lambda img: _squared_diffs(img, 2) + _squared_diffs(img, 3)


def tv_loss(img, tv_weight):
  return tv_weight * tv(img)
# === tv_loss:wrong-loop
def tv_loss(img, tv_weight):
  _, _, H, W = img.shape
  loss = 0
  for i in range(H - 1):
    loss += ((img[:, :, i + 1, :] - img[:, :, i, :]) ** 2).sum()
  for j in range(W - 1):
    loss += ((img[:, :, :, j + 1] - img[:, :, :, j]) ** 2).sum()
  return tv_weight * loss
# === tv_loss:wrong-comprehension
def tv_loss(img, tv_weight):
  return tv_weight * sum([(torch.diff(img, dim=d) ** 2).sum() for d in (2, 3)])
# === tv_loss:wrong-wrapper-around-loop
def _tv_rows_and_columns(img):
  total = 0
  for dim in (2, 3):
    total = total + img.diff(dim=dim).pow(2).sum()
  return total


def tv_loss(img, tv_weight):
  return tv_weight * _tv_rows_and_columns(img)
# === tv_loss:wrong-map
def tv_loss(img, tv_weight):
  return tv_weight * sum(map(lambda d: img.diff(dim=d).pow(2).sum(), (2, 3)))
# === tv_loss:wrong-recursion
def tv_loss(img, tv_weight, dim=3):
  part = img.diff(dim=dim).pow(2).sum()
  if dim == 2:
    return tv_weight * part
  return tv_weight * part + tv_loss(img, tv_weight, dim - 1)
# === tv_loss:wrong-abs-instead-of-square
def tv_loss(img, tv_weight):
  return tv_weight * (img.diff(dim=2).abs().sum() + img.diff(dim=3).abs().sum())
# === guided_gram_matrix:loop-over-regions
def guided_gram_matrix(features, masks, normalize=True):
  N, R, H, W = masks.shape
  C = features.shape[2]
  grams = []
  for r in range(R):
    f = (features[:, min(r, features.shape[1] - 1)] * masks[:, r, None]).reshape(N, C, H * W)
    grams.append(torch.bmm(f, f.transpose(1, 2)))
  gram = torch.stack(grams, dim=1)
  return gram / (C * H * W) if normalize else gram
# === guided_gram_matrix:einsum
def guided_gram_matrix(features, masks, normalize=True):
  N, R, H, W = masks.shape
  C = features.shape[2]
  f = features * masks[:, :, None]
  gram = torch.einsum('nrchw,nrdhw->nrcd', f, f)
  if normalize:
    gram = gram / (H * W * C)
  return gram
# === guided_gram_matrix:wrong-mask-not-applied
def guided_gram_matrix(features, masks, normalize=True):
  N, R, H, W = masks.shape
  C = features.shape[2]
  f = features.expand(N, R, C, H, W).reshape(N, R, C, H * W)
  gram = f @ f.transpose(-1, -2)
  return gram / (H * W * C) if normalize else gram
# === guided_style_loss:loop
def guided_style_loss(feats, style_layers, style_targets, style_weights, content_masks):
  loss = 0
  for i, l in enumerate(style_layers):
    G = guided_gram_matrix(feats[l][:, None], content_masks[l])
    loss += style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
  return loss
# === guided_style_loss:sum-mse
def guided_style_loss(feats, style_layers, style_targets, style_weights, content_masks):
  return sum(w * F.mse_loss(guided_gram_matrix(feats[l].unsqueeze(1), content_masks[l]), t, reduction='sum')
             for l, t, w in zip(style_layers, style_targets, style_weights))
# === guided_style_loss:wrong-ignores-masks
def guided_style_loss(feats, style_layers, style_targets, style_weights, content_masks):
  loss = 0
  for i, l in enumerate(style_layers):
    G = gram_matrix(feats[l])[:, None]
    loss += style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
  return loss
# === content_loss:torch-dist-squared
def content_loss(content_weight, content_current, content_original):
    return content_weight * torch.dist(content_current, content_original, p=2) ** 2
# === content_loss:wrong-norm-not-squared
def content_loss(content_weight, content_current, content_original):
    return content_weight * torch.norm(content_current - content_original)
# === gram_matrix:flatten-matmul-mT-inplace
def gram_matrix(features, normalize=True):
    gram = None
    N, C, H, W = features.size()
    f = features.flatten(2)
    gram = f @ f.mT
    if normalize:
        gram /= (H * W * C)
    return gram
# === gram_matrix:wrong-transposed-product
def gram_matrix(features, normalize=True):
    N, C, H, W = features.shape
    f = features.view(N, C, H * W)
    gram = torch.matmul(f.transpose(1, 2), f)
    if normalize:
        gram = gram / (H * W * C)
    return gram
# === style_loss:enumerate-mse-sum
def style_loss(feats, style_layers, style_targets, style_weights):
    loss = torch.zeros((), dtype=feats[0].dtype, device=feats[0].device)
    for i, layer in enumerate(style_layers):
        loss += style_weights[i] * F.mse_loss(gram_matrix(feats[layer]), style_targets[i], reduction='sum')
    return loss
# === style_loss:wrong-index-not-layer
def style_loss(feats, style_layers, style_targets, style_weights):
    loss = 0
    for i in range(len(style_layers)):
        G = gram_matrix(feats[i])
        loss += style_weights[i] * torch.sum((G - style_targets[i]) ** 2)
    return loss
# === tv_loss:ellipsis-square
def tv_loss(img, tv_weight):
    dv = torch.square(img[..., 1:, :] - img[..., :-1, :]).sum()
    dh = torch.square(img[..., :, 1:] - img[..., :, :-1]).sum()
    return tv_weight * (dv + dh)
# === tv_loss:wrong-mean
def tv_loss(img, tv_weight):
    dv = (img[:, :, 1:, :] - img[:, :, :-1, :]).pow(2).mean()
    dh = (img[:, :, :, 1:] - img[:, :, :, :-1]).pow(2).mean()
    return tv_weight * (dv + dh)
# === gram_matrix:float64-intermediate
def gram_matrix(features, normalize=True):
    N, C, H, W = features.shape
    f = features.double().reshape(N, C, -1)
    gram = torch.einsum('ncx,ndx->ncd', f, f)
    if normalize:
        gram = gram / float(C * H * W)
    return gram.to(features.dtype)
# === gram_matrix:wrong-data-detached
def gram_matrix(features, normalize=True):
    N, C, H, W = features.shape
    f = features.data.view(N, C, H * W)
    gram = torch.bmm(f, f.transpose(1, 2))
    if normalize:
        gram = gram / (H * W * C)
    return gram
# === content_loss:wrong-detached
def content_loss(content_weight, content_current, content_original):
    return content_weight * torch.sum((content_current.detach() - content_original) ** 2)
# === tv_loss:wrong-data-detached
def tv_loss(img, tv_weight):
    x = img.data
    return tv_weight * (((x[:, :, 1:, :] - x[:, :, :-1, :]) ** 2).sum() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).sum())
