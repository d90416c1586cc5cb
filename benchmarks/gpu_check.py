"""What only a GPU shows, in one command (under 8 minutes on one GPU): the students' Colab path.

Sections (each reports its peak GPU memory, ``torch.cuda.max_memory_allocated``, and, where its
FLOPs are counted, the share of the GPU's peak measured here with a large matmul):

1. ``peak``      -- fp32 and bf16 matmul TFLOP/s (8192^3): the reference for the shares below;
2. ``notebooks`` -- each notebook in ``full`` mode up to the end of its first training cell
                    (cells run in order; that cell may run at most ``--cell-timeout`` s, else the
                    time it had reached is reported);
3. ``resnet32``  -- the original Q1 recipe for a fixed wall-time budget: epochs/s and test accuracy
                    on the data available (full CIFAR-10 online, else the mirror's subset);
4. ``style``     -- style transfer seconds per optimisation step at 512 px (params3 weights);
5. ``gan``       -- GAN training iterations per second (vanilla and DCGAN, batch 128);
6. ``lstm``      -- the hand-written LSTM against ``nn.LSTM`` on CUDA (forward + backward ratio).

Without a CUDA GPU it prints why and exits 0 (CI has none). Usage:
    python benchmarks/gpu_check.py                    # everything, about 6-7 minutes
    python benchmarks/gpu_check.py --only resnet32 lstm --resnet-budget 30
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from eecs598.assignment import NOTEBOOKS  # noqa: E402

SECTIONS = ("peak", "notebooks", "resnet32", "style", "gan", "lstm")
# a string that each notebook's first training cell contains (from the assignment registry)
FIRST_TRAINING_CELL = {nb.name: nb.training_cell for nb in NOTEBOOKS if nb.training_cell}


def sync():
    torch.cuda.synchronize()


def timed(fn, repeats=10, warmup=2):
    """Median seconds of ``fn()`` on the GPU."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def flops_of(fn):
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


class Report:
    """Collects one row per measurement and prints them as a table at the end."""

    def __init__(self, peak_flops=None):
        self.rows, self.peak = [], peak_flops

    def add(self, section, what, value, flops_per_s=None, peak_bytes=None):
        """``peak_bytes``: peak GPU memory measured elsewhere (default: this process's peak)."""
        share = f"{100 * flops_per_s / self.peak:.1f}%" if flops_per_s and self.peak else "-"
        peak_bytes = torch.cuda.max_memory_allocated() if peak_bytes is None else peak_bytes
        mem = f"{peak_bytes / 2**30:.2f}" if peak_bytes >= 0 else "n/a"
        self.rows.append((section, what, value, mem, share))
        print(f"  {section:<10} {what:<44} {value:<28} peak mem {mem} GiB  share of peak {share}", flush=True)

    def table(self):
        lines = ["| section | measurement | value | peak memory (GiB) | share of fp32 matmul peak |",
                 "| --- | --- | --- | --- | --- |"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(lines)


def section_peak(report, args):
    n = 8192
    for dtype in (torch.float32, torch.bfloat16):
        a, b = (torch.randn(n, n, device="cuda", dtype=dtype) for _ in range(2))
        t = timed(lambda: a @ b, repeats=10)
        rate = 2 * n ** 3 / t
        if dtype == torch.float32:
            report.peak = rate
        report.add("peak", f"matmul {n}^3 {str(dtype).split('.')[-1]}", f"{rate / 1e12:.1f} TFLOP/s")
        del a, b


def section_notebooks(report, args):
    import tempfile

    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    os.environ.pop("EECS598_FAST", None)  # full mode: the original sizes
    os.environ["EECS598_ROOT"] = str(REPO)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    for name, marker in FIRST_TRAINING_CELL.items():
        nb = nbformat.read(REPO / f"{name}.ipynb", as_version=4)
        last = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and marker in c.source)
        # the kernel is another process: it reports its own peak GPU memory
        nb.cells = nb.cells[:last + 1] + [nbformat.v4.new_code_cell(
            "import torch; print('GPU_PEAK_BYTES', torch.cuda.max_memory_allocated() if torch.cuda.is_available() else -1)")]
        done = []
        with tempfile.TemporaryDirectory() as out:
            # local IPC sockets, as in eecs598.run_notebooks: no TCP port, no "unencrypted" warning
            kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(out) / "sockets"))
            client = NotebookClient(nb, km=kernel, timeout=args.cell_timeout,
                                    resources={"metadata": {"path": out}},
                                    on_cell_executed=lambda cell_index, **_: done.append(cell_index))
            start, status = time.perf_counter(), "ok"
            try:
                client.execute()
            except CellTimeoutError:
                running = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in done)
                status = (f"cell {running} ({'the first training cell' if running == last else 'before it'}) "
                          f"still running at {args.cell_timeout} s")
            except Exception as err:  # a failing cell is a finding, not a crash of this script
                status = f"FAILED: {str(err).strip().splitlines()[-1][:120] if str(err).strip() else repr(err)}"
            seconds = time.perf_counter() - start
        texts = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])]
        mode = next((t for t in texts if "mode:" in t), "").strip().split("|")[1:2]
        peak = next((int(t.split()[1]) for t in texts if t.startswith("GPU_PEAK_BYTES")), -1)
        report.add("notebooks", f"{name} to its first training cell",
                   f"{seconds:.0f} s, {status}" + (f" ({mode[0].strip()})" if mode else ""), peak_bytes=peak)


def section_resnet32(report, args):
    import pytorch_autograd_and_nn as q1
    from eecs598 import cifar_recipes
    from eecs598.data import load_cifar10_arrays

    torch.cuda.reset_peak_memory_stats()
    arrays = load_cifar10_arrays()
    X_tr, y_tr = cifar_recipes.normalize_cifar(arrays["X_train"]), torch.as_tensor(arrays["y_train"])
    X_te, y_te = cifar_recipes.normalize_cifar(arrays["X_test"]), torch.as_tensor(arrays["y_test"])
    torch.manual_seed(0)
    model = q1.get_resnet("resnet32")
    per_image = flops_of(lambda: model(X_tr[:64]).sum().backward()) / 64
    model.zero_grad(set_to_none=True)
    res = cifar_recipes.train_with_budget(model, X_tr, y_tr, args.resnet_budget, recipe="original",
                               device=torch.device("cuda"), X_val=X_te, y_val=y_te, progress=False)
    epochs_per_s = res["images"] / len(y_tr) / res["seconds"]
    report.add("resnet32", f"original recipe, {args.resnet_budget:.0f} s, {len(y_tr):,} train images",
               f"{epochs_per_s:.2f} epochs/s, test acc {100 * res['val_acc']:.1f}%",
               per_image * res["images_per_s"])
    report.add("resnet32", "data", arrays["source"][:60])


def section_style(report, args):
    import style_transfer as st
    from a4_helper import preprocess
    from eecs598.data import style_image
    from eecs598.pretrained import load_squeezenet

    torch.cuda.reset_peak_memory_stats()
    model = load_squeezenet(pretrained="auto", verbose=False)
    cnn = model.features.cuda().eval()
    for p in cnn.parameters():
        p.requires_grad_(False)
    layers, weights = [1, 4, 6, 7], [300000, 1000, 15, 3]
    content = preprocess(style_image("tubingen"), size=512).cuda()
    style = preprocess(style_image("starry_night"), size=512).cuda()
    with torch.no_grad():
        target_c = st.extract_features(content, cnn)[3]
        feats = st.extract_features(style, cnn)
        targets = [st.gram_matrix(feats[i]) for i in layers]
    img = content.clone().requires_grad_(True)
    opt = torch.optim.Adam([img], lr=3.0)

    def step():
        opt.zero_grad()
        f = st.extract_features(img, cnn)
        loss = (st.content_loss(6e-2, f[3], target_c) + st.style_loss(f, layers, targets, weights)
                + st.tv_loss(img, 2e-2))
        loss.backward()
        opt.step()

    t = timed(step, repeats=20, warmup=3)
    report.add("style", f"s/step at 512 px ({tuple(content.shape[2:])}), {'ImageNet' if model.is_imagenet else 'untrained'}",
               f"{t * 1e3:.1f} ms/step", flops_of(step) / t)


def section_gan(report, args):
    import generative_adversarial_networks as gan

    batch = 128
    for kind in ("vanilla", "dc"):
        torch.cuda.reset_peak_memory_stats()
        torch.manual_seed(0)
        if kind == "vanilla":
            D, G = gan.discriminator(), gan.generator()
        else:
            D, G = gan.build_dc_classifier(batch), gan.build_dc_generator()
        D, G = D.cuda(), G.cuda()
        D_opt, G_opt = gan.get_optimizer(D), gan.get_optimizer(G)
        x = torch.rand(batch, 1, 28, 28, device="cuda")
        x = x.view(batch, -1) if kind == "vanilla" else x

        def step():
            D_opt.zero_grad()
            fake = G(gan.sample_noise(batch, gan.NOISE_DIM).cuda()).detach()
            gan.discriminator_loss(D(2 * (x - 0.5)), D(fake.view_as(x))).backward()
            D_opt.step()
            G_opt.zero_grad()
            fake = G(gan.sample_noise(batch, gan.NOISE_DIM).cuda())
            gan.generator_loss(D(fake.view_as(x))).backward()
            G_opt.step()

        t = timed(step, repeats=50, warmup=5)
        report.add("gan", f"{kind} GAN, batch {batch}", f"{1 / t:.0f} it/s", flops_of(step) / t)


def section_lstm(report, args):
    import rnn_lstm_attention_captioning as cap

    for N, T, D, H in [(64, 16, 512, 512), (250, 16, 1280, 512)]:
        torch.cuda.reset_peak_memory_stats()
        torch.manual_seed(0)
        x = torch.randn(N, T, D, device="cuda", requires_grad=True)
        h0 = torch.randn(N, H, device="cuda", requires_grad=True)
        mine = cap.LSTM(D, H, device="cuda")
        ref = torch.nn.LSTM(D, H, batch_first=True).cuda()
        c0 = torch.zeros(1, N, H, device="cuda")
        t_ref = timed(lambda: ref(x, (h0[None], c0))[0].sum().backward(), repeats=30, warmup=5)
        t_mine = timed(lambda: mine(x, h0).sum().backward(), repeats=30, warmup=5)
        flops = 3 * 2 * N * T * (D + H) * 4 * H
        report.add("lstm", f"N,T,D,H={N},{T},{D},{H}: LSTM / nn.LSTM",
                   f"{t_mine / t_ref:.2f}x ({t_mine * 1e3:.2f} vs {t_ref * 1e3:.2f} ms)", flops / t_mine)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--resnet-budget", type=float, default=60, help="seconds of resnet32 training")
    parser.add_argument("--cell-timeout", type=int, default=40,
                        help="seconds any notebook cell may run in the notebooks section")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("gpu_check: skipped: no CUDA GPU here (torch.cuda.is_available() is False); "
              "nothing to measure. Run it on a GPU machine (e.g. Colab) to get the table.")
        return 0
    name = torch.cuda.get_device_name()
    total = torch.cuda.get_device_properties(0).total_memory / 2**30
    print(f"gpu_check on {name} ({total:.0f} GiB) | torch {torch.__version__} | CUDA {torch.version.cuda}")
    report, start = Report(), time.perf_counter()
    sections = {"peak": section_peak, "notebooks": section_notebooks, "resnet32": section_resnet32,
                "style": section_style, "gan": section_gan, "lstm": section_lstm}
    if "peak" not in args.only:
        args.only.insert(0, "peak")  # the shares need it
    for section in SECTIONS:
        if section not in args.only:
            continue
        print(f"[{time.perf_counter() - start:5.0f} s] {section}", flush=True)
        torch.cuda.reset_peak_memory_stats()
        try:
            sections[section](report, args)
        except Exception as err:  # report and go on: one broken section must not hide the others
            report.add(section, "FAILED", f"{type(err).__name__}: {err}"[:120])
        torch.cuda.empty_cache()
    print(f"\n{name}, {time.perf_counter() - start:.0f} s in all\n")
    print(report.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
