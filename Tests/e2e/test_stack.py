"""`mlflow-fcgi up` as a whole: it announces its URI, stops cleanly on SIGTERM, keeps its data."""

import time

import requests

from conftest import Stack
from e2e_helpers import Api, unique


def test_up_prints_uri_stops_on_sigterm_and_keeps_data(tmp_path):
    stack = Stack(tmp_path, "/mlflow")
    stack.start()
    try:
        # The tracking URI is announced on stdout.
        deadline = time.monotonic() + 5
        while stack.uri not in stack.stdout_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stack.uri in stack.stdout_path.read_text(), stack.diagnostics()

        api = Api(stack.uri)
        name = unique("persist")
        exp_id = api.ok("POST", "experiments/create", json={"name": name})["experiment_id"]
    finally:
        graceful = stack.stop()
    assert graceful, "up did not stop within 10 s of SIGTERM\n" + stack.diagnostics()
    assert not stack.left_behind, "processes started by up are still running after it exited"
    # Nothing answers any more.
    try:
        requests.get(stack.uri + "/health", timeout=2)
        answered = True
    except requests.RequestException:
        answered = False
    assert not answered

    # Same data folder, new process: the experiment is still there.
    stack.start()
    try:
        got = Api(stack.uri).ok("GET", "experiments/get-by-name", params={"experiment_name": name})
        assert got["experiment"]["experiment_id"] == exp_id
    finally:
        assert stack.stop(), stack.diagnostics()
