"""The real download path of eecs598.resources against a local server (127.0.0.1) that serves the
data mirror's genuine files under the official URL paths: empty cache, progress bar, checksums,
atomic rename, zip members, dropped connections, corrupted payloads, 404s, silent servers and two
processes downloading the same file at once."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from download_server import DownloadServer, build_official_tree
from eecs598 import resources
from eecs598.resources import ResourceUnavailable, fetch

MIRROR = Path(os.environ.get(resources.MIRROR_ENV) or Path(__file__).resolve().parents[2] / "shared" / "data")
if not (MIRROR / "MANIFEST.md").exists():
    pytest.skip("no data mirror here (EECS598_DATA_MIRROR)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("official")
    served = build_official_tree(root, MIRROR)
    with DownloadServer(root) as srv:
        srv.served = served
        yield srv


@pytest.fixture
def online(server, tmp_path, monkeypatch):
    """An empty cache, no mirror, downloads on and sent to the local server; faults reset."""
    monkeypatch.setenv(resources.DATA_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(resources.MIRROR_ENV, raising=False)
    monkeypatch.delenv(resources.OFFLINE_ENV, raising=False)
    monkeypatch.delenv(resources.STANDINS_ENV, raising=False)
    monkeypatch.setenv(resources.URL_MAP_ENV, server.url_map())
    monkeypatch.setenv(resources.TIMEOUT_ENV, "2")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no hub cache to fall back on
    server.faults.clear()
    server.requests.clear()
    return tmp_path / "cache"


def leftovers(cache):
    return sorted(p.name for p in cache.rglob(".*.part*"))


def test_tree_holds_the_genuine_files_at_official_paths(server):
    assert {"imagenet_val_25", "gan_checks", "style_transfer_checks", "style/tubingen.jpg",
            "mnist/t10k-images-idx3-ubyte.gz"} <= set(server.served)
    a4_zip = server.root / "web.eecs.umich.edu/~justincj/teaching/eecs498/a4_styles.zip"
    import zipfile
    with zipfile.ZipFile(a4_zip) as zf:
        names = set(zf.namelist())
    assert {"style-transfer-checks.npz", "styles/tubingen.jpg", "styles/muse.jpg"} <= names
    assert "styles/texture.jpg" not in names  # not part of the official zip


def test_empty_cache_download_with_progress_bar(online, server, capfd):
    path = fetch("imagenet_val_25")
    assert path == online / "imagenet_val_25.npz"
    assert path.read_bytes() == (MIRROR / "imagenet/imagenet_val_25.npz").read_bytes()
    assert server.requests == ["/cs231n.stanford.edu/imagenet_val_25.npz"]
    bar = capfd.readouterr().err
    assert "imagenet_val_25.npz" in bar and "100%" in bar and "3.94M" in bar
    assert leftovers(online) == []
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    fetch("imagenet_val_25")  # second call: from the cache, no request
    assert len(server.requests) == 1


def test_zip_members_are_extracted_and_verified(online, server):
    checks = fetch("style_transfer_checks")
    image = fetch("style/tubingen.jpg")
    gan = fetch("gan_checks")
    assert checks.read_bytes() == (MIRROR / "cs231n_checks/style-transfer-checks.npz").read_bytes()
    assert image.read_bytes() == (MIRROR / "styles/tubingen.jpg").read_bytes()
    assert gan.read_bytes() == (MIRROR / "cs231n_checks/gan-checks-tf.npz").read_bytes()
    assert "2017" in resources.identify("style_transfer_checks", checks).label
    assert sorted(p.name for p in online.rglob("*") if p.is_file()) == [
        "gan-checks-tf.npz", "style-transfer-checks.npz", "tubingen.jpg"]  # only the members are kept


def test_connection_dropped_halfway(online, server):
    name = "mnist/t10k-images-idx3-ubyte.gz"
    server.fault(resources.RESOURCES[name].url, "drop-once")
    with pytest.raises(ResourceUnavailable, match=r"connection closed after|IncompleteRead"):
        fetch(name)
    assert not (online / name).exists() and leftovers(online) == []  # no partial file, ever
    path = fetch(name)  # the next call succeeds
    assert path.read_bytes() == (MIRROR / "mnist/t10k-images-idx3-ubyte.gz").read_bytes()
    assert len(server.requests) == 2


def test_corrupted_payload_is_refused_with_a_clear_error(online, server):
    name = "mnist/t10k-labels-idx1-ubyte.gz"
    server.fault(resources.RESOURCES[name].url, "corrupt")
    with pytest.raises(ResourceUnavailable) as info:
        fetch(name)
    message = str(info.value)
    assert "corrupted or an unknown edition" in message and "md5:ec29112dd5afa0611ce80d1b7f02629c" in message
    assert "ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz" in message
    assert not (online / name).exists() and leftovers(online) == []


def test_corrupted_zip_is_refused(online, server):
    server.fault(resources.RESOURCES["gan_checks"].url, "corrupt")
    with pytest.raises(ResourceUnavailable, match="gan-checks-tf.npz"):
        fetch("gan_checks")
    assert leftovers(online) == [] and not (online / "gan-checks-tf.npz").exists()


def test_404_is_a_clear_error(online, server):
    # The mirror does not hold the full MNIST training images, so the server does not either.
    with pytest.raises(ResourceUnavailable) as info:
        fetch("mnist/train-images-idx3-ubyte.gz")
    message = str(info.value)
    assert "HTTP Error 404" in message and resources.URL_MAP_ENV in message
    assert "put the file at: " + str(online / "mnist/train-images-idx3-ubyte.gz") in message


def test_a_server_that_never_answers_fails_within_the_timeout(online, server):
    name = "mnist/train-labels-idx1-ubyte.gz"
    server.fault(resources.RESOURCES[name].url, "hang")
    start = time.monotonic()
    with pytest.raises(ResourceUnavailable, match="timed out"):
        fetch(name)
    assert time.monotonic() - start < 10  # EECS598_DOWNLOAD_TIMEOUT=2
    assert leftovers(online) == []


def test_two_processes_download_the_same_file_at_once(online, server):
    name = "imagenet_val_25"
    server.fault(resources.RESOURCES[name].url, "slow")  # ~2.5 s each, so the downloads overlap
    code = ("import hashlib, sys; from eecs598.resources import fetch; "
            "p = fetch(sys.argv[1]); print(hashlib.sha256(p.read_bytes()).hexdigest())")
    env = {**os.environ, "PYTHONPATH": str(Path(resources.REPO_ROOT))}
    procs = [subprocess.Popen([sys.executable, "-c", code, name], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for _ in range(2)]
    digests = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    expected = "35141609d22457c791e8fbe10c2d3b09ed0d6a04b669173e9fbebb0b4915cd3c"
    assert digests == [expected, expected]
    assert len(server.requests) == 2  # both really downloaded, at the same time
    assert resources.file_digest(online / "imagenet_val_25.npz", "sha256") == expected
    assert sorted(p.name for p in online.iterdir()) == ["imagenet_val_25.npz"]  # one file, no leftovers
