"""A local stand-in for the official download servers (127.0.0.1 only), for the online tests.

:func:`build_official_tree` lays out the data mirror's genuine files under the official URL paths
(``<root>/<host>/<path>``); an official zip is rebuilt from the genuine members the registry
takes from it. :class:`DownloadServer` serves such a tree and can misbehave on chosen paths:

* ``"drop"`` -- announce the full ``Content-Length``, send half, close the connection;
* ``"drop-once"`` -- the same on the first request only;
* ``"corrupt"`` -- send the right number of bytes with some of them changed;
* ``"hang"`` -- accept the request and never answer;
* ``"slow"`` -- send in small pieces with pauses (to make concurrent downloads overlap).

:meth:`DownloadServer.url_map` is the ``EECS598_URL_MAP`` value that sends every official URL here.
"""
import http.server
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from eecs598 import resources


def official_path(url):
    """``http://host/a/b.zip`` -> ``host/a/b.zip`` (where the file lies in a served tree)."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def build_official_tree(root, mirror, extra=None):
    """Put every registry file that ``mirror`` holds genuinely at its official URL path under ``root``.

    ``extra`` maps resource names to other local files to serve in their place (stand-ins).
    Returns ``{resource name: served file}`` for every resource that can now be downloaded.
    """
    root, mirror, extra = Path(root), Path(mirror), dict(extra or {})
    sources = {}
    for res in resources.RESOURCES.values():
        if not res.url:
            continue
        if res.name in extra:
            sources[res.name] = Path(extra[res.name])
        elif res.mirror and (mirror / res.mirror).exists():
            sources[res.name] = mirror / res.mirror
    archives = {}
    for name, src in sources.items():
        res = resources.RESOURCES[name]
        if res.member:
            archives.setdefault(res.url, []).append((res.member, src))
        else:
            dest = root / official_path(res.url)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(src.read_bytes())
    for url, members in archives.items():
        dest = root / official_path(url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", "rebuilt for the tests from the genuine members below\n")
            for member, src in sorted(members):
                zf.write(src, member)
    return sources


class DownloadServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving ``root``; use as a context manager."""

    def __init__(self, root):
        self.root = Path(root)
        self.faults = {}      # URL path ("/host/a/b.zip") -> fault name
        self.requests = []    # URL paths, in the order they were asked for
        self.released = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                fault = server.faults.get(self.path)
                if fault == "hang":
                    server.released.wait(120)
                    return
                file = (server.root / self.path.lstrip("/")).resolve()
                if server.root.resolve() not in file.parents or not file.is_file():
                    self.send_error(404, "not on this server")
                    return
                body = file.read_bytes()
                if fault == "drop-once":
                    server.faults.pop(self.path)
                    fault = "drop"
                if fault == "corrupt":
                    middle = len(body) // 2
                    body = bytes(b ^ 0x5A if i % 997 == 0 or i == middle else b for i, b in enumerate(body))
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                if fault == "drop":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                step = 1 << 14 if fault == "slow" else len(body) or 1
                for start in range(0, len(body), step):
                    self.wfile.write(body[start:start + step])
                    if fault == "slow":
                        time.sleep(0.01)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def url_for(self, official_url):
        return self.base + official_path(official_url)

    def fault(self, official_url, kind):
        """Make the server misbehave (see the module docstring) on ``official_url``."""
        self.faults["/" + official_path(official_url)] = kind

    def url_map(self):
        """``EECS598_URL_MAP``: every official host of the registry -> this server."""
        hosts = sorted({urlsplit(r.url)[:2] for r in resources.RESOURCES.values() if r.url})
        return ";".join(f"{scheme}://{host}/={self.base}{host}/" for scheme, host in hosts)

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
