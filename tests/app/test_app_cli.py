"""``viralsim app``: input is checked before any server starts; the CLI stays fast; stop signals stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from app_helpers import child_env

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


# --- stopping the server ----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc: Linux)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: fields after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_stops_the_server(tmp_path, signum):
    """``kill``, Ctrl-C and a closed terminal stop ``viralsim app`` and the server under it: the
    process exits and the port is free again (a server left behind used to keep serving it)."""
    if viralsim.app.missing_dependencies():
        pytest.fail("the viz extra is not installed: pip install -e '.[dev,viz]'")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "viralsim", "app", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path,
                                env=child_env())
    try:
        deadline = time.monotonic() + 120
        while not (_children(proc.pid) and _listening(port)):  # the server, not the CLI's port check
            assert proc.poll() is None, f"viralsim app exited early:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"viralsim app did not listen:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        server = _children(proc.pid)
        assert server, "the server process was not found"
        os.kill(proc.pid, signum)  # this process only, as `kill PID` does
        assert proc.wait(timeout=30) == 0
        assert not _listening(port), "the port is still served"
        with socket.create_server(("127.0.0.1", port)):  # what the next `viralsim app` does
            pass
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in server), "the server process outlived viralsim app"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
