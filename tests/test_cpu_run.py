"""benchmarks/cpu_run.py reads nbclient's cell timings and the steps the notebooks printed."""
import importlib.util
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cpu_run():
    spec = importlib.util.spec_from_file_location("cpu_run_benchmark", REPO_ROOT / "benchmarks" / "cpu_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def executed_cell(source, seconds, text=""):
    """A code cell as nbclient leaves it: timing metadata and a stream output."""
    start = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc)
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["execution"] = {
        "iopub.execute_input": start.isoformat().replace("+00:00", "Z"),
        "shell.execute_reply": (start + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")}
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)] if text else []
    return cell


def write_run(folder, resnet_iters, dcgan_iters):
    q1 = nbformat.v4.new_notebook(cells=[
        executed_cell("print('mode')", 1.5, "device: cpu | mode: cpu (reduced sizes)\n"),
        executed_cell("names = ['plain32', 'resnet32']\nfor name in names: ...", 20.0,
                      f"plain32: 1 epochs x {resnet_iters} iterations in 9 s on cpu\n"
                      f"resnet32: 1 epochs x {resnet_iters} iterations in 9 s on cpu\n"),
        executed_cell("fast = train_with_budget(model)", 8.0,
                      f"             fast recipe |        {64 * resnet_iters:,} |     8.0 |"),
    ])
    gan = nbformat.v4.new_notebook(cells=[
        executed_cell("D_DC, G_DC = train('DCGAN', D, G)", 12.25,
                      f"DCGAN: {dcgan_iters} iterations of batch 16 in 12 s on cpu\n"),
    ])
    nbformat.write(q1, folder / "pytorch_autograd_and_nn.ipynb")
    nbformat.write(gan, folder / "generative_adversarial_networks.ipynb")


def test_cell_seconds_from_nbclient_timing(cpu_run):
    assert cpu_run.cell_seconds(executed_cell("x = 1", 3.25)) == 3.25
    assert cpu_run.cell_seconds(nbformat.v4.new_code_cell("x = 1")) is None  # never executed


def test_trainings_count_the_printed_steps(cpu_run, tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    for folder, scale in ((small, 1), (large, 3)):
        folder.mkdir()
        write_run(folder, resnet_iters=2 * scale, dcgan_iters=2 * scale)
    rows_small, rows_large = cpu_run.trainings(small), cpu_run.trainings(large)
    assert [what.split(":")[0] for what, _, _ in rows_small] == ["Q1 Part V", "Q1 Going further", "DCGAN (2 iterations)"]
    assert [seconds for _, seconds, _ in rows_small] == [20.0, 8.0, 12.25]
    for (_, _, f1), (_, _, f3) in zip(rows_small, rows_large):  # three times the steps, three times the FLOPs
        assert f1 > 0 and f3 == pytest.approx(3 * f1)


def test_report_sums_the_cells_of_each_notebook(cpu_run, tmp_path, capsys, monkeypatch):
    write_run(tmp_path, resnet_iters=1, dcgan_iters=1)
    monkeypatch.setattr(cpu_run, "matmul_peak", lambda: (1e11, 1e11, 1e11))  # no timing in a test
    cpu_run.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert "pytorch_autograd_and_nn                30 s  (cpu mode)" in out  # 1.5 + 20 + 8
    assert "generative_adversarial_networks        12 s" in out
    assert "network_visualization              not executed" in out
    assert "all notebooks (cells only)             42 s" in out
