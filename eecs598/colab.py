"""What a fresh runtime (Colab) lacks for each notebook, and how to get it without touching torch.

The second cell of every notebook calls :func:`install_missing`. On Colab it installs, quietly,
the packages the notebook imports that the runtime does not have, at the versions
``requirements.txt`` allows. Elsewhere it installs nothing and prints the command to run.
torch and torchvision are never installed or upgraded: Colab's builds match its CUDA, and a pip
upgrade would replace them. A constraints file pins them at the installed versions so that no
dependency can pull in another torch.

Optional comparisons with other libraries (Captum, torchattacks) import them through
:func:`optional_import`, which returns ``None`` with a clear message when a library is missing.
"""
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

from .assignment import packages

REQUIREMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            'requirements.txt')

# Distributions each notebook imports beyond the Colab image's standard stack (torch,
# torchvision, numpy, scipy, matplotlib, pillow, h5py, tqdm are always there).
NOTEBOOK_PACKAGES = packages()
# Distribution name -> the module it installs, where they differ.
IMPORT_NAMES = {'pillow': 'PIL'}
NEVER_INSTALL = ('torch', 'torchvision')


def requirement_specs(path=REQUIREMENTS):
    """``{distribution name (lower case): requirement line}`` from a requirements file."""
    specs = {}
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                name = re.match(r'[A-Za-z0-9_.\-]+', line).group(0).lower()
                specs[name] = line
    return specs


def missing_packages(names, find_spec=None):
    """The distributions among ``names`` whose module cannot be imported."""
    find_spec = find_spec or importlib.util.find_spec
    return [n for n in names if find_spec(IMPORT_NAMES.get(n, n)) is None]


def pip_command(packages, specs, constraints=None):
    """The quiet ``pip install`` command for ``packages``, pinned as ``specs`` allow.

    Raises ValueError for torch/torchvision: this helper must never (re)install them.
    """
    for p in packages:
        if p.lower() in NEVER_INSTALL:
            raise ValueError(f'{p} is never installed by the notebooks (keep the runtime\'s build)')
    cmd = [sys.executable, '-m', 'pip', 'install', '-q']
    if constraints:
        cmd += ['-c', constraints]
    return cmd + [specs.get(p.lower(), p) for p in packages]


def torch_constraints(versions=None):
    """Write a pip constraints file pinning torch/torchvision at the installed versions."""
    if versions is None:
        versions = {}
        for name in NEVER_INSTALL:
            try:
                versions[name] = importlib.import_module(name).__version__
            except ImportError:
                pass
    fd, path = tempfile.mkstemp(prefix='eecs598_constraints_', suffix='.txt')
    with os.fdopen(fd, 'w') as f:
        f.writelines(f'{name}=={v}\n' for name, v in versions.items())
    return path


def on_colab():
    return 'google.colab' in sys.modules


def install_missing(notebook, *, colab=None, find_spec=None, run=None, requirements=REQUIREMENTS):
    """Install (on Colab) or name (elsewhere) the packages ``notebook`` needs and lacks.

    Returns the list of packages that were missing.
    """
    colab = on_colab() if colab is None else colab
    missing = missing_packages(NOTEBOOK_PACKAGES[notebook], find_spec)
    if not missing:
        print('all packages this notebook needs are installed')
        return []
    specs = requirement_specs(requirements)
    if colab:
        cmd = pip_command(missing, specs, constraints=torch_constraints())
        print('installing what this runtime lacks (torch untouched):', ' '.join(cmd[cmd.index('-q') + 1:]))
        (run or subprocess.run)(cmd, check=True)
        importlib.invalidate_caches()
    else:
        cmd = pip_command(missing, specs)
        print('missing packages:', ', '.join(missing))
        print('install them with: pip install', ' '.join(cmd[cmd.index('-q') + 1:]))
        print('(cells that only compare with these libraries skip with a message until then)')
    return missing


def optional_import(module, purpose):
    """Import ``module``, or return None and say which ``purpose`` is skipped without it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split('.')[0]
        print(f'{package} is not installed, so {purpose} is skipped. Your own functions still run '
              f'and are graded the same way; to see the comparison, run `pip install {package}` '
              'and rerun this cell.')
        return None
