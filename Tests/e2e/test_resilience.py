"""The worker pool under load and under failure, through nginx (`mlflow-fcgi up --workers 4`):

  - concurrency: 16 client threads write metrics, params, tags and log-batches to shared and
    separate runs for a bounded time: every request is answered 200, none with a lock error,
    every acknowledged write is stored, and the database passes PRAGMA integrity_check;
  - crash safety: while clients write (retrying, as the mlflow client does), a random worker is
    killed with SIGKILL every 200-500 ms and `up` restarts it: every write that got a 200 is
    stored, no log-batch is stored in part, integrity_check is ok;
  - rolling restart: every worker in turn gets SIGTERM under load (finishing its requests in
    progress) and is replaced: no client sees anything but a 200, nginx logs no 5xx.

They do not depend on the client version, so they run in the MLflow 3.x pass of scripts/test only.
Durations and sizes (environment variables, all optional):
  MLFLOW_FCGI_E2E_LOAD_SECONDS  concurrency test duration (default 20)
  MLFLOW_FCGI_E2E_KILLS         SIGKILLs in the crash test (default 60; the long run: 200 or more,
                                e.g. `MLFLOW_FCGI_E2E_KILLS=250 .venv-mlflow3/bin/python -m pytest
                                Tests/e2e/test_resilience.py -k crash -s`)
The numbers of each run are printed (pytest -s) as one summary line per test.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

import load
from conftest import Stack
from e2e_helpers import once_only, unique

pytestmark = once_only

WORKERS = 4
LOAD_SECONDS = float(os.environ.get("MLFLOW_FCGI_E2E_LOAD_SECONDS", "20"))
KILLS = int(os.environ.get("MLFLOW_FCGI_E2E_KILLS", "60"))


@pytest.fixture
def pool_stack(tmp_path):
    """A private `up` stack with 4 workers (not the shared session stacks: these tests kill and
    restart its workers, and their 502s must not fail other tests)."""
    stack = Stack(tmp_path, "", workers=WORKERS)
    stack.start()
    yield stack
    assert stack.stop(), "up did not stop within 10 s of SIGTERM\n" + stack.diagnostics()


def worker_pids(stack: Stack) -> list[int]:
    """The `mlflow-fcgi serve` children of `up` (not nginx), zombies excluded."""
    out = subprocess.run(["ps", "-ww", "-o", "pid=,stat=,args=", "--ppid", str(stack.proc.pid)], capture_output=True, text=True).stdout
    pids = []
    for line in out.splitlines():
        pid, stat, args = line.split(None, 2)
        if " serve " in f" {args} " and not stat.startswith("Z"):
            pids.append(int(pid))
    return pids


def wait_for_full_pool(stack: Stack, gone: set[int] = frozenset(), timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(stack)
        if len(pids) == WORKERS and not (gone & set(pids)):
            return pids
        assert stack.proc.poll() is None, "up exited:\n" + stack.diagnostics()
        time.sleep(0.05)
    raise AssertionError(f"up did not get back to {WORKERS} workers: {worker_pids(stack)}\n{stack.diagnostics()}")


def new_runs(stack: Stack, count: int) -> list[str]:
    s = requests.Session()
    base = stack.uri + "/api/2.0/mlflow/"
    exp = s.post(base + "experiments/create", json={"name": unique("resilience")}, timeout=10).json()["experiment_id"]
    return [s.post(base + "runs/create", json={"experiment_id": exp}, timeout=10).json()["run"]["info"]["run_id"] for _ in range(count)]


def integrity(stack: Stack) -> str:
    with sqlite3.connect(stack.data / "mlflow.db", timeout=30) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def test_concurrent_clients_lose_nothing_and_see_no_lock_error(pool_stack):
    shared = new_runs(pool_stack, 1)[0]
    own = new_runs(pool_stack, 16)
    started = time.monotonic()
    # Each client alternates between the run all share and a run of its own.
    writers = [load.Writer(pool_stack.uri, i, [shared, own[i]], deadline=started + LOAD_SECONDS, max_ops=1_000_000) for i in range(16)]
    tally = load.run_writers(writers, join_timeout=LOAD_SECONDS + 60)
    seconds = time.monotonic() - started
    check = load.check_stored(pool_stack.uri, writers)
    print("\n" + load.summary("concurrency", tally, check, seconds, workers=WORKERS, clients=len(writers)))
    assert not tally.lock_errors, tally.lock_errors[:10]
    assert not tally.failures, tally.failures[:10]
    assert set(tally.statuses) == {200}, tally.statuses
    assert not check.lost and not check.half_applied, (check.lost[:10], check.half_applied[:10])
    assert check.acknowledged > 1000, "suspiciously little was written"
    assert pool_stack.server_errors_since(0) == []
    assert integrity(pool_stack) == "ok"


@pytest.mark.timeout(KILLS * 0.5 + 240)  # the long run (MLFLOW_FCGI_E2E_KILLS=250) outlasts pytest.ini's 180 s
def test_crash_safety_under_sigkill(pool_stack):
    runs = new_runs(pool_stack, 4)
    stop = threading.Event()
    started = time.monotonic()
    time_limit = KILLS * 0.5 + 60
    writers = [load.Writer(pool_stack.uri, i, [runs[i % 4], runs[(i + 1) % 4]], deadline=started + time_limit,
                           max_ops=1_000_000, retry=True, stop=stop) for i in range(8)]
    for w in writers:
        w.start()
    kills = 0
    restarts_seen = 0
    try:
        rng = random.Random(5)
        while kills < KILLS and time.monotonic() - started < time_limit:
            time.sleep(rng.uniform(0.2, 0.5))
            assert pool_stack.proc.poll() is None, "up gave up:\n" + pool_stack.diagnostics()
            pids = worker_pids(pool_stack)
            if not pids:
                continue
            os.kill(rng.choice(pids), signal.SIGKILL)
            kills += 1
        # Let the pool settle, and the writers retry whatever was cut.
        wait_for_full_pool(pool_stack)
    finally:
        stop.set()
        tally = load.Tally()
        for w in writers:
            w.join(90)
            tally.add(w.tally)
    seconds = time.monotonic() - started
    restarts_seen = pool_stack.stderr_path.read_text(errors="replace").count("exited; restarting it")
    check = load.check_stored(pool_stack.uri, writers)
    print("\n" + load.summary("crash", tally, check, seconds, kills=kills, restarts=restarts_seen, workers=WORKERS, clients=len(writers)))
    assert kills == KILLS, f"only {kills} kills in {time_limit:.0f} s"
    assert not any(w.is_alive() for w in writers)
    assert not tally.failures, tally.failures[:10]
    assert not check.lost, check.lost[:20]
    assert not check.half_applied, check.half_applied[:20]
    assert not tally.lock_errors, tally.lock_errors[:10]
    # Only what a killed worker causes: nginx's 502 for the request it was serving.
    assert set(tally.statuses) <= {200, 502, 504}, tally.statuses
    assert integrity(pool_stack) == "ok"


def test_rolling_restart_under_load_answers_only_200(pool_stack):
    runs = new_runs(pool_stack, 2)
    stop = threading.Event()
    started = time.monotonic()
    offset = pool_stack.access_log_size()
    writers = [load.Writer(pool_stack.uri, i, runs, deadline=started + 120, max_ops=1_000_000, stop=stop) for i in range(8)]
    for w in writers:
        w.start()
    replaced = []
    try:
        time.sleep(1)
        for pid in wait_for_full_pool(pool_stack):
            os.kill(pid, signal.SIGTERM)  # graceful: finishes its requests in progress
            wait_for_full_pool(pool_stack, gone={pid})
            replaced.append(pid)
            time.sleep(0.5)
        time.sleep(1)
    finally:
        stop.set()
        tally = load.Tally()
        for w in writers:
            w.join(60)
            tally.add(w.tally)
    seconds = time.monotonic() - started
    check = load.check_stored(pool_stack.uri, writers)
    five_xx = pool_stack.server_errors_since(offset)
    print("\n" + load.summary("rolling restart", tally, check, seconds, replaced=len(replaced), nginx_5xx=len(five_xx), clients=len(writers)))
    assert len(replaced) == WORKERS
    assert not tally.failures, tally.failures[:10]
    assert set(tally.statuses) == {200}, tally.statuses
    assert five_xx == [], five_xx[:10]
    assert not check.lost and not check.half_applied
    assert integrity(pool_stack) == "ok"
