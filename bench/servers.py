"""Start and stop the two servers the benchmarks compare, on 127.0.0.1 only.

    from servers import OurServer, ReferenceServer
    with OurServer(data_dir) as ours, ReferenceServer(other_dir) as ref:
        requests.post(ours.uri + "/api/2.0/mlflow/runs/search", json=...)

- `OurServer`: `mlflow-fcgi up --port P --data DIR --workers 2` (nginx + FastCGI workers), the
  database at DIR/mlflow.db. The binary is `.build/release/mlflow-fcgi` unless MLFLOW_FCGI_BIN
  names another (build it with `swift build -c release`).
- `ReferenceServer`: `mlflow server --backend-store-uri sqlite:///DIR/mlflow.db --host 127.0.0.1
  --port P` from `.venv-reference` (made by `bench/setup-reference`), default worker count,
  artifacts proxied into DIR/mlartifacts (MLflow's default, kept inside DIR).

- `FastTrackMLServer`: `fml server --listen-address 127.0.0.1:P --database-uri sqlite:///DIR/fml.db`
  from `.venv-fasttrackml` (pip `fasttrackml==0.6.0`, made by `bench/setup-reference`); its MLflow
  API is under the same /api/2.0/mlflow/ prefix, its artifact root DIR/artifacts.
- `EchoServer`: the ceiling of the stack's transport: nginx rendered from our template in front of
  bench/echo/echo.c (2 processes x 4 FCGX_Accept_r threads, answering `{}` to everything).

Each runs in its own process group (start_new_session), so stopping reaches every child:
SIGTERM to the group, wait, then SIGKILL to the group for whatever is left. `start()` returns
once GET /health answers 200 (bounded wait), and fails with the server's log tail otherwise.
Telemetry is off for the reference server (this machine reaches no network besides loopback).
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
OUR_BINARY = Path(os.environ.get("MLFLOW_FCGI_BIN", REPO / ".build" / "release" / "mlflow-fcgi"))
NGINX_TEMPLATE = REPO / "deploy" / "nginx" / "nginx.conf.template"
REFERENCE_VENV = REPO / ".venv-reference"
REFERENCE_MLFLOW = REFERENCE_VENV / "bin" / "mlflow"
FASTTRACKML_VENV = REPO / ".venv-fasttrackml"
FASTTRACKML_BIN = FASTTRACKML_VENV / "bin" / "fml"
ECHO_SOURCE = REPO / "bench" / "echo" / "echo.c"

QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, limit: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return f"<{path.name}: not there>"


class Server:
    """One server process group; subclasses give the command line."""

    name = "server"
    health_timeout_s = 60.0
    stop_timeout_s = 15.0

    def __init__(self, data_dir: Path | str, port: int | None = None):
        self.data = Path(data_dir).resolve()
        self.fixed_port = port
        self.port = 0
        self.proc: subprocess.Popen | None = None

    # -- to override
    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ, **QUIET_ENV)

    # -- common
    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data / "mlflow.db"

    @property
    def log_path(self) -> Path:
        return self.data / f"{self.name}.log"

    def start(self) -> "Server":
        self.data.mkdir(parents=True, exist_ok=True)
        last = ""
        # A port picked free can be taken before the server binds it: retry with a fresh one.
        for _attempt in range(3):
            self.port = self.fixed_port or free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    cwd=REPO, env=self.environment(), start_new_session=True)
            ok, last = self._wait_healthy()
            if ok:
                return self
            self.stop()
            if self.fixed_port or "address already in use" not in _tail(self.log_path).lower():
                break
        raise RuntimeError(f"{self.name} did not become healthy: {last}\n"
                           f"command: {' '.join(self.command())}\n--- log ---\n{_tail(self.log_path)}")

    def _wait_healthy(self) -> tuple[bool, str]:
        deadline = time.monotonic() + self.health_timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, f"exited with status {self.proc.returncode}"
            try:
                r = requests.get(self.uri + "/health", timeout=2)
                if r.status_code == 200:
                    return True, ""
                last = f"/health -> {r.status_code}"
            except requests.RequestException as e:
                last = f"/health -> {type(e).__name__}"
            time.sleep(0.2)
        return False, f"not healthy after {self.health_timeout_s:.0f} s ({last})"

    def group_cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the live processes of the server's group."""
        if self.proc is None:
            return 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # fields[0] is field 3 (state): pgrp is field 5, utime/stime are fields 14/15
            if int(fields[2]) == self.proc.pid:
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def wait_idle(self, below: float = 0.05, window_s: float = 2.0, timeout_s: float = 120.0) -> float:
        """Waits until the server's processes use less than `below` of a core over `window_s`
        (workers still booting after /health answers, startup jobs), at most `timeout_s`.
        Returns the seconds waited."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            c0 = self.group_cpu_seconds()
            time.sleep(window_s)
            if (self.group_cpu_seconds() - c0) / window_s < below:
                break
        return time.monotonic() - t0

    def stop(self) -> None:
        """SIGTERM to the process group, wait, then SIGKILL whatever is left of the group."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the leader's pid
        if self.proc.poll() is None:
            try:
                os.killpg(pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                sys.stderr.write(f"warning: {self.name} ignored SIGTERM for {self.stop_timeout_s:.0f} s\n")
        deadline = time.monotonic() + 3.0
        while self._group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class OurServer(Server):
    """nginx + mlflow-fcgi workers via `mlflow-fcgi up`."""

    name = "mlflow-fcgi"

    def __init__(self, data_dir, port=None, workers: int = 1, extra_args: list[str] | None = None):
        super().__init__(data_dir, port)
        self.workers = workers
        self.extra_args = extra_args or []

    def command(self) -> list[str]:
        if not OUR_BINARY.exists():
            raise RuntimeError(f"{OUR_BINARY} does not exist: run `swift build -c release` first")
        # up wants the signal on itself (it stops nginx and the workers); killpg reaches it too.
        return [str(OUR_BINARY), "up", "--port", str(self.port), "--data", str(self.data),
                "--workers", str(self.workers), "--nginx-template", str(NGINX_TEMPLATE),
                *self.extra_args]

    @staticmethod
    def migrate(database: Path | str) -> None:
        """Creates (or upgrades) our schema in `database` with `mlflow-fcgi migrate`."""
        subprocess.run([str(OUR_BINARY), "migrate", "--database", str(database)],
                       check=True, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=120)


class ReferenceServer(Server):
    """The real `mlflow server` (Python) over SQLite, from .venv-reference."""

    name = "mlflow-reference"
    health_timeout_s = 180.0  # the first start migrates MLflow's schema, which takes a while

    def __init__(self, data_dir, port=None, workers: int | None = None):
        super().__init__(data_dir, port)
        self.workers = workers

    def command(self) -> list[str]:
        if not REFERENCE_MLFLOW.exists():
            raise RuntimeError(f"{REFERENCE_MLFLOW} does not exist: run bench/setup-reference first")
        cmd = [str(REFERENCE_MLFLOW), "server",
               "--backend-store-uri", f"sqlite:///{self.database}",
               "--artifacts-destination", str(self.data / "mlartifacts"),
               "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers:
            cmd += ["--workers", str(self.workers)]
        return cmd

    @staticmethod
    def upgrade_schema(database: Path | str) -> None:
        """Creates MLflow's schema in `database` with `mlflow db upgrade` (no server needed)."""
        subprocess.run([str(REFERENCE_MLFLOW), "db", "upgrade", f"sqlite:///{Path(database).resolve()}"],
                       check=True, cwd=REPO, stdin=subprocess.DEVNULL, timeout=600,
                       env=dict(os.environ, **QUIET_ENV),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class FastTrackMLServer(Server):
    """FastTrackML (Go, SQLite backend) from .venv-fasttrackml; MLflow API under /api/2.0/mlflow/."""

    name = "fasttrackml"

    @property
    def database(self) -> Path:
        return self.data / "fml.db"

    def command(self) -> list[str]:
        if not FASTTRACKML_BIN.exists():
            raise RuntimeError(f"{FASTTRACKML_BIN} does not exist: run bench/setup-reference first")
        return [str(FASTTRACKML_BIN), "server", "--listen-address", f"127.0.0.1:{self.port}",
                "--database-uri", f"sqlite://{self.database}",
                "--default-artifact-root", str(self.data / "artifacts")]


class NginxWorkerServer(Server):
    """nginx rendered from our template (deploy/nginx/nginx.conf.template) in front of one FastCGI
    worker command that creates its unix socket at `socket_path`; both in one process group."""

    name = "nginx-worker"

    @property
    def socket_path(self) -> Path:
        return self.data / "run" / "worker.sock"

    def worker_command(self) -> list[str]:
        raise NotImplementedError

    def command(self) -> list[str]:
        for sub in ("run", "nginx", "artifacts"):
            (self.data / sub).mkdir(parents=True, exist_ok=True)
        config = NGINX_TEMPLATE.read_text()
        for key, value in {"listen": f"127.0.0.1:{self.port}", "socket": str(self.socket_path), "location": "/",
                           "data": str(self.data), "artifacts": str(self.data / "artifacts")}.items():
            config = config.replace("{{" + key + "}}", value)
        conf = self.data / "nginx" / "nginx.conf"
        conf.write_text(config)
        nginx = ["nginx", "-c", str(conf), "-p", str(self.data / "nginx") + "/", "-e", str(self.data / "nginx" / "error.log")]
        if os.geteuid() == 0:  # as `mlflow-fcgi up` does: nginx workers as root can reach the socket
            nginx += ["-g", "user root;"]
        # One group: the worker in the background and nginx in the foreground.
        worker = " ".join(shlex.quote(a) for a in self.worker_command())
        return ["sh", "-c", f"{worker} & exec {' '.join(shlex.quote(a) for a in nginx)}"]


class EchoServer(NginxWorkerServer):
    """nginx (our template, rendered for the echo worker's socket) + the C libfcgi echo worker.

    The worker binary is compiled from bench/echo/echo.c into DIR/echo by `build_echo()` (cc -O2
    -lfcgi). Its layout copies `mlflow-fcgi up`'s default: `processes` processes sharing one
    socket, `threads` FCGX_Accept_r threads each. Every request, /health included, answers 200 {}.
    The echo parent forwards TERM to its children and reaps them.
    """

    name = "echo"

    def __init__(self, data_dir, port=None, processes: int = 2, threads: int = 4):
        super().__init__(data_dir, port)
        self.processes = processes
        self.threads = threads

    @property
    def binary(self) -> Path:
        return self.data / "echo"

    def build_echo(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cc", "-O2", "-Wall", "-pthread", "-o", str(self.binary), str(ECHO_SOURCE), "-lfcgi"],
                       check=True, cwd=REPO, stdin=subprocess.DEVNULL, timeout=120)

    def worker_command(self) -> list[str]:
        if not self.binary.exists():
            self.build_echo()
        return [str(self.binary), str(self.socket_path), str(self.processes), str(self.threads)]

if __name__ == "__main__":
    # Smoke test: start both on fresh temporary folders, print their URIs, stop them.
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mlflow-servers-") as tmp:
        with OurServer(Path(tmp) / "ours") as ours, ReferenceServer(Path(tmp) / "ref") as ref:
            for s in (ours, ref):
                v = requests.get(s.uri + "/version", timeout=5)
                print(f"{s.name}: {s.uri} healthy, /version -> {v.status_code} {v.text.strip()[:40]}")
    print("stopped")
