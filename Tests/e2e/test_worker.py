"""The worker process on its own, spoken to over FastCGI without a web server: socket
handling, parameters as nginx and Apache send them, graceful stop, and refusing to start
when it must not."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import fastcgi_client as fcgi
from conftest import BINARY, free_port

START_TIMEOUT_S = 10.0


def wait_connectable(address, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited with {proc.returncode}: {proc.stderr.read().decode(errors='replace')}")
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.connect(address)
                return
            except OSError:
                time.sleep(0.05)
    raise AssertionError("worker did not start listening")


def start_worker(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BINARY), "serve", "--database", str(tmp_path / "mlflow.db"), "--threads", "2", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def worker(tmp_path):
    sock = str(tmp_path / "w.sock")
    proc = start_worker(tmp_path, "--socket", sock)
    wait_connectable(sock, proc)
    yield sock, proc
    stop(proc)


def test_answers_over_a_unix_socket(worker):
    sock, _ = worker
    response = fcgi.request(sock, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
    assert response.status == 200
    assert json.loads(response.body)["experiment"]["name"] == "Default"
    assert response.headers["content-type"] == "application/json"


def test_routes_apache_style_parameters_without_request_uri(worker):
    """mod_fcgid-like: no REQUEST_URI, the path split into SCRIPT_NAME and PATH_INFO."""
    sock, _ = worker
    connection = fcgi.Connection(sock)
    params = fcgi.cgi_params("GET", "/x")
    del params["REQUEST_URI"]
    params.update(SCRIPT_NAME="/api/2.0/mlflow", PATH_INFO="/experiments/get", QUERY_STRING="experiment_id=0")
    connection.begin(params)
    response = connection.finish()
    assert response.status == 200, response.body


def test_posts_a_json_body(worker):
    sock, _ = worker
    body = json.dumps({"name": "worker-posted"}).encode()
    response = fcgi.request(sock, "POST", "/api/2.0/mlflow/experiments/create", body, "application/json")
    assert response.status == 200
    assert json.loads(response.body)["experiment_id"]


def test_a_request_in_flight_finishes_after_sigterm(worker, tmp_path):
    sock, proc = worker
    body = json.dumps({"name": "created-while-stopping"}).encode()
    connection = fcgi.Connection(sock)
    connection.begin(fcgi.cgi_params("POST", "/api/2.0/mlflow/experiments/create", "application/json", len(body)))
    connection.send_body(body[:5])
    time.sleep(0.3)  # the worker thread is now reading this request's body
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    connection.send_body(body[5:])
    response = connection.finish()
    assert response.status == 200
    assert proc.wait(timeout=10) == 0
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        assert db.execute("SELECT count(*) FROM experiments WHERE name = 'created-while-stopping'").fetchone() == (1,)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGQUIT])
def test_idle_worker_stops_on_signal(worker, sig):
    _, proc = worker
    assert stop(proc, sig) == 0


def test_refuses_a_socket_another_worker_serves(worker, tmp_path):
    sock, _ = worker
    second = start_worker(tmp_path, "--socket", sock)
    assert second.wait(timeout=10) != 0
    assert "another mlflow-fcgi process" in second.stderr.read().decode()
    # The first worker still answers on its socket.
    assert fcgi.request(sock, "GET", "/health").status == 200


def test_replaces_a_stale_socket_file(tmp_path):
    sock = str(tmp_path / "stale.sock")
    first = start_worker(tmp_path, "--socket", sock)
    wait_connectable(sock, first)
    first.kill()
    first.wait()
    assert os.path.exists(sock)
    second = start_worker(tmp_path, "--socket", sock)
    try:
        wait_connectable(sock, second)
        assert fcgi.request(sock, "GET", "/health").status == 200
    finally:
        stop(second)


def test_exits_with_a_message_when_the_database_cannot_be_opened(tmp_path):
    proc = subprocess.run(
        [str(BINARY), "serve", "--socket", str(tmp_path / "s.sock"), "--database", str(tmp_path / "no" / "such" / "dir.db")],
        capture_output=True, timeout=20)
    assert proc.returncode != 0
    assert b"cannot open database" in proc.stderr


def test_refuses_a_database_from_a_newer_version(tmp_path):
    db = tmp_path / "mlflow.db"
    assert subprocess.run([str(BINARY), "migrate", "--database", str(db)], capture_output=True, timeout=20).returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 999")
    proc = subprocess.run([str(BINARY), "serve", "--socket", str(tmp_path / "s.sock"), "--database", str(db)], capture_output=True, timeout=20)
    assert proc.returncode != 0
    assert b"newer than this mlflow-fcgi understands" in proc.stderr


def test_listens_on_tcp_loopback(tmp_path):
    port = free_port()
    proc = start_worker(tmp_path, "--listen", f"127.0.0.1:{port}")
    try:
        wait_connectable(("127.0.0.1", port), proc)
        assert fcgi.request(("127.0.0.1", port), "GET", "/health").body == b"OK"
    finally:
        stop(proc)


def test_refuses_a_listen_address_without_host(tmp_path):
    proc = subprocess.run([str(BINARY), "serve", "--listen", ":5000", "--database", str(tmp_path / "db")], capture_output=True, timeout=20)
    assert proc.returncode != 0
    assert b"IPv4 address" in proc.stderr


def test_serves_a_socket_inherited_from_spawn_fcgi(tmp_path):
    """spawn-fcgi -n binds the socket and execs the worker with it as fd 0."""
    sock = str(tmp_path / "spawned.sock")
    proc = subprocess.Popen(
        ["spawn-fcgi", "-n", "-s", sock, "--", str(BINARY), "serve", "--database", str(tmp_path / "mlflow.db")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_connectable(sock, proc)
        response = fcgi.request(sock, "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default")
        assert response.status == 200
    finally:
        assert stop(proc, signal.SIGUSR1) == 0


def test_without_a_socket_and_no_inherited_one_explains_itself(tmp_path):
    proc = subprocess.run([str(BINARY), "serve", "--database", str(tmp_path / "db")], stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    assert proc.returncode != 0
    assert b"fd 0 is not a listening socket" in proc.stderr


def test_url_prefix_is_stripped(tmp_path):
    sock = str(tmp_path / "p.sock")
    proc = start_worker(tmp_path, "--socket", sock, "--url-prefix", "/mlflow")
    try:
        wait_connectable(sock, proc)
        response = fcgi.request(sock, "GET", "/mlflow/api/2.0/mlflow/experiments/get?experiment_id=0")
        assert response.status == 200
        assert fcgi.request(sock, "GET", "/mlflow/health").body == b"OK"
    finally:
        stop(proc)


# ------------------------------------------------------------------ refusing to start, as deployed
# Under a supervisor (multiwatch, mod_fcgid, systemd) a worker that cannot start must say why on
# stderr (the journal, Apache's error log) and exit non-zero, at once.


def _refused(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BINARY), "serve", *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=20,
                          env={**os.environ, **(env or {})})
    assert proc.returncode != 0, proc.stderr
    return proc


def test_exits_with_a_message_when_the_socket_folder_does_not_exist(tmp_path):
    sock = tmp_path / "no" / "such" / "w.sock"
    proc = _refused(["--database", str(tmp_path / "mlflow.db"), "--socket", str(sock)])
    assert f"the socket's folder '{sock.parent}' does not exist" in proc.stderr.decode()


def test_exits_with_a_message_when_the_port_is_taken(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _refused(["--database", str(tmp_path / "mlflow.db"), "--listen", f"127.0.0.1:{port}"])
    assert f"cannot bind 127.0.0.1:{port}".encode() in proc.stderr
    assert b"in use" in proc.stderr


def test_exits_with_a_message_when_the_database_is_not_sqlite(tmp_path):
    bad = tmp_path / "not-a-database.db"
    bad.write_bytes(b"this is not an SQLite database, just text long enough to fill a header" * 4)
    proc = _refused(["--database", str(bad), "--socket", str(tmp_path / "s.sock")])
    assert b"cannot open database" in proc.stderr and b"not a database" in proc.stderr
    assert bad.read_bytes().startswith(b"this is not")  # left as it was


def test_exits_with_a_message_when_configured_by_environment(tmp_path):
    """As mod_fcgid (FcgidInitialEnv) and systemd (Environment=) configure it: no arguments but
    `serve`, the database from MLFLOW_FCGI_DATABASE, the socket from MLFLOW_FCGI_SOCKET."""
    proc = _refused([], env={"MLFLOW_FCGI_DATABASE": str(tmp_path / "no" / "dir" / "mlflow.db"),
                             "MLFLOW_FCGI_SOCKET": str(tmp_path / "env.sock")})
    assert b"cannot open database" in proc.stderr and str(tmp_path / "no" / "dir").encode() in proc.stderr
    assert not (tmp_path / "env.sock").exists()


# The FastCGI parameters Apache 2.4 (Debian 12) sends for GET <mount>/api/2.0/mlflow/runs/get?run_id=...,
# recorded with a parameter-echoing FastCGI program in each set-up of deploy/apache/ (paths below
# the document root shortened to /srv/www). Only REQUEST_URI is the same everywhere; SCRIPT_NAME
# and PATH_INFO differ per set-up, and none of them is what nginx sends (SCRIPT_NAME = the path).
APACHE_PARAMS = {
    "proxy-fcgi": lambda mount: {
        "SCRIPT_FILENAME": f"proxy:fcgi://localhost{mount}/api/2.0/mlflow/runs/get",
        "SCRIPT_NAME": f"{mount}/api/2.0/mlflow/runs/get",  # no PATH_INFO
    },
    "fcgid": lambda mount: {
        "SCRIPT_FILENAME": f"/srv/www{mount or '/api'}",
        "SCRIPT_NAME": mount or "/api",
        "PATH_INFO": "/api/2.0/mlflow/runs/get" if mount else "/2.0/mlflow/runs/get",
        "PATH_TRANSLATED": "/srv/www/api/2.0/mlflow/runs/get" if mount else "/srv/www/2.0/mlflow/runs/get",
    },
    "fcgid-htaccess": lambda mount: {
        "SCRIPT_FILENAME": f"/srv/www{mount}/mlflow.fcgi",
        "SCRIPT_NAME": f"{mount}/mlflow.fcgi",  # the rewrite target; no PATH_INFO
    },
}


@pytest.mark.parametrize("mount", ["", "/mlflow"], ids=["root", "prefix"])
@pytest.mark.parametrize("setup", sorted(APACHE_PARAMS))
def test_routes_the_parameters_apache_sends(tmp_path, setup, mount):
    sock = str(tmp_path / "a.sock")
    args = ["--socket", sock] + (["--url-prefix", mount] if mount else [])
    proc = start_worker(tmp_path, *args)
    try:
        wait_connectable(sock, proc)
        created = fcgi.request(sock, "POST", f"{mount}/api/2.0/mlflow/experiments/create", json.dumps({"name": "apache"}).encode(), "application/json")
        exp = json.loads(created.body)["experiment_id"]
        made = fcgi.request(sock, "POST", f"{mount}/api/2.0/mlflow/runs/create", json.dumps({"experiment_id": exp}).encode(), "application/json")
        run_id = json.loads(made.body)["run"]["info"]["run_id"]

        params = {
            "REQUEST_METHOD": "GET",
            "REQUEST_URI": f"{mount}/api/2.0/mlflow/runs/get?run_id={run_id}",
            "QUERY_STRING": f"run_id={run_id}",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            **APACHE_PARAMS[setup](mount),
        }
        connection = fcgi.Connection(sock)
        connection.begin(params)
        response = connection.finish()
        assert response.status == 200, response.body
        assert json.loads(response.body)["run"]["info"]["run_id"] == run_id
    finally:
        stop(proc)


def test_artifacts_default_to_a_folder_beside_the_database(tmp_path):
    sock = str(tmp_path / "a.sock")
    data = tmp_path / "elsewhere"
    data.mkdir()
    proc = subprocess.Popen(
        [str(BINARY), "serve", "--socket", sock, "--database", str(data / "mlflow.db")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        wait_connectable(sock, proc)
        response = fcgi.request(sock, "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt", b"hi", "text/plain")
        assert response.status == 200, response.body
        assert (data / "artifacts" / "0" / "x.txt").read_bytes() == b"hi"
        assert not (tmp_path / "mlflow-data").exists()
    finally:
        stop(proc)


def test_migrate_failure_is_an_error_not_a_usage_message(tmp_path):
    not_a_database = tmp_path / "text.db"
    not_a_database.write_text("this is not SQLite " * 100)
    proc = subprocess.run([str(BINARY), "migrate", "--database", str(not_a_database)], capture_output=True, timeout=20)
    assert proc.returncode == 1
    assert b"cannot open" in proc.stderr and b"USAGE" not in proc.stderr
