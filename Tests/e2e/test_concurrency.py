"""Several clients writing at once through nginx to a pool of worker processes that share one
SQLite file: every acknowledged write is stored, and nobody sees a lock error or a 5xx."""

from __future__ import annotations

import sqlite3
import threading
import time

import requests

from e2e_helpers import unique

CLIENTS = 8
REQUESTS_PER_CLIENT = 150
TIME_LIMIT_S = 60


def test_concurrent_writers_lose_nothing(root_stack, api):
    experiment_id = api.ok("POST", "experiments/create", json={"name": unique("concurrency")})["experiment_id"]
    shared_run = api.ok("POST", "runs/create", json={"experiment_id": experiment_id})["run"]["info"]["run_id"]
    base = f"{root_stack.uri}/api/2.0/mlflow/"
    failures: list[str] = []
    # (client, run) -> steps whose log-metric was acknowledged with a 200
    acknowledged: dict[tuple[int, str], list[int]] = {}
    params: dict[tuple[int, str], int] = {}
    deadline = time.monotonic() + TIME_LIMIT_S

    def client(index: int) -> None:
        session = requests.Session()
        own_run = session.post(base + "runs/create", json={"experiment_id": experiment_id}, timeout=30).json()["run"]["info"]["run_id"]
        for step in range(REQUESTS_PER_CLIENT):
            if time.monotonic() > deadline:
                failures.append(f"client {index}: time limit reached at step {step}")
                return
            run = shared_run if step % 2 == 0 else own_run
            kind = step % 3
            if kind == 0:
                body = {"run_id": run, "key": f"client-{index}", "value": step, "timestamp": 1_700_000_000_000 + step, "step": step}
                r = session.post(base + "runs/log-metric", json=body, timeout=30)
            elif kind == 1:
                body = {"run_id": run, "key": f"p-{index}-{step}", "value": str(step)}
                r = session.post(base + "runs/log-parameter", json=body, timeout=30)
            else:
                body = {"run_id": run, "key": f"t-{index}", "value": str(step)}
                r = session.post(base + "runs/set-tag", json=body, timeout=30)
            if r.status_code != 200:
                failures.append(f"client {index} step {step}: {r.status_code} {r.text[:200]}")
            elif kind == 0:
                acknowledged.setdefault((index, run), []).append(step)
            elif kind == 1:
                params[(index, run)] = params.get((index, run), 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIME_LIMIT_S + 30)
    assert not failures, failures[:10]

    for (index, run), steps in acknowledged.items():
        history = api.ok("GET", "metrics/get-history", params={"run_id": run, "metric_key": f"client-{index}"})
        assert sorted(int(p["step"]) for p in history.get("metrics", [])) == sorted(steps), f"client {index} lost metric points"
    for (index, run), count in params.items():
        logged = api.ok("GET", "runs/get", params={"run_id": run})["run"]["data"].get("params", [])
        assert sum(1 for p in logged if p["key"].startswith(f"p-{index}-")) == count, f"client {index} lost params"

    with sqlite3.connect(root_stack.data / "mlflow.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # The workers checkpoint on a timer and truncate the WAL; without that, continuous writers
    # from two processes keep it from ever being reset and it grows with every commit.
    wal = root_stack.data / "mlflow.db-wal"
    deadline = time.monotonic() + 10
    while wal.exists() and wal.stat().st_size > 1024 * 1024 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not wal.exists() or wal.stat().st_size <= 1024 * 1024, f"WAL is {wal.stat().st_size} bytes"
