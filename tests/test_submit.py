"""Tests for eecs598.submit: zip contents, missing files and the prompted user info."""
import builtins
import os
import warnings
import zipfile

import pytest

from eecs598 import submit
from eecs598.assignment import NOTEBOOKS
from eecs598.submit import (SUBMISSION_FILES, _A4_FILES, _GAN_FILES, check_submission_files,
                            make_a4_submission)

SPEC_A4_FILES = [
    "network_visualization.py", "network_visualization.ipynb",
    "style_transfer.py", "style_transfer.ipynb",
    "pytorch_autograd_and_nn.py", "pytorch_autograd_and_nn.ipynb",
    "rnn_lstm_attention_captioning.py", "rnn_lstm_attention_captioning.ipynb",
    "pytorch_autograd_and_nn.pkl", "rnn_lstm_attention_submission.pkl",
    "saliency_maps_results.jpg", "adversarial_attacks_results.jpg", "class_viz_result.jpg",
    "style_transfer_result.jpg", "feature_inversion_result.jpg",
]
GAN = ["generative_adversarial_networks.py", "generative_adversarial_networks.ipynb",
       "gan_vanilla.jpg", "gan_lsgan.jpg", "gan_dcgan.jpg"]


def _populate(path, names=SUBMISSION_FILES):
    for name in names:
        (path / name).write_bytes(("content of " + name).encode())


def _no_input(prompt=""):
    raise AssertionError("input() should not be called")


def test_file_lists():
    assert _A4_FILES == SPEC_A4_FILES
    assert _GAN_FILES[:len(GAN)] == GAN  # the GAN notebook first among the optional ones
    optional = [nb for nb in NOTEBOOKS if not nb.required]  # each: module, notebook, artifacts
    assert sorted(_GAN_FILES) == sorted(f for nb in optional for f in (f"{nb.name}.py", f"{nb.name}.ipynb") + nb.artifacts)
    assert SUBMISSION_FILES == SPEC_A4_FILES + _GAN_FILES


def test_zip_contents_order_and_bare_names(tmp_path, monkeypatch):
    monkeypatch.setattr(builtins, "input", _no_input)
    _populate(tmp_path)
    (tmp_path / "extra.txt").write_text("not submitted")
    zip_path = make_a4_submission(str(tmp_path), "justincj", "12345678")
    assert os.path.samefile(zip_path, tmp_path / "justincj_12345678_A4.zip")
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == SPEC_A4_FILES + _GAN_FILES
        for name in zf.namelist():
            assert zf.read(name) == ("content of " + name).encode()


def test_missing_files_listed_at_once_and_no_zip(tmp_path, monkeypatch):
    monkeypatch.setattr(builtins, "input", _no_input)
    missing = ["style_transfer.py", "rnn_lstm_attention_submission.pkl", "gan_dcgan.jpg"]
    _populate(tmp_path, [n for n in SUBMISSION_FILES if n not in missing])
    assert check_submission_files(str(tmp_path)) == missing
    with pytest.raises(ValueError) as err:
        make_a4_submission(str(tmp_path), "justincj", "12345678")
    message = str(err.value)
    for name in missing[:2]:
        assert '"%s"' % name in message
    assert "2 file(s)" in message and "gan_dcgan.jpg" not in message  # the GAN files are optional
    assert not list(tmp_path.glob("*.zip"))


def test_check_submission_files_complete(tmp_path):
    _populate(tmp_path)
    assert check_submission_files(str(tmp_path)) == []
    assert check_submission_files(str(tmp_path / "nowhere")) == SUBMISSION_FILES


def test_none_arguments_prompt(tmp_path, monkeypatch):
    _populate(tmp_path)
    answers = iter(["  justincj ", "12 34", "12345678"])  # the first umid is invalid: asked again
    prompts = []

    def fake_input(prompt=""):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", fake_input)
    zip_path = make_a4_submission(str(tmp_path))
    assert os.path.basename(zip_path) == "justincj_12345678_A4.zip"
    assert len(prompts) == 3 and "uniquename" in prompts[0] and "umid" in prompts[1]


def test_only_missing_value_is_prompted(tmp_path, monkeypatch):
    _populate(tmp_path)
    monkeypatch.setattr(builtins, "input", lambda prompt="": "87654321")
    zip_path = make_a4_submission(str(tmp_path), uniquename="someone")
    assert os.path.basename(zip_path) == "someone_87654321_A4.zip"


def test_invalid_user_info_raises(tmp_path, monkeypatch):
    _populate(tmp_path)
    monkeypatch.setattr(builtins, "input", _no_input)
    with pytest.raises(ValueError, match="umid"):
        make_a4_submission(str(tmp_path), "justincj", "12/45678")  # cannot be part of a file name
    with pytest.raises(ValueError, match="uniquename"):
        make_a4_submission(str(tmp_path), "justin cj", "12345678")
    monkeypatch.setattr(builtins, "input", lambda prompt="": "")
    with pytest.raises(ValueError, match="tries"):
        submit._get_user_info(None, "12345678")
    assert not list(tmp_path.glob("*.zip"))


# ---- calls written for the original course (issue 11, item 7) ---------------------------------
def test_original_call_with_the_15_original_files_only(tmp_path, monkeypatch, capsys):
    """The FA2020 notebooks call make_a4_submission(path, uniquename, umid) on a folder without
    any GAN file: the zip holds exactly the 15 original files, in the original order."""
    monkeypatch.setattr(builtins, "input", _no_input)
    _populate(tmp_path, SPEC_A4_FILES)
    zip_path = make_a4_submission(str(tmp_path), "justincj", "12345678")
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == SPEC_A4_FILES
    assert "gan_dcgan.jpg" in capsys.readouterr().out  # says what was left out


def test_gan_files_included_when_present(tmp_path, monkeypatch):
    monkeypatch.setattr(builtins, "input", _no_input)
    present = ["generative_adversarial_networks.py", "gan_lsgan.jpg"]
    _populate(tmp_path, SPEC_A4_FILES + present)
    zip_path = make_a4_submission(str(tmp_path), "justincj", "12345678")
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == SPEC_A4_FILES + present


def test_missing_original_file_still_refused_without_gan_files(tmp_path, monkeypatch):
    monkeypatch.setattr(builtins, "input", _no_input)
    _populate(tmp_path, [n for n in SPEC_A4_FILES if n != "class_viz_result.jpg"])
    with pytest.raises(ValueError) as err:
        make_a4_submission(str(tmp_path), "justincj", "12345678")
    assert '"class_viz_result.jpg"' in str(err.value) and "1 file(s)" in str(err.value)
    assert "gan" not in str(err.value)
    assert not list(tmp_path.glob("*.zip"))


@pytest.mark.parametrize("umid", ["1234567", "123456789", "abc12345", 12345678])
def test_unusual_umid_warns_but_writes_the_zip(tmp_path, monkeypatch, umid):
    monkeypatch.setattr(builtins, "input", _no_input)
    _populate(tmp_path, SPEC_A4_FILES)
    if str(umid).isdigit() and len(str(umid)) == 8:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            zip_path = make_a4_submission(str(tmp_path), "justincj", umid)
    else:
        with pytest.warns(UserWarning, match="not 8 digits"):
            zip_path = make_a4_submission(str(tmp_path), "justincj", umid)
    assert os.path.basename(zip_path) == "justincj_%s_A4.zip" % umid
    assert zipfile.ZipFile(zip_path).namelist() == SPEC_A4_FILES


def test_prompted_unusual_umid_is_accepted_with_a_warning(tmp_path, monkeypatch):
    _populate(tmp_path, SPEC_A4_FILES)
    answers = iter(["justincj", "1234"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    with pytest.warns(UserWarning, match="not 8 digits"):
        zip_path = make_a4_submission(str(tmp_path))
    assert os.path.basename(zip_path) == "justincj_1234_A4.zip"
