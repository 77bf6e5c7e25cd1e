"""End-to-end fixtures: the real stack (nginx + mlflow-fcgi workers) started by `mlflow-fcgi up`.

Two stacks are started once per test session, lazily:
  - `root_stack`: MLflow mounted at "/"       -> tracking URI http://127.0.0.1:<port>
  - `prefixed_stack`: mounted under "/mlflow" -> tracking URI http://127.0.0.1:<port>/mlflow

Tests use the function-scoped fixtures `tracking_uri`, `prefixed_tracking_uri` or `any_tracking_uri`
(parametrized over both stacks): they point the mlflow client at the stack and clean up the
client's global state (active run, active experiment) afterwards.

Every test is also checked against the nginx access logs: any 5xx answered while it ran fails it,
because the MLflow client retries 5xx for minutes (see the contract, section 3).

The binary is `<repo>/.build/release/mlflow-fcgi` unless MLFLOW_FCGI_BIN names another.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("MLFLOW_FCGI_BIN", REPO / ".build" / "release" / "mlflow-fcgi"))
NGINX_TEMPLATE = REPO / "deploy" / "nginx" / "nginx.conf.template"

from e2e_helpers import AccessLogWatch, Api, error_of, expected_server_errors, is_expected_server_error, mlflow, unique  # noqa: F401  (sets the client environment)

HEALTH_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"<{path.name}: not there>"
    return text[-limit:]


class Stack(AccessLogWatch):
    """One `mlflow-fcgi up` process (nginx + workers) on 127.0.0.1."""

    def __init__(self, workdir: Path, url_prefix: str = "", workers: int = 2, nginx_template: Path = NGINX_TEMPLATE):
        self.workdir = workdir
        self.url_prefix = url_prefix
        self.workers = workers
        self.nginx_template = nginx_template
        self.data = workdir / "data"
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.left_behind = False
        self.stdout_path = workdir / "up.stdout"
        self.stderr_path = workdir / "up.stderr"

    @property
    def server_root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def uri(self) -> str:
        """The tracking URI: server root plus the URL prefix, no trailing slash."""
        return self.server_root + self.url_prefix

    @property
    def access_log(self) -> Path:
        return self.data / "nginx" / "access.log"

    def diagnostics(self) -> str:
        return (
            f"command: {self.command()}\n"
            f"--- stdout ---\n{_tail(self.stdout_path)}\n"
            f"--- stderr ---\n{_tail(self.stderr_path)}\n"
            f"--- nginx error.log ---\n{_tail(self.data / 'nginx' / 'error.log')}"
        )

    def command(self) -> list[str]:
        cmd = [
            str(BINARY), "up",
            "--port", str(self.port),
            "--data", str(self.data),
            "--workers", str(self.workers),
            "--nginx-template", str(self.nginx_template),
        ]
        if self.url_prefix:
            cmd += ["--url-prefix", self.url_prefix]
        return cmd

    def start(self) -> None:
        if not BINARY.exists():
            pytest.fail(f"server binary {BINARY} does not exist: run `swift build -c release` first")
        last_error = ""
        # A port picked free can be taken before nginx binds it; try a fresh one then.
        for _attempt in range(3):
            self.port = free_port()
            self.data.mkdir(parents=True, exist_ok=True)
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    cwd=REPO,
                    start_new_session=True,  # own process group: a last-resort kill reaches nginx too
                )
            ok, last_error = self._wait_healthy()
            if ok:
                return
            self.stop()
            if "address already in use" not in self.diagnostics().lower():
                break
        pytest.fail(f"mlflow-fcgi up did not become healthy: {last_error}\n{self.diagnostics()}")

    def _wait_healthy(self) -> tuple[bool, str]:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, f"process exited with status {self.proc.returncode}"
            try:
                # /health at the server root: nginx answers it without authentication.
                r = requests.get(self.server_root + "/health", timeout=2)
                if r.status_code == 200:
                    return True, ""
                last = f"GET {self.server_root}/health -> {r.status_code} {r.text[:200]!r}"
            except requests.RequestException as e:
                last = f"GET {self.server_root}/health -> {type(e).__name__}"
            time.sleep(0.1)
        return False, f"not healthy after {HEALTH_TIMEOUT_S:.0f} s (last: {last})"

    def stop(self) -> bool:
        """SIGTERM, wait up to 10 s, then SIGKILL the whole process group.

        True if `up` exited by itself in time; `self.left_behind` then tells whether any process
        of its group (nginx, workers) was still alive a second after it exited."""
        self.left_behind = False
        if self.proc is None:
            return True
        graceful = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                graceful = False
        if graceful:
            deadline = time.monotonic() + 1.0
            while self.process_group_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.left_behind = self.process_group_alive()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # leftovers (nginx, workers), if any
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        return graceful

    def process_group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True



_stacks: list[Stack] = []


def _start_stack(tmp_path_factory, name: str, url_prefix: str) -> Stack:
    stack = Stack(tmp_path_factory.mktemp(name), url_prefix)
    _stacks.append(stack)
    stack.start()
    return stack


@pytest.fixture(scope="session")
def root_stack(tmp_path_factory):
    stack = _start_stack(tmp_path_factory, "stack-root", "")
    yield stack
    if not stack.stop():
        sys.stderr.write("warning: mlflow-fcgi up (root stack) ignored SIGTERM for 10 s; killed\n")


@pytest.fixture(scope="session")
def prefixed_stack(tmp_path_factory):
    stack = _start_stack(tmp_path_factory, "stack-prefixed", "/mlflow")
    yield stack
    if not stack.stop():
        sys.stderr.write("warning: mlflow-fcgi up (prefixed stack) ignored SIGTERM for 10 s; killed\n")


@pytest.fixture(autouse=True)
def no_server_errors():
    """Fails the test if any running stack answered a 5xx while it ran (but those it announced
    with e2e_helpers.expect_server_error)."""
    expected_server_errors.clear()
    offsets = {id(s): s.access_log_size() for s in _stacks}
    yield
    problems = []
    for s in _stacks:
        problems += [line for line in s.server_errors_since(offsets.get(id(s), 0)) if not is_expected_server_error(line)]
    expected_server_errors.clear()
    if problems:
        pytest.fail("the server answered 5xx:\n" + "\n".join(problems[:20]), pytrace=False)


def _reset_client_state():
    while mlflow.active_run() is not None:
        mlflow.end_run()
    # set_experiment() remembers the experiment in a module global and in the environment; a
    # stale id would leak into the next test, possibly on the other stack.
    import mlflow.tracking.fluent as fluent

    if hasattr(fluent, "_active_experiment_id"):
        fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)


def _use(stack: Stack, monkeypatch) -> str:
    _reset_client_state()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", stack.uri)
    mlflow.set_tracking_uri(stack.uri)
    return stack.uri


@pytest.fixture
def tracking_uri(root_stack, monkeypatch):
    """Tracking URI of the stack mounted at "/", with the mlflow client pointed at it."""
    yield _use(root_stack, monkeypatch)
    _reset_client_state()


@pytest.fixture
def prefixed_tracking_uri(prefixed_stack, monkeypatch):
    """Tracking URI of the stack mounted under "/mlflow", with the mlflow client pointed at it."""
    yield _use(prefixed_stack, monkeypatch)
    _reset_client_state()


@pytest.fixture(params=["root", "prefixed"])
def any_tracking_uri(request, monkeypatch):
    """Runs the test once against each stack."""
    stack = request.getfixturevalue("root_stack" if request.param == "root" else "prefixed_stack")
    yield _use(stack, monkeypatch)
    _reset_client_state()


@pytest.fixture
def client(tracking_uri):
    return mlflow.MlflowClient(tracking_uri)


@pytest.fixture
def api(tracking_uri):
    return Api(tracking_uri)


@pytest.fixture
def experiment_id(client):
    """A fresh experiment on the root stack."""
    return client.create_experiment(unique("exp"))


@pytest.fixture
def run_id(client, experiment_id):
    """A fresh RUNNING run in a fresh experiment on the root stack."""
    return client.create_run(experiment_id).info.run_id
