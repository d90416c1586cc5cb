"""The assignment in one place: its notebooks and what belongs to each.

Every tool reads this registry -- the main job (``run``), the submission zip (``submit``), the
grader's questions and parts (``grading.questions``), the student release, the Colab install cell
and the tests. Adding a notebook is one :class:`Notebook` entry here plus its files
(``NAME.ipynb``, ``NAME.py``, its tests and graded tests).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Extension:
    """A graded part this project adds to a notebook (not in the original assignments)."""
    question: str   # grading key, e.g. "Q3X"
    title: str
    points: int


@dataclass(frozen=True)
class Notebook:
    """One notebook ``NAME.ipynb`` with its same-named student module ``NAME.py``.

    - question, title, points: the graded question the module's functions answer.
    - part: the part of the grade it counts towards (a key of :data:`PARTS`).
    - artifacts: files the notebook writes that go into the submission, in submission order.
    - check_files: stored reference outputs the notebook loads (names in ``eecs598.resources``).
    - extensions: graded parts this project adds on top of the original question.
    - packages: distributions the notebook imports beyond Colab's standard stack.
    - training_cell: text that the notebook's first training cell contains (``benchmarks/gpu_check.py``
      runs the notebook in full mode up to that cell).
    - required: whether ``make_a4_submission`` insists on its files (the original's 15 files).
    - submit_rank: position of the module/notebook pair in the submission zip (the original's order).
    - origin: the assignment it comes from.
    """
    name: str
    question: str
    title: str
    points: int
    part: str
    artifacts: tuple = ()
    check_files: tuple = ()
    extensions: tuple = ()
    packages: tuple = ()
    training_cell: str = None
    required: bool = True
    submit_rank: int = 0
    origin: str = "EECS 498-007 FA2020 A4"

    @property
    def files(self):
        """The notebook and its module, as submitted."""
        return (f"{self.name}.py", f"{self.name}.ipynb")


# The parts of the grade, listed separately in results.json: the original questions keep the
# original points (EECS 498-007 FA2020 A4: 30/40/15/15) and are earned from the original
# functions only; the GAN question (CS231n) and this project's extensions are parts of their own,
# so a submission written for the original course loses nothing for lacking them.
PARTS = {  # key -> title
    "A4": "EECS 498-007 FA2020 Assignment 4 (original questions)",
    "GAN": "Generative Adversarial Networks (CS231n)",
    "EXT": "Extensions of this project (not in the original assignments)",
}
EXTENSION_PART = "EXT"

NOTEBOOKS = (
    Notebook("pytorch_autograd_and_nn", "Q1", "PyTorch Autograd and NN", 30, "A4",
             artifacts=("pytorch_autograd_and_nn.pkl",), training_cell="train_part2(", submit_rank=2),
    Notebook("rnn_lstm_attention_captioning", "Q2", "Image Captioning with RNNs", 40, "A4",
             artifacts=("rnn_lstm_attention_submission.pkl",), packages=("nltk",),
             training_cell="captioning_train(", submit_rank=3),
    Notebook("network_visualization", "Q3", "Network Visualization", 15, "A4",
             artifacts=("saliency_maps_results.jpg", "adversarial_attacks_results.jpg",
                        "class_viz_result.jpg"),
             extensions=(Extension("Q3X", "Ext.: PGD, SmoothGrad, Grad-CAM", 5),),
             packages=("captum", "torchattacks"), training_cell="compute_saliency_maps(", submit_rank=0),
    Notebook("style_transfer", "Q4", "Style Transfer", 15, "A4",
             artifacts=("style_transfer_result.jpg", "feature_inversion_result.jpg"),
             check_files=("style_transfer_checks",),
             extensions=(Extension("Q4X", "Ext.: guided style transfer", 5),), training_cell="style_transfer(",
             submit_rank=1),
    Notebook("generative_adversarial_networks", "GAN", "Generative Adversarial Networks", 15, "GAN",
             artifacts=("gan_vanilla.jpg", "gan_lsgan.jpg", "gan_dcgan.jpg"),
             check_files=("gan_checks",), training_cell="run_a_gan(", required=False, submit_rank=4,
             origin="CS231n A3"),
)


def notebook_names(notebooks=None):
    """The notebook names in assignment order."""
    return tuple(nb.name for nb in (NOTEBOOKS if notebooks is None else notebooks))


def by_name(name, notebooks=None):
    """The :class:`Notebook` called ``name``; ``KeyError`` when there is none."""
    for nb in NOTEBOOKS if notebooks is None else notebooks:
        if nb.name == name:
            return nb
    raise KeyError(name)


def questions(notebooks=None):
    """``{question key: (title, module, points)}``: each notebook's question, then its extensions."""
    notebooks = NOTEBOOKS if notebooks is None else notebooks
    out = {nb.question: (nb.title, nb.name, nb.points) for nb in notebooks}
    for nb in notebooks:
        out.update({x.question: (x.title, nb.name, x.points) for x in nb.extensions})
    return out


def parts(notebooks=None):
    """``{part key: (title, question keys)}`` in :data:`PARTS` order; parts without questions left out."""
    notebooks = NOTEBOOKS if notebooks is None else notebooks
    members = {key: [] for key in PARTS}
    for nb in notebooks:
        members[nb.part].append(nb.question)
        members[EXTENSION_PART].extend(x.question for x in nb.extensions)
    return {key: (PARTS[key], tuple(qs)) for key, qs in members.items() if qs}


def submission_files(required, notebooks=None):
    """The files of the submission zip, in its order.

    ``required=True``: the original's files -- every required notebook and module in
    ``submit_rank`` order, then their artifacts in assignment order (the original's 15 files).
    ``required=False``: the optional notebooks' files, each notebook's module, notebook, artifacts.
    """
    notebooks = [nb for nb in (NOTEBOOKS if notebooks is None else notebooks) if nb.required == required]
    if not required:
        return [f for nb in sorted(notebooks, key=lambda nb: nb.submit_rank) for f in nb.files + nb.artifacts]
    modules = [f for nb in sorted(notebooks, key=lambda nb: nb.submit_rank) for f in nb.files]
    return modules + [a for nb in notebooks for a in nb.artifacts]


def packages(notebooks=None):
    """``{notebook name: [distributions it needs beyond Colab's stack]}``."""
    return {nb.name: list(nb.packages) for nb in (NOTEBOOKS if notebooks is None else notebooks)}
