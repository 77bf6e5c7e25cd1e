"""Mutated requests through nginx (issue #7): valid requests like the other e2e tests send,
mutated at random (seeded, bounded), against a private `up --workers 2` stack.

Afterwards: no 5xx at all, the same worker processes (no restart), PRAGMA integrity_check ok,
and every log-batch aimed at the batch run that was not answered 200 changed nothing in it (a
write is applied whole or not at all). The counts by status are printed (pytest -s).

  MLFLOW_FCGI_E2E_MUTATIONS  number of requests (default 3000, what scripts/test sends)
  MLFLOW_FCGI_E2E_SEED       random seed (default 7)

The long run (20,000 requests):
  MLFLOW_FCGI_E2E_MUTATIONS=20000 .venv-mlflow3/bin/python -m pytest Tests/e2e/test_mutation.py -s
Independent of the client version: runs in the MLflow 3.x pass of scripts/test only.
"""

from __future__ import annotations

import collections
import json
import os
import random
import sqlite3
import time
from urllib.parse import quote

import pytest
import requests

from conftest import Stack, _stacks
from e2e_helpers import once_only, unique
from test_resilience import worker_pids

pytestmark = once_only

MUTATIONS = int(os.environ.get("MLFLOW_FCGI_E2E_MUTATIONS", "3000"))
SEED = int(os.environ.get("MLFLOW_FCGI_E2E_SEED", "7"))
TIME_LIMIT_S = 60 + MUTATIONS * 0.05  # a bound on the whole loop, far above what it needs
WORKERS = 2


@pytest.fixture(scope="module")
def mutation_stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("stack-mutation"), "", workers=WORKERS)
    _stacks.append(stack)  # conftest's no-5xx check covers it as well
    stack.start()
    yield stack
    assert stack.stop(), "up did not stop within 10 s of SIGTERM\n" + stack.diagnostics()
    _stacks.remove(stack)


def templates(exp: str, run: str, batch_run: str, model: str) -> list[tuple[str, str, object]]:
    """(method, path, body or query dict) of valid requests, as the client sends them."""
    j = "application/json"
    return [
        ("POST", "experiments/create", {"name": "mut-exp", "tags": [{"key": "k", "value": "v"}]}),
        ("GET", "experiments/get", {"experiment_id": exp}),
        ("GET", "experiments/get-by-name", {"experiment_name": "mut"}),
        ("POST", "experiments/update", {"experiment_id": exp, "new_name": "mut-renamed"}),
        ("POST", "experiments/set-experiment-tag", {"experiment_id": exp, "key": "k", "value": "v"}),
        ("POST", "experiments/delete-experiment-tag", {"experiment_id": exp, "key": "k"}),
        ("POST", "experiments/search", {"max_results": 10, "filter": "name LIKE 'mut%'", "order_by": ["name DESC"]}),
        ("GET", "experiments/search", {"max_results": "5", "filter": "tags.k = 'v'"}),
        ("POST", "runs/create", {"experiment_id": exp, "start_time": 1700000000000, "run_name": "r", "tags": [{"key": "t", "value": "v"}]}),
        ("GET", "runs/get", {"run_id": run}),
        ("POST", "runs/update", {"run_id": run, "status": "RUNNING", "run_name": "renamed"}),
        ("POST", "runs/log-metric", {"run_id": run, "key": "loss", "value": 0.5, "timestamp": 1700000000000, "step": 1}),
        ("POST", "runs/log-parameter", {"run_id": run, "key": "lr", "value": "0.01"}),
        ("POST", "runs/set-tag", {"run_id": run, "key": "team", "value": "mut"}),
        ("POST", "runs/delete-tag", {"run_id": run, "key": "team"}),
        ("POST", "runs/log-batch", {
            "run_id": batch_run,
            "metrics": [{"key": "m1", "value": 1.5, "timestamp": 1, "step": 0}, {"key": "m2", "value": "NaN", "timestamp": 2, "step": 1}],
            "params": [{"key": "p1", "value": "a"}, {"key": "p2", "value": "b"}],
            "tags": [{"key": "t1", "value": "x"}],
        }),
        ("POST", "runs/log-inputs", {"run_id": run, "datasets": [{"dataset": {"name": "d", "digest": "x", "source_type": "local", "source": "{}"}}]}),
        ("POST", "runs/search", {"experiment_ids": [exp], "filter": "metrics.loss < 1 and params.lr = '0.01'", "order_by": ["metrics.loss"], "max_results": 20}),
        ("GET", "metrics/get-history", {"run_id": run, "metric_key": "loss", "max_results": "10"}),
        ("GET", "metrics/get-history-bulk-interval", {"run_ids": run, "metric_key": "loss", "max_results": "10"}),
        ("GET", "artifacts/list", {"run_id": run, "path": "dir"}),
        ("POST", "logged-models", {"experiment_id": exp, "name": "mm", "params": [{"key": "a", "value": "b"}]}),
        ("POST", "logged-models/search", {"experiment_ids": [exp], "filter": "name = 'mm'", "max_results": 5}),
        ("GET", f"logged-models/{model}", {}),
        ("PATCH", f"logged-models/{model}/tags", {"tags": [{"key": "a", "value": "b"}]}),
        ("POST", f"logged-models/{model}/params", {"params": [{"key": "k", "value": "v"}]}),
        ("DELETE", f"logged-models/{model}/tags/a", {}),
        ("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/dir/f.txt", b"hello"),
        ("GET", f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/dir/f.txt", {}),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts", {"path": f"{exp}/{run}/artifacts"}),
    ], j


NASTY_STRINGS = ["", " ", "'", "\"", "\\", "%", "_", "..", "../..", "/", "\u0000", "\u001f", "\ud7ff", "é", "\U0010ffff",
                 "' OR 1=1 --", "NaN", "-1", "1e999", "9" * 30, "x" * 300, "x" * 7000, "null", "[]", "{}", "a/../b"]
NASTY_VALUES = [None, True, False, 0, -1, 1.5, 1e308, -1e308, 2**63, -(2**63) - 1, 10**30, [], {}, [None], {"": ""}, [[[]]],
                *NASTY_STRINGS]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW"]


def mutate_json(rng: random.Random, value, depth: int = 0):
    """One structural mutation somewhere in a JSON value."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        choice = rng.random()
        out = dict(value)
        if choice < 0.15:
            del out[key]
        elif choice < 0.25:
            out[rng.choice(NASTY_STRINGS)] = rng.choice(NASTY_VALUES)
        elif choice < 0.35:
            out[key + rng.choice(["", "_", "Id", "x"])] = out.pop(key)
        else:
            out[key] = mutate_json(rng, value[key], depth + 1)
        return out
    if isinstance(value, list) and value and rng.random() < 0.8:
        out = list(value)
        choice = rng.random()
        index = rng.randrange(len(out))
        if choice < 0.2:
            del out[index]
        elif choice < 0.4:
            out.extend([out[index]] * rng.choice([1, 2, 50, 1200]))  # duplicates, and over the batch limits
        else:
            out[index] = mutate_json(rng, out[index], depth + 1)
        return out
    return rng.choice(NASTY_VALUES)


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        pos = rng.randint(0, len(data)) if data else 0
        if choice < 0.25 and data:
            del data[pos:pos + rng.randint(1, 8)]
        elif choice < 0.5:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif choice < 0.65 and data:
            data = data[:pos]  # truncated
        elif choice < 0.8 and data:
            i = min(pos, len(data) - 1)
            data[i] ^= 1 << rng.randrange(8)
        else:
            data[pos:pos] = rng.choice([b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\\u", b"\x00", b"\xff", b"null", b"1e999"])
    return bytes(data)


def batch_state(stack: Stack, run: str) -> tuple:
    """Everything stored for `run`: its row, metrics, params and tags."""
    with sqlite3.connect(stack.data / "mlflow.db", timeout=30) as db:
        row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run,)).fetchone()
        if row is None:
            return ()
        key = row[0]
        return (row, *(tuple(db.execute(f"SELECT * FROM {t} WHERE run_key = ? ORDER BY 1, 2, 3", (key,)).fetchall())
                       for t in ("metrics", "latest_metrics", "params", "tags")))


def test_mutated_requests(mutation_stack):
    stack = mutation_stack
    s = requests.Session()
    base = stack.uri + "/api/2.0/mlflow/"
    exp = s.post(base + "experiments/create", json={"name": unique("mutation")}, timeout=10).json()["experiment_id"]
    run = s.post(base + "runs/create", json={"experiment_id": exp}, timeout=10).json()["run"]["info"]["run_id"]
    batch_run = s.post(base + "runs/create", json={"experiment_id": exp}, timeout=10).json()["run"]["info"]["run_id"]
    model = s.post(base + "logged-models", json={"experiment_id": exp, "name": "m"}, timeout=10).json()["model"]["info"]["model_id"]
    batch_state(stack, batch_run)  # fails early if the schema is not what this test reads
    items, _ = templates(exp, run, batch_run, model)
    pids = sorted(worker_pids(stack))
    assert len(pids) == WORKERS

    rng = random.Random(SEED)
    counts: collections.Counter[int] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    server_errors: list[str] = []
    half_applied: list[str] = []
    batches_checked = 0
    started = time.monotonic()
    for i in range(MUTATIONS):
        assert time.monotonic() - started < TIME_LIMIT_S, f"the mutation loop took over {TIME_LIMIT_S:.0f} s at request {i}"
        method, path, payload = rng.choice(items)
        url = path if path.startswith("/") else "/api/2.0/mlflow/" + path
        headers = {"Content-Type": "application/json"}
        body = b""
        query = ""
        kind = rng.choice(["json", "json", "bytes", "bytes", "query", "method", "path", "content-type"])
        kinds[kind] += 1
        if isinstance(payload, bytes):
            body = payload
            headers = {}
        elif method == "GET":
            query = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in payload.items())
        else:
            body = json.dumps(payload).encode()
        if kind == "json" and isinstance(payload, dict):
            mutated = mutate_json(rng, payload)
            if method == "GET" and isinstance(mutated, dict):
                query = "&".join(f"{quote(str(k))}={quote(json.dumps(v) if not isinstance(v, str) else v)}" for k, v in mutated.items())
            else:
                body = json.dumps(mutated).encode()
        elif kind == "bytes":
            if query:
                query = mutate_bytes(rng, query.encode()).decode("latin-1")
                query = quote(query, safe="=&%+")
            else:
                body = mutate_bytes(rng, body)
        elif kind == "query":
            extra = [f"{quote(rng.choice(NASTY_STRINGS))}={quote(rng.choice(NASTY_STRINGS))}" for _ in range(rng.randint(1, 5))]
            pieces = ([query] if query else []) + extra + rng.choice([[], ["&"], ["="], [query]])
            rng.shuffle(pieces)
            query = "&".join(pieces)
        elif kind == "method":
            method = rng.choice(METHODS)
        elif kind == "path":
            parts = url.split("/")
            index = rng.randrange(1, len(parts))
            parts[index] = rng.choice(["", "..", ".", "%2e%2e", "%2F", "%00", "x" * 300, parts[index] + "%20", parts[index].upper(), quote(rng.choice(NASTY_STRINGS), safe="")])
            url = "/".join(parts)
        else:
            headers = {"Content-Type": rng.choice(["text/plain", "", "application/json; charset=latin-1", "APPLICATION/JSON", "multipart/form-data; boundary=x", "application/jsonx"])}
        before = batch_state(stack, batch_run) if "log-batch" in url else None
        try:
            r = s.request(method, stack.uri + url + ("?" + query if query else ""), data=body, headers=headers, timeout=30)
            status = r.status_code
        except requests.RequestException as e:
            # requests refuses some URLs itself (e.g. an invalid percent-escape in the host part);
            # nothing reached the server then.
            counts[f"client error {type(e).__name__}"] += 1
            continue
        counts[status] += 1
        if status >= 500 and not (status == 501 and "/mpu/" in url):
            server_errors.append(f"{method} {url}?{query[:200]} {body[:200]!r} -> {status} {r.text[:200]}")
        if before is not None and status != 200:
            batches_checked += 1
        if before is not None and status != 200 and batch_state(stack, batch_run) != before:
            half_applied.append(f"{method} {url} {body[:300]!r} -> {status} {r.text[:200]}")
    elapsed = time.monotonic() - started

    after_pids = sorted(worker_pids(stack))
    with sqlite3.connect(stack.data / "mlflow.db", timeout=30) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
    print(f"\nmutation run: {MUTATIONS} requests (seed {SEED}) in {elapsed:.1f} s; by status: {summary}; "
          f"5xx: {len(server_errors)}; worker restarts: {len(set(pids) - set(after_pids))}; refused log-batches checked: {batches_checked}, half-applied: {len(half_applied)}; "
          f"integrity_check: {integrity}; mutations: {dict(kinds)}")
    assert not server_errors, "\n".join(server_errors[:20])
    assert after_pids == pids, f"workers restarted: {pids} -> {after_pids}\n{stack.diagnostics()}"
    assert not half_applied, "\n".join(half_applied[:10])
    assert integrity == "ok"
