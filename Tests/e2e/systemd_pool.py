"""The worker pool of deploy/systemd/, run without systemd: the exact command lines of
mlflow-fcgi.service (ExecStartPre, ExecStart, ExecReload) with its Environment, and the
listening socket of mlflow-fcgi.socket on fd 0, as StandardInput=socket hands it over.

systemd does not run in the test container, so this module plays its part: it creates the unix
socket (SocketMode, SocketGroup from the socket unit) and keeps it open for the pool's whole life
as systemd does, starts ExecStart with the socket as standard input, runs ExecReload with $MAINPID,
and stops the pool as KillMode=mixed does (SIGTERM to the main process, SIGKILL to what is left
after TimeoutStopSec). Only paths are replaced in the unit's lines: the binary, the helper
script's folder, the state folder (/var/lib/mlflow: database, artifacts), the socket, and
the URL prefix.
"""

from __future__ import annotations

import grp
import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

from apache_stack import web_user

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "deploy" / "systemd"
BINARY = Path(os.environ.get("MLFLOW_FCGI_BIN", REPO / ".build" / "release" / "mlflow-fcgi"))


def read_unit(path: Path) -> dict[str, list[str]]:
    """A unit file's settings: key -> values in file order (keys like Environment repeat)."""
    settings: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key.strip(), []).append(value.strip())
    return settings


class UnitPool:
    """mlflow-fcgi.service's worker pool on a socket in `folder`."""

    def __init__(self, folder: Path, url_prefix: str = ""):
        self.folder = folder
        self.url_prefix = url_prefix
        self.database = folder / "mlflow.db"
        self.socket_path = folder / "fcgi.sock"
        self.log = folder / "pool.log"
        self.service = read_unit(SYSTEMD / "mlflow-fcgi.service")
        self.socket_unit = read_unit(SYSTEMD / "mlflow-fcgi.socket")
        self.listener: socket.socket | None = None
        self.proc: subprocess.Popen | None = None

    def localize(self, text: str) -> str:
        """A line of the unit with this machine's paths."""
        return (
            text.replace("/usr/local/bin/mlflow-fcgi", str(BINARY))
            .replace("/usr/local/lib/mlflow-fcgi/", str(SYSTEMD) + "/")
            .replace("/var/lib/mlflow/", str(self.folder) + "/")
        )

    def environment(self) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        for assignment in self.service.get("Environment", []):
            name, _, value = self.localize(assignment).partition("=")
            env[name] = value
        # The mount point is a path too: the unit says /mlflow, a root mount removes the line.
        if self.url_prefix:
            env["MLFLOW_FCGI_URL_PREFIX"] = self.url_prefix
        else:
            env.pop("MLFLOW_FCGI_URL_PREFIX", None)
        return env

    def command(self, key: str, mainpid: int | None = None) -> list[str]:
        (line,) = self.service[key]
        line = self.localize(line)
        if mainpid is not None:
            line = line.replace("$MAINPID", str(mainpid))
        return shlex.split(line)

    def open_socket(self) -> None:
        """What mlflow-fcgi.socket makes systemd do: bind, chmod, chgrp, listen."""
        (listen,) = self.socket_unit["ListenStream"]
        assert listen.startswith("/"), "the socket unit listens on a unix socket"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.socket_path))
        os.chmod(self.socket_path, int(self.socket_unit["SocketMode"][0], 8))
        user = web_user()  # SocketGroup=www-data: the web server's group may connect
        if user is not None:
            os.chown(self.socket_path, -1, grp.getgrnam(user).gr_gid)
        self.listener.listen(int(self.socket_unit["Backlog"][0]))

    def start(self) -> None:
        if self.listener is None:
            self.open_socket()
        env = self.environment()
        pre = subprocess.run(self.command("ExecStartPre"), env=env, capture_output=True, text=True, timeout=30)
        assert pre.returncode == 0, f"ExecStartPre failed: {pre.stderr}"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.command("ExecStart"),
                stdin=self.listener.fileno(),  # StandardInput=socket
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while len(self.workers()) < self.forks() and time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the pool exited: {self.log.read_text()[-3000:]}"
            time.sleep(0.05)
        assert len(self.workers()) == self.forks(), f"the pool did not start its workers: {self.log.read_text()[-3000:]}"

    def forks(self) -> int:
        for arg in self.command("ExecStart"):
            if arg.startswith("--forks="):
                return int(arg.split("=", 1)[1])
        raise AssertionError("ExecStart has no --forks=N")

    def workers(self) -> list[int]:
        """Live worker pids (children of multiwatch that are not zombies)."""
        if self.proc is None:
            return []
        out = subprocess.run(["ps", "-o", "pid=,stat=", "--ppid", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid, stat in (line.split() for line in out.splitlines()) if not stat.startswith("Z")]

    def reload(self, timeout: float = 120) -> subprocess.CompletedProcess:
        """`systemctl reload`: ExecReload with $MAINPID."""
        return subprocess.run(self.command("ExecReload", mainpid=self.proc.pid), capture_output=True, text=True, timeout=timeout)

    def restart(self) -> int | None:
        """`systemctl restart mlflow-fcgi.service`: the service stops and starts again while the
        socket unit keeps the listening socket open. Returns the old pool's exit status."""
        status = self.stop_service()
        self.start()
        return status

    def stop(self) -> int | None:
        """`systemctl stop mlflow-fcgi.socket mlflow-fcgi.service`: the service as below, then the
        socket is closed and its file removed (RemoveOnStop=yes)."""
        status = self.stop_service()
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            self.socket_path.unlink(missing_ok=True)
        return status

    def stop_service(self) -> int | None:
        """`systemctl stop mlflow-fcgi.service` with KillMode=mixed: SIGTERM to the main process,
        then SIGKILL to the whole group after TimeoutStopSec. Returns multiwatch's exit status
        (None if it had to be killed)."""
        status = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            (timeout,) = self.service["TimeoutStopSec"]
            try:
                status = self.proc.wait(timeout=float(timeout))
            except subprocess.TimeoutExpired:
                status = None
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        return status
