"""The notebooks' install step on a fresh runtime (Colab) where packages are missing."""
import json
import sys
from pathlib import Path

import pytest

from eecs598 import colab

ROOT = Path(__file__).resolve().parent.parent


def fake_find_spec(missing):
    """A find_spec that reports the modules in ``missing`` as absent, everything else present."""
    return lambda name: None if name in missing else object()


def test_colab_installs_only_the_missing_packages_quietly_and_never_torch(capsys):
    calls = []
    missing = colab.install_missing('network_visualization', colab=True,
                                    find_spec=fake_find_spec({'captum', 'torchattacks', 'torch'}),
                                    run=lambda cmd, check: calls.append(cmd))
    assert missing == ['captum', 'torchattacks']
    assert len(calls) == 1
    cmd = calls[0]
    assert cmd[:5] == [sys.executable, '-m', 'pip', 'install', '-q']
    assert cmd[-2:] == ['captum', 'torchattacks']
    assert not any(arg.split('=')[0].split('<')[0].split('>')[0] in ('torch', 'torchvision')
                   for arg in cmd)
    # the constraints file pins the installed torch, so no dependency can replace it
    constraints = Path(cmd[cmd.index('-c') + 1]).read_text()
    import torch
    assert f'torch=={torch.__version__}' in constraints.splitlines()
    assert 'torch untouched' in capsys.readouterr().out


def test_nothing_is_installed_when_nothing_is_missing(capsys):
    calls = []
    assert colab.install_missing('network_visualization', colab=True, find_spec=fake_find_spec(set()),
                                 run=lambda cmd, check: calls.append(cmd)) == []
    assert calls == []
    assert 'installed' in capsys.readouterr().out


def test_off_colab_the_command_is_printed_not_run(capsys):
    calls = []
    missing = colab.install_missing('rnn_lstm_attention_captioning', colab=False,
                                    find_spec=fake_find_spec({'nltk'}),
                                    run=lambda cmd, check: calls.append(cmd))
    assert missing == ['nltk'] and calls == []
    assert 'pip install nltk' in capsys.readouterr().out


def test_specs_follow_requirements_and_torch_is_refused(tmp_path):
    req = tmp_path / 'requirements.txt'
    req.write_text('torch==2.14.1  # never from the notebooks\ncaptum>=0.7,<0.9\n\nnltk\n')
    specs = colab.requirement_specs(req)
    assert specs == {'torch': 'torch==2.14.1', 'captum': 'captum>=0.7,<0.9', 'nltk': 'nltk'}
    assert colab.pip_command(['captum'], specs)[-1] == 'captum>=0.7,<0.9'
    with pytest.raises(ValueError):
        colab.pip_command(['torch'], specs)


def test_every_notebook_package_is_in_requirements():
    specs = colab.requirement_specs()
    for notebook, packages in colab.NOTEBOOK_PACKAGES.items():
        assert (ROOT / f'{notebook}.ipynb').exists()
        assert all(p in specs for p in packages), (notebook, packages)


def test_every_notebook_calls_the_install_step_before_its_imports():
    for notebook in colab.NOTEBOOK_PACKAGES:
        cells = [''.join(c['source']) for c in json.loads((ROOT / f'{notebook}.ipynb').read_text())['cells']
                 if c['cell_type'] == 'code']
        install = [i for i, s in enumerate(cells) if f"install_missing('{notebook}')" in s]
        assert install == [1], notebook  # right after the Drive/sys.path cell
        later = '\n'.join(cells[2:])
        for package in colab.NOTEBOOK_PACKAGES[notebook]:
            # only through optional_import, or inside modules the notebook imports lazily
            assert f'import {package}' not in later and f'from {package}' not in later, (notebook, package)


def test_a_missing_optional_library_gives_a_clear_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'captum', None)  # import captum now raises ImportError
    assert colab.optional_import('captum.attr', 'the comparison with Captum') is None
    out = capsys.readouterr().out
    assert 'captum is not installed' in out and 'comparison with Captum is skipped' in out
    assert 'pip install captum' in out
    assert colab.optional_import('json', 'nothing') is json


def test_the_notebook_cells_on_a_fresh_colab_runtime(monkeypatch, capsys):
    """Each notebook's install cell, run as written, on a fake Colab where its packages are missing."""
    import importlib.util
    import subprocess
    import types

    monkeypatch.setitem(sys.modules, 'google', types.ModuleType('google'))
    monkeypatch.setitem(sys.modules, 'google.colab', types.ModuleType('google.colab'))
    real_find_spec = importlib.util.find_spec
    for notebook, packages in colab.NOTEBOOK_PACKAGES.items():
        calls = []
        monkeypatch.setattr(importlib.util, 'find_spec',
                            lambda name: None if name in packages else real_find_spec(name))
        monkeypatch.setattr(subprocess, 'run', lambda cmd, check: calls.append(cmd))
        cells = [''.join(c['source']) for c in json.loads((ROOT / f'{notebook}.ipynb').read_text())['cells']
                 if c['cell_type'] == 'code']
        exec(cells[1], {})
        out = capsys.readouterr().out
        if packages:
            assert len(calls) == 1 and calls[0][-len(packages):] == packages, (notebook, calls)
            assert 'torch' not in calls[0] and 'torchvision' not in calls[0]
            assert 'torch untouched' in out
        else:
            assert calls == [] and 'installed' in out
