"""gunicorn as ``make run`` starts it (it reads ./gunicorn.conf.py): a real server on
127.0.0.1 whose Server header names no software and no version, and the warning when
it listens beyond this machine without the HTTPS setting."""

import http.client
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from stockapp import ROOT

CONF = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
START_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """``gunicorn app:app`` from the repository's root, on a free 127.0.0.1 port, with a
    database of its own; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite'}",
        "SECRET_KEY": "test-secret",
        "STOCKAPP_LOG_LEVEL": "WARNING",
    }
    env.pop("STOCKAPP_HTTPS", None)
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 closed below
    server = subprocess.Popen(
        [Path(sys.executable).parent / "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_server_header_names_no_software_and_no_version(gunicorn):
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=30)
    connection.request("GET", "/static/app.css")  # needs no database
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    assert response.getheader("Server") == "web"
    # gunicorn's own answer to a request it cannot parse: no Server header at all.
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=30) as raw:
        raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = raw.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 400 ")
    assert "gunicorn" not in answer.lower(), answer


class Log:
    def __init__(self):
        self.warnings = []

    def warning(self, message, *args):
        self.warnings.append(message % args)


def started(bind: list[str], https: bool) -> list[str]:
    """The warnings ``when_ready`` logs for a server bound to ``bind``."""
    log = Log()
    app = SimpleNamespace(config={"HTTPS": https})
    server = SimpleNamespace(
        cfg=SimpleNamespace(bind=bind), log=log, app=SimpleNamespace(wsgi=lambda: app)
    )
    CONF["when_ready"](server)
    return log.warnings


def test_a_warning_when_serving_plain_http_beyond_this_machine():
    (plain,) = started(["0.0.0.0:8000"], https=False)
    assert "plain HTTP on 0.0.0.0:8000" in plain and "HTTPS" in plain
    (exposed,) = started(["127.0.0.1:8000", "192.168.1.5:8000"], https=True)
    assert "192.168.1.5:8000" in exposed and "127.0.0.1" in exposed and "forge" in exposed
    for bind in (["127.0.0.1:8000"], ["[::1]:8000"], ["localhost:8000"], ["unix:/run/s.sock"]):
        assert started(bind, https=False) == started(bind, https=True) == [], bind
    assert not CONF["is_loopback"]("[::]:8000") and not CONF["is_loopback"]("shop-pc:8000")
