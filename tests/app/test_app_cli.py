"""``viralsim app``: input is checked before any server starts; the CLI stays fast."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

import viralsim.app
from viralsim.cli import main


@pytest.fixture
def no_server(monkeypatch):
    """Fail the test if the command would start a server."""

    def boom(*args, **kwargs):
        raise AssertionError("the server must not start")

    monkeypatch.setattr(viralsim.app, "serve", boom)


@pytest.mark.parametrize("args, message", [
    (["app", "missing.yaml"], "missing.yaml: no such config file"),
    (["app", "--set", "sellers.spam.strategy=spamm"], "sellers.spam.strategy = 'spamm' is not allowed"),
    (["app", "--set", "sellers.spam.post_per_day=3"], "did you mean 'posts_per_day'"),
    (["app", "--set", "network.n=lots"], "the built-in classroom market: network.n = 'lots'"),
    (["app", "--port", "70000"], "argument --port: must be a port number 1-65535"),
])
def test_bad_input_is_one_line_and_exit_2(no_server, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("viralsim: error: ") and message in err and err.count("\n") == 1


def test_missing_viz_extra_is_reported(no_server, monkeypatch, capsys):
    monkeypatch.setattr(viralsim.app, "missing_dependencies", lambda: ["solara", "altair"])
    assert main(["app"]) == 2
    err = capsys.readouterr().err
    assert "the app needs the viz extra (solara, altair not installed): pip install 'viralsim[viz]'" in err


def test_a_busy_port_is_reported(no_server, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_help_does_not_import_the_web_stack():
    code = ("import sys; from viralsim.cli import main; main(['app', '--help']); "
            "bad = [m for m in ('solara', 'mesa', 'matplotlib', 'viralsim.app.page') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert "--port" in out
