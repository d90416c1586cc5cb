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
            assert res.checksum or any(e.checksum for e in res.editions), f"{res.name} has no checksum"


def test_real_mirror_files_match_registry():
    mirror = Path(__file__).resolve().parents[2] / "shared" / "data"
    mirror = Path(resources.mirror_dir() or mirror)
    if not mirror.exists():
        pytest.skip("no data mirror here")
    checked = 0
    for res in resources.RESOURCES.values():
        if res.mirror and (mirror / res.mirror).exists():
            assert resources.identify(res.name, mirror / res.mirror) is not None, res.name
            checked += 1
    assert checked >= 15


def test_any_of_several_checksums(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(PAYLOAD)
    assert verify(f, ("md5:" + "0" * 32, f"sha256:{SHA}"))
    assert not verify(f, ("md5:" + "0" * 32, "sha256:" + "1" * 64))


# ----------------------------------------------------------------------------- editions

SPEC_2018_2020_STYLE_CHECKS_MD5 = "26cc640bedc5e8388af358c376bd2ff6"  # spec A.6 / B.6
OFFICIAL_HOSTS = ("web.eecs.umich.edu", "cs231n.github.io", "cs231n.stanford.edu", "www.cs.toronto.edu",
                  "ossci-datasets.s3.amazonaws.com", "fashion-mnist.s3-website", "download.pytorch.org")


def test_every_official_url_accepts_the_edition_it_serves():
    """The edition an official URL (or archive) serves is accepted: by a recorded checksum or, where
    no source records one, by the published values; a resource with neither says so in its note."""
    checked = 0
    for res in resources.RESOURCES.values():
        if not res.url:
            continue
        assert any(host in res.url for host in OFFICIAL_HOSTS), res.url
        served = [e for e in resources.editions(res.name) if e.at_url]
        if res.name == "coco":
            assert not served and "no published checksum" in res.note
            continue
        assert len(served) == 1, f"{res.name}: which edition does {res.url} serve?"
        edition = served[0]
        if edition.checksum is None:
            assert res.content_check in resources.CONTENT_CHECKS, res.name
            assert "no checksum" in edition.label and "no checksum" in res.note, res.name
        checked += 1
    assert checked >= 19
    styles = resources.editions("style_transfer_checks")
    at_url = [e for e in styles if e.at_url]
    assert [e.checksum for e in at_url] == [f"md5:{SPEC_2018_2020_STYLE_CHECKS_MD5}"]
    assert "303.47" in at_url[0].label
    assert resources.RESOURCES["style_transfer_checks"].url.endswith("/a4_styles.zip")


def _mirror_file(rel):
    mirror = resources.mirror_dir() or Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (Path(mirror) / rel).exists():
        pytest.skip("no data mirror here")
    return Path(mirror) / rel


def test_both_editions_of_the_check_files_are_told_apart():
    """The mirror's 2017 files are recognised as the 2017 edition; the style-transfer checks of the
    2018-2020 edition are matched by md5 (a file with that md5 is that edition)."""
    style = _mirror_file("cs231n_checks/style-transfer-checks.npz")
    assert "2017" in resources.identify("style_transfer_checks", style).label
    gan = _mirror_file("cs231n_checks/gan-checks-tf.npz")
    assert "2017" in resources.identify("gan_checks", gan).label
    later = [e for e in resources.editions("style_transfer_checks") if "2018-2020" in e.label]
    assert len(later) == 1 and later[0].checksum.startswith("md5:")


def test_gan_checks_of_another_edition_are_accepted_by_their_values(tmp_path):
    """A copy packed differently (another checksum) with the spec's values is accepted as the
    content-verified edition; the same file with one value changed is refused."""
    import numpy as np
    with np.load(_mirror_file("cs231n_checks/gan-checks-tf.npz")) as f:
        values = {k: f[k] for k in f.files}
    repacked = tmp_path / "repacked.npz"
    np.savez_compressed(repacked, **values)
    assert not verify(repacked, resources.editions("gan_checks")[0].checksum)
    assert "content verified" in resources.identify("gan_checks", repacked).label
    altered = tmp_path / "altered.npz"
    np.savez(altered, **{**values, "g_loss_true": values["g_loss_true"] + 1e-6})
    assert resources.identify("gan_checks", altered) is None


def test_url_map_rewrites_the_longest_prefix(monkeypatch):
    monkeypatch.setenv(resources.URL_MAP_ENV, "http://a.org/=http://127.0.0.1:1/a/; http://a.org/x/=http://127.0.0.1:2/")
    assert resources.resolve_url("http://a.org/x/f.zip") == "http://127.0.0.1:2/f.zip"
    assert resources.resolve_url("http://a.org/y/f.zip") == "http://127.0.0.1:1/a/y/f.zip"
    assert resources.resolve_url("http://b.org/f") == "http://b.org/f"
    monkeypatch.setenv(resources.URL_MAP_ENV, "no-equals-sign")
    with pytest.raises(ValueError, match=resources.URL_MAP_ENV):
        resources.resolve_url("http://a.org/")


def test_standins_are_accepted_only_when_registered_and_always_named(env, tmp_path, capsys):
    register(env, url=env["base"] + "toy.bin")
    standin = b"stand-in bytes with the real layout"
    (env["served"] / "toy.bin").write_bytes(standin)
    with pytest.raises(ResourceUnavailable, match="corrupted or an unknown edition"):
        fetch("toy")
    table = tmp_path / "standins.json"
    table.write_text('{"toy": {"checksum": "sha256:%s", "label": "toy layout"}}' % hashlib.sha256(standin).hexdigest())
    env["monkeypatch"].setenv(resources.STANDINS_ENV, str(table))
    assert fetch("toy").read_bytes() == standin
    assert "STAND-IN (not the real file): toy layout" in capsys.readouterr().out
    env["monkeypatch"].delenv(resources.STANDINS_ENV)
    with pytest.raises(ResourceUnavailable):  # without the setting the cached stand-in is refused
        fetch("toy")
    assert not (env["cache"] / "sub" / "toy.bin").exists()
