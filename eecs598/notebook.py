"""The common first step of every notebook: device, run mode, data settings, import check."""
import importlib
import os
import time

from .device import describe, get_device
from .resources import MIRROR_ENV, data_dir, mirror_dir


def setup_notebook(module_name):
    """Print the run settings, import ``module_name`` and call its ``hello()``; return the device.

    The printed edit time of the module proves the notebook imported the file you are editing
    (as in the original EECS 498 notebooks).
    """
    import matplotlib.pyplot as plt

    plt.rcParams["figure.figsize"] = (10.0, 8.0)
    plt.rcParams["image.interpolation"] = "nearest"
    plt.rcParams["image.cmap"] = "gray"

    device = get_device()
    print(describe(device))
    mirror = mirror_dir()
    print(f"data cache: {data_dir()} | data mirror: {mirror if mirror else f'not set ({MIRROR_ENV})'}")
    module = importlib.import_module(module_name)
    module.hello()
    edited = time.ctime(os.path.getmtime(module.__file__))
    print(f"{module_name}.py last edited on {edited}")
    if device.type == "cpu" and "google.colab" in __import__("sys").modules:
        print("No GPU: on Colab choose Runtime -> Change runtime type -> GPU for the original sizes.")
    return device
