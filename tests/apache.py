"""A real Apache httpd (Debian's ``apache2``) on loopback ports, for the rewrite rules ``klynge publish`` writes.

A minimal configuration in a temporary folder: mod_rewrite, mod_mime and mod_dir, ``AllowOverride All`` so the
published ``.htaccess`` files are read as a host reads them, one virtual host per folder served. It runs offline
and stops with the test module.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MODULES = Path("/usr/lib/apache2/modules")
NEEDED = ("mpm_event", "authz_core", "mime", "dir", "rewrite")


def apache_binary() -> str:
    """The httpd binary, or a skip saying what to install."""
    found = shutil.which("apache2", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin") or shutil.which("httpd")
    missing = [name for name in NEEDED if not (MODULES / f"mod_{name}.so").is_file()]
    if found is None or missing:
        pytest.skip(f"Apache httpd with {', '.join(NEEDED)} is not installed (apt-get install apache2)")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def readable_folder(prefix: str) -> Path:
    """A folder Apache's unprivileged user can read (pytest's own temporary folders are private to us)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


@contextmanager
def apache(roots: list[Path]) -> Iterator[list[str]]:
    """Serve each folder at the root of its own port; yields their base URLs."""
    binary = apache_binary()
    run = Path(tempfile.mkdtemp(prefix="klynge-apache-run-"))
    ports = [free_port() for _ in roots]
    lines = [
        f"ServerRoot {run}",
        "ServerName 127.0.0.1",
        f"PidFile {run}/httpd.pid",
        f"DefaultRuntimeDir {run}",
        f"ErrorLog {run}/error.log",
        "LogLevel warn",
        *(f"LoadModule {name}_module {MODULES}/mod_{name}.so" for name in NEEDED),
        "TypesConfig /etc/mime.types",
        "DirectoryIndex index.html",
    ]
    if os.geteuid() == 0:
        lines += ["User nobody", "Group nogroup"]
    for port, root in zip(ports, roots, strict=True):
        lines += [
            f"Listen 127.0.0.1:{port}",
            f"<VirtualHost 127.0.0.1:{port}>",
            f"  DocumentRoot {root}",
            f"  <Directory {root}>",
            "    AllowOverride All",
            "    Require all granted",
            "  </Directory>",
            "</VirtualHost>",
        ]
    (run / "httpd.conf").write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [binary, "-X", "-f", str(run / "httpd.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while not _listening(ports):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (run / "error.log").read_text() if (run / "error.log").exists() else ""
                raise AssertionError(f"Apache did not start: {process.stdout.read() if process.stdout else ''}{log}")
            time.sleep(0.1)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(run, ignore_errors=True)


def _listening(ports: list[int]) -> bool:
    for port in ports:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return False
    return True
