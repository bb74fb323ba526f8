"""A local package index (PEP 503 "simple" pages over HTTP) with packages made here.

    with running_index(tmp_path) as url:   # "http://127.0.0.1:PORT/simple"
        ...

The install step is tested against real pip talking HTTP to a real index, without the
internet: the wheels are built by :func:`make_wheel` (a real wheel: METADATA, WHEEL and a
RECORD with hashes), and one project is published only as a source distribution.

- ``mle-fixture-plot`` 1.0.0: module ``mle_fixture_plot`` (``grafico()`` returns ``"ok"``),
  depends on ``mle-fixture-base``;
- ``mle-fixture-base`` 1.0.0 and 2.0.0: module ``mle_fixture_base`` (``VERSAO``);
- ``mle-fixture-sdist`` 1.0.0: only ``mle-fixture-sdist-1.0.0.tar.gz``, no wheel;
- ``platformdirs`` 4.3.8: a stand-in older than the grading image's release, without its
  ``platformdirs.pytest_plugin`` module.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

WHEELS = {
    ("mle-fixture-plot", "1.0.0"): (
        {"mle_fixture_plot/__init__.py": "def grafico():\n    return 'ok'\n"},
        ["mle-fixture-base>=1"],
    ),
    ("mle-fixture-base", "1.0.0"): ({"mle_fixture_base/__init__.py": "VERSAO = '1.0.0'\n"}, []),
    ("mle-fixture-base", "2.0.0"): ({"mle_fixture_base/__init__.py": "VERSAO = '2.0.0'\n"}, []),
    # An older release of a package the grading image has too, without the pytest plugin
    # module the image's release declares (as platformdirs 4.3.8 against 4.14).
    ("platformdirs", "4.3.8"): ({"platformdirs/__init__.py": "__version__ = '4.3.8'\n"}, []),
}
SDIST_ONLY = ("mle-fixture-sdist", "1.0.0")


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def make_wheel(
    folder: Path, name: str, version: str, files: dict[str, str], requires: list[str]
) -> Path:
    """A pure-Python wheel ``name-version-py3-none-any.whl`` in ``folder``."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    contents = {
        **{path: text.encode() for path, text in files.items()},
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{path},{_record_hash(data)}\n" for path, data in contents.items())
    record += f"{info}/RECORD,,\n"
    target = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
        archive.writestr(f"{info}/RECORD", record)
    return target


def make_sdist(folder: Path, name: str, version: str) -> Path:
    target = folder / f"{name}-{version}.tar.gz"
    setup = b"raise SystemExit('this package must never be built by the grader')\n"
    with tarfile.open(target, "w:gz") as archive:
        entry = tarfile.TarInfo(f"{name}-{version}/setup.py")
        entry.size = len(setup)
        archive.addfile(entry, io.BytesIO(setup))
    return target


def build_index(root: Path) -> Path:
    """The index's files under ``root/simple/<project>/`` with their HTML pages."""
    simple = root / "simple"
    projects: dict[str, list[Path]] = {}
    for (name, version), (files, requires) in WHEELS.items():
        folder = simple / name
        folder.mkdir(parents=True, exist_ok=True)
        projects.setdefault(name, []).append(make_wheel(folder, name, version, files, requires))
    folder = simple / SDIST_ONLY[0]
    folder.mkdir(parents=True, exist_ok=True)
    projects[SDIST_ONLY[0]] = [make_sdist(folder, *SDIST_ONLY)]
    for name, paths in projects.items():
        links = "".join(
            f'<a href="{p.name}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">{p.name}</a>\n'
            for p in paths
        )
        (simple / name / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
    (simple / "index.html").write_text(
        "".join(f'<a href="{name}/">{name}</a>\n' for name in projects)
    )
    return simple


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def running_index(root: Path) -> Iterator[str]:
    build_index(root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
