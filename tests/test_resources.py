"""The resource layer: cache -> mirror -> download, checksums, atomic writes, clear errors."""
import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from eecs598 import resources
from eecs598.resources import ChecksumMismatch, Resource, ResourceUnavailable, fetch, verify

PAYLOAD = b"genuine bytes of a small data file\n" * 100
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An empty cache, an empty mirror and a served folder, all private to the test."""
    cache, mirror, served = tmp_path / "cache", tmp_path / "mirror", tmp_path / "served"
    for d in (cache, mirror, served):
        d.mkdir()
    monkeypatch.setenv(resources.DATA_DIR_ENV, str(cache))
    monkeypatch.setenv(resources.MIRROR_ENV, str(mirror))
    monkeypatch.delenv(resources.OFFLINE_ENV, raising=False)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    yield dict(cache=cache, mirror=mirror, served=served, base=base, monkeypatch=monkeypatch)
    server.shutdown()


def register(env, **kwargs):
    res = Resource(**{"name": "toy", "filename": "sub/toy.bin", "checksum": f"sha256:{SHA}", **kwargs})
    env["monkeypatch"].setitem(resources.RESOURCES, res.name, res)
    return res


def test_verify_kinds(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(PAYLOAD)
    assert verify(f, f"sha256:{SHA}")
    assert verify(f, f"md5:{hashlib.md5(PAYLOAD).hexdigest()}")
    assert verify(f, f"sha256-prefix:{SHA[:8]}")
    assert not verify(f, f"sha256-prefix:{'0' * 8}")
    assert not verify(f, "sha256:" + "0" * 64)
    assert verify(f, None)


def test_download_is_verified_and_atomic(env):
    (env["served"] / "toy.bin").write_bytes(PAYLOAD)
    register(env, url=env["base"] + "toy.bin")
    path = fetch("toy")
    assert path == env["cache"] / "sub" / "toy.bin" and path.read_bytes() == PAYLOAD
    assert [p.name for p in path.parent.iterdir()] == ["toy.bin"]  # no temporary files left


def test_download_with_wrong_checksum_is_never_kept(env):
    (env["served"] / "toy.bin").write_bytes(PAYLOAD[:-7])  # a truncated copy on the server
    register(env, url=env["base"] + "toy.bin")
    with pytest.raises(ResourceUnavailable, match="ChecksumMismatch"):
        fetch("toy")
    assert not any((env["cache"] / "sub").iterdir())


def test_download_member_of_zip(env):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner/toy.bin", PAYLOAD)
        zf.writestr("other.txt", b"x")
    (env["served"] / "bundle.zip").write_bytes(buf.getvalue())
    register(env, url=env["base"] + "bundle.zip", member="inner/toy.bin")
    assert fetch("toy").read_bytes() == PAYLOAD


def test_truncated_cache_file_is_replaced_from_mirror(env, capsys):
    register(env, mirror="m/toy.bin")
    (env["mirror"] / "m").mkdir()
    (env["mirror"] / "m" / "toy.bin").write_bytes(PAYLOAD)
    cached = env["cache"] / "sub" / "toy.bin"
    cached.parent.mkdir()
    cached.write_bytes(PAYLOAD[:100])  # a partial earlier copy
    assert fetch("toy").read_bytes() == PAYLOAD
    assert "corrupted or incomplete" in capsys.readouterr().out
    assert (env["mirror"] / "m" / "toy.bin").read_bytes() == PAYLOAD  # mirror untouched


def test_corrupt_mirror_file_is_not_used(env):
    register(env, mirror="toy.bin")
    (env["mirror"] / "toy.bin").write_bytes(b"something else")
    with pytest.raises(ResourceUnavailable):
        fetch("toy")
    assert not (env["cache"] / "sub" / "toy.bin").exists()


def test_offline_with_nothing_gives_one_clear_error(env):
    register(env, url="http://127.0.0.1:9/toy.bin", mirror="m/toy.bin")
    env["monkeypatch"].setenv(resources.OFFLINE_ENV, "1")
    with pytest.raises(ResourceUnavailable) as info:
        fetch("toy")
    message = str(info.value)
    assert "toy.bin" in message and "http://127.0.0.1:9/toy.bin" in message
    assert str(env["cache"] / "sub" / "toy.bin") in message and "m/toy.bin" in message


def test_failed_download_is_reported_not_raised_raw(env):
    register(env, url=env["base"] + "missing.bin")  # 404 from the server
    with pytest.raises(ResourceUnavailable, match="HTTPError"):
        fetch("toy")


def test_unknown_name():
    with pytest.raises(KeyError, match="unknown resource"):
        fetch("no-such-thing")


def test_registry_is_complete():
    names = set(resources.RESOURCES)
    for needed in ("cifar10", "cifar10_subset", "coco", "imagenet_val_25", "style/tubingen.jpg",
                   "style_transfer_checks", "gan_checks", "mnist/train-images-idx3-ubyte.gz",
                   "fashion-mnist/t10k-labels-idx1-ubyte.gz", "squeezenet1_1", "mobilenet_v2"):
        assert needed in names
    for res in resources.RESOURCES.values():
        assert res.url or res.mirror, f"{res.name} has no source at all"
        if res.name != "coco":  # coco.pt has no published checksum; its layout is checked on load
            assert res.checksum, f"{res.name} has no checksum"


def test_real_mirror_files_match_registry():
    mirror = Path(__file__).resolve().parents[2] / "shared" / "data"
    mirror = Path(resources.mirror_dir() or mirror)
    if not mirror.exists():
        pytest.skip("no data mirror here")
    checked = 0
    for res in resources.RESOURCES.values():
        if res.mirror and (mirror / res.mirror).exists():
            assert verify(mirror / res.mirror, res.checksum), res.name
            checked += 1
    assert checked >= 15


def test_any_of_several_checksums(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(PAYLOAD)
    assert verify(f, ("md5:" + "0" * 32, f"sha256:{SHA}"))
    assert not verify(f, ("md5:" + "0" * 32, "sha256:" + "1" * 64))
