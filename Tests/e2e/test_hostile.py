"""Hostile input through nginx (issue #7): nothing a client sends crashes a worker, escapes its
place, changes the database or half-applies a write.

A private stack (`up --workers 2`, registered with conftest so its 5xx fail the test) holds an
experiment, a run with metrics, params and tags, and a logged model. Every hostile request below
must get MLflow's error JSON with a 4xx status (nginx's own 413 for a body over its 16 MB limit,
nginx's own 4xx for what nginx refuses itself); afterwards the workers are the same processes
(their pids, children of `up`) and a dump of the whole database is byte for byte the same.

Covered: malformed and truncated JSON, a wrong type in every field of every write (top level
and nested), JSON nested 10,000 deep, huge strings and numbers, invalid UTF-8, NUL and control
characters in keys, keys that are SQL or path fragments, 50 MB bodies, query strings with
repeated and empty keys and bad escapes, unknown methods. Values with SQL, path fragments, NUL
and control characters are legal: they must be stored verbatim (or refused), nothing else.

Independent of the client version: runs in the MLflow 3.x pass of scripts/test only.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import subprocess
import time

import pytest
import requests

from conftest import Stack, _stacks
from e2e_helpers import once_only, unique
from test_resilience import worker_pids

pytestmark = once_only

WORKERS = 2


@pytest.fixture(scope="module")
def hostile_stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("stack-hostile"), "", workers=WORKERS)
    _stacks.append(stack)  # conftest's no-5xx check covers it
    stack.start()
    yield stack
    assert stack.stop(), "up did not stop within 10 s of SIGTERM\n" + stack.diagnostics()
    _stacks.remove(stack)


class World:
    """The ids the hostile requests aim at."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.base = stack.uri + "/api/2.0/mlflow/"
        s = requests.Session()
        self.session = s
        self.experiment_id = s.post(self.base + "experiments/create", json={"name": unique("hostile")}, timeout=10).json()["experiment_id"]
        self.run_id = s.post(self.base + "runs/create", json={"experiment_id": self.experiment_id, "start_time": 1}, timeout=10).json()["run"]["info"]["run_id"]
        r = s.post(self.base + "runs/log-batch", timeout=10, json={
            "run_id": self.run_id,
            "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1, "step": 0}],
            "params": [{"key": "lr", "value": "0.01"}],
            "tags": [{"key": "team", "value": "hostile"}],
        })
        assert r.status_code == 200, r.text
        self.model_id = s.post(self.base + "logged-models", json={"experiment_id": self.experiment_id, "name": "m"}, timeout=10).json()["model"]["info"]["model_id"]


@pytest.fixture(scope="module")
def world(hostile_stack):
    return World(hostile_stack)


def database_dump(stack: Stack) -> list[str]:
    """A full SQL dump of the database (read through WAL, as the workers see it)."""
    with sqlite3.connect(stack.data / "mlflow.db", timeout=30) as db:
        return list(db.iterdump())


def digest(dump: list[str]) -> str:
    return hashlib.sha256("\n".join(dump).encode("utf-8", "surrogateescape")).hexdigest()


def integrity(stack: Stack) -> str:
    with sqlite3.connect(stack.data / "mlflow.db", timeout=30) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def raw_request(stack: Stack, head: bytes, body: bytes = b"", timeout: float = 30) -> tuple[int, bytes, bytes]:
    """Sends exactly `head` + `body` on a fresh connection; answers (status, headers, body).
    For what `requests` would not send (bad methods, raw bytes in the target, lying lengths)."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=timeout) as sock:
        try:
            sock.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nginx may answer (413) and close before it has read everything
        # (no shutdown of our side: nginx takes a half-closed connection for a client that left)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    headers, _, payload = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in headers.lower():
        body, rest = b"", payload
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            body, rest = body + rest[:size], rest[size + 2:]
        payload = body
    status = int(headers.split(b" ", 2)[1]) if headers.startswith(b"HTTP/") else 0
    return status, headers, payload


def assert_mlflow_error(status: int, headers, body: bytes, what: str, allowed=range(400, 500)) -> None:
    assert status in allowed, f"{what}: status {status}: {body[:300]!r}"
    content_type = headers.get("Content-Type", "") if isinstance(headers, requests.structures.CaseInsensitiveDict) else (
        next((line.split(b":", 1)[1].strip().decode() for line in headers.split(b"\r\n") if line.lower().startswith(b"content-type:")), ""))
    assert "application/json" in content_type, f"{what}: {status} with Content-Type {content_type!r}: {body[:300]!r}"
    error = json.loads(body)
    assert isinstance(error, dict) and isinstance(error.get("error_code"), str) and isinstance(error.get("message"), str), f"{what}: {error}"


@pytest.fixture
def unchanged(hostile_stack, world):
    """Asserts the workers and the database are the same after the test as before it."""
    before_pids = sorted(worker_pids(hostile_stack))
    assert len(before_pids) == WORKERS, before_pids
    before = database_dump(hostile_stack)
    yield
    assert sorted(worker_pids(hostile_stack)) == before_pids, "a worker was restarted (crashed?)\n" + hostile_stack.diagnostics()
    after = database_dump(hostile_stack)
    if digest(after) != digest(before):
        gone, new = sorted(set(before) - set(after)), sorted(set(after) - set(before))
        pytest.fail(f"a hostile request changed the database:\n- {gone[:10]}\n+ {new[:10]}")
    assert integrity(hostile_stack) == "ok"


def post(world: World, rpc: str, body: bytes, content_type: str = "application/json", method: str = "POST") -> requests.Response:
    return world.session.request(method, world.base + rpc, data=body, headers={"Content-Type": content_type}, timeout=60)


def check(world: World, rpc: str, body: bytes, **kwargs) -> None:
    r = post(world, rpc, body, **kwargs)
    assert_mlflow_error(r.status_code, r.headers, r.content, f"{rpc} {body[:120]!r}")


# ---------------------------------------------------------------- malformed and truncated JSON

def valid_bodies(world: World) -> dict[str, dict]:
    """A body each write RPC accepts as it is (so that the hostile variants are refused for
    what was changed, not for something else)."""
    return {
        "experiments/create": {"name": unique("x"), "artifact_location": "mlflow-artifacts:/x", "tags": [{"key": "k", "value": "v"}]},
        "experiments/update": {"experiment_id": world.experiment_id, "new_name": unique("renamed")},
        "experiments/set-experiment-tag": {"experiment_id": world.experiment_id, "key": "k", "value": "v"},
        "runs/create": {"experiment_id": world.experiment_id, "start_time": 5, "run_name": "r", "tags": [{"key": "k", "value": "v"}]},
        "runs/update": {"run_id": world.run_id, "status": "FINISHED", "end_time": 9, "run_name": "n"},
        "runs/log-metric": {"run_id": world.run_id, "key": "m", "value": 1.5, "timestamp": 7, "step": 3},
        "runs/log-parameter": {"run_id": world.run_id, "key": "p", "value": "v"},
        "runs/set-tag": {"run_id": world.run_id, "key": "t", "value": "v"},
        "runs/log-batch": {
            "run_id": world.run_id,
            "metrics": [{"key": "m", "value": 2.5, "timestamp": 8, "step": 1}],
            "params": [{"key": "p2", "value": "v"}],
            "tags": [{"key": "t2", "value": "v"}],
        },
        "runs/log-inputs": {"run_id": world.run_id, "datasets": [{"dataset": {"name": "d", "digest": "x", "source_type": "local", "source": "{}"}}]},
        "logged-models": {"experiment_id": world.experiment_id, "name": "m2", "params": [{"key": "a", "value": "b"}], "tags": [{"key": "t", "value": "v"}]},
    }


def test_malformed_and_truncated_json(world, unchanged):
    bodies = [b"{", b"}", b"[", b"{\"run_id\":", b"{\"run_id\": \"x\"", b"{'run_id': 'x'}", b"{run_id: 1}", b"nul", b"tru",
              b"{\"a\":1,}", b"[1,]", b"{\"a\" 1}", b"\"unterminated", b"{\"a\": \"\\u12\"}", b"{\"a\": \"\\x41\"}", b"{\"a\": 01}",
              b"{\"a\": -}", b"{\"a\": 1e}", b"{\"a\": .5}", b"{\"a\": NaN}", b"{\"a\": Infinity}", b"\xef\xbb\xbf{}", b"{}{}", b"{} x",
              b"123", b"\"a string\"", b"[]", b"null", b"true", b"\x00", b"{\"a\":\x00}", b"{\"a\": \"\n\"}", b"/* c */ {}"]
    for rpc, body in valid_bodies(world).items():
        text = json.dumps(body).encode()
        # every proper prefix of the valid body is truncated JSON (a few dozen cut points)
        cuts = sorted({1, len(text) - 1, *range(1, len(text), max(1, len(text) // 12))})
        for cut in cuts:
            check(world, rpc, text[:cut])
        for bad in bodies:
            check(world, rpc, bad)


# ---------------------------------------------------------------- wrong types

WRONG = {
    str: [1, 1.5, True, [], {}, ["x"], {"a": "b"}],
    # (an integer as a string, "7" or even "1e3", is accepted on purpose, as protobuf JSON does)
    int: ["abc", 1.5, True, [], {}, "1.5", "0x10", 1e30, "NaN"],
    float: ["abc", [], {}, "1.2.3"],
    list: ["x", 1, {}, True],
    dict: ["x", 1, [], True],
}


ENUM_FIELDS = {"status", "view_type", "run_view_type"}


def wrong_type_variants(body):
    """Each variant replaces exactly one field (at any depth) with a value of another type."""
    def walk(value, path):
        if isinstance(value, dict):
            for key, child in value.items():
                yield from walk(child, path + [key])
        elif isinstance(value, list):
            for index, child in enumerate(value):
                yield from walk(child, path + [index])
        if path:
            kind = type(value) if type(value) in WRONG else str
            # Enum fields take a name or a number, and ignore an unknown name, as MLflow does.
            wrongs = [True, [], {}] if path[-1] in ENUM_FIELDS else WRONG[kind]
            for wrong in wrongs:
                yield path, wrong

    for path, wrong in walk(body, []):
        copy = json.loads(json.dumps(body))
        target = copy
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = wrong
        yield path, copy


def test_a_wrong_type_in_every_field_is_a_400(world, unchanged):
    sent = 0
    for rpc, body in valid_bodies(world).items():
        for path, variant in wrong_type_variants(body):
            # A list element that is a message must stay an object to reach its fields; the
            # element itself replaced by a non-object is a variant of its own.
            check(world, rpc, json.dumps(variant).encode())
            sent += 1
    print(f"wrong-type variants: {sent}, all 4xx")
    assert sent > 100


def test_wrong_types_in_reads_are_a_400(world, unchanged):
    reads = {
        "runs/search": {"experiment_ids": [world.experiment_id], "max_results": 10, "filter": "", "order_by": ["metrics.loss"], "page_token": ""},
        "experiments/search": {"max_results": 10, "filter": "", "order_by": ["name"], "view_type": "ALL"},
        "logged-models/search": {"experiment_ids": [world.experiment_id], "max_results": 10, "filter": ""},
    }
    for rpc, body in reads.items():
        for _path, variant in wrong_type_variants(body):
            check(world, rpc, json.dumps(variant).encode())
    for rpc, body in {"runs/get": {"run_id": world.run_id}, "experiments/get": {"experiment_id": world.experiment_id},
                      "metrics/get-history": {"run_id": world.run_id, "metric_key": "loss", "max_results": 5}}.items():
        for _path, variant in wrong_type_variants(body):
            check(world, rpc, json.dumps(variant).encode(), method="GET")


# ---------------------------------------------------------------- depth, size, encoding

def test_deeply_nested_json(world, unchanged):
    for depth in (257, 1000, 10_000, 100_000):
        check(world, "runs/log-batch", b"[" * depth + b"]" * depth)
        check(world, "runs/set-tag", b'{"run_id": "%s", "key": "k", "value": ' % world.run_id.encode() + b'{"a": ' * depth + b"1" + b"}" * depth + b"}")
        check(world, "experiments/create", b'{"name": ' + b"[" * depth)  # unterminated as well


def test_huge_strings_and_numbers(world, unchanged):
    big = "k" * (4 * 1024 * 1024)
    check(world, "runs/set-tag", json.dumps({"run_id": world.run_id, "key": big, "value": "v"}).encode())
    check(world, "runs/log-parameter", json.dumps({"run_id": world.run_id, "key": "p" * 300, "value": "v"}).encode())
    check(world, "experiments/create", json.dumps({"name": "n" * (12 * 1024 * 1024)}).encode())
    check(world, "runs/get", json.dumps({"run_id": "r" * (8 * 1024 * 1024)}).encode(), method="GET")
    check(world, "runs/log-batch", json.dumps({"run_id": world.run_id, "tags": [{"key": "t", "value": "v"}] * 200_000}).encode())
    digits = b"9" * 100_000
    for field in (b"timestamp", b"step"):
        body = b'{"run_id": "%s", "key": "m", "value": 1, "timestamp": 1, "step": 1}' % world.run_id.encode()
        check(world, "runs/log-metric", body.replace(field + b'": 1', field + b'": ' + digits))
        check(world, "runs/log-metric", body.replace(field + b'": 1', field + b'": -' + digits))
        check(world, "runs/log-metric", body.replace(field + b'": 1', field + b'": 9223372036854775808'))
        check(world, "runs/log-metric", body.replace(field + b'": 1', field + b'": 1e400'))
    check(world, "runs/search", b'{"experiment_ids": ["%s"], "max_results": %s}' % (world.experiment_id.encode(), digits))
    check(world, "experiments/get", b'{"experiment_id": %s}' % digits, method="GET")
    # (a metric value of 1e100000 is legal: it overflows to Infinity, which MLflow stores as
    # 1.7976931348623157e308; that is a write, so it is not sent here)


def test_invalid_utf8_and_control_characters_in_keys(world, unchanged):
    run = world.run_id.encode()
    for bad in (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"a\xfeb"):
        check(world, "runs/set-tag", b'{"run_id": "%s", "key": "k%s", "value": "v"}' % (run, bad))
        check(world, "runs/set-tag", b'{"run_id": "%s", "key": "k", "value": "v%s"}' % (run, bad))
        check(world, "experiments/create", b'{"name": "n%s"}' % bad)
        check(world, "runs/set-tag", b'{"run_id": "%s", "k%s": "k", "value": "v"}' % (run, bad))
    for escape in (b"\\u0000", b"\\u0001", b"\\u001f", b"\\u007f", b"\\n", b"\\t", b"\\ud800", b"\\udc00x"):
        check(world, "runs/set-tag", b'{"run_id": "%s", "key": "k%s", "value": "v"}' % (run, escape))
        check(world, "runs/log-parameter", b'{"run_id": "%s", "key": "%sk", "value": "v"}' % (run, escape))
        check(world, "runs/log-batch", b'{"run_id": "%s", "metrics": [{"key": "m%s", "value": 1, "timestamp": 1}]}' % (run, escape))
        check(world, "runs/get", b'{"run_id": "%s%s"}' % (run, escape), method="GET")
    for raw in (b"\x00", b"\x01", b"\x1f", b"\x7f"):  # raw control characters are not JSON at all
        check(world, "runs/set-tag", b'{"run_id": "%s", "key": "k%s", "value": "v"}' % (run, raw))


def test_keys_that_are_sql_or_path_fragments(world, unchanged):
    fragments = ["'; DROP TABLE runs; --", "\" OR 1=1 --", "k' OR '1'='1", "../../etc/passwd", "/etc/passwd", "a/../../b",
                 "..", "./x", "a\\b", "%2e%2e/x", "k;DELETE FROM metrics", "`k`", "k)--", "*", "k\u2028"]
    for key in fragments:
        for rpc, body in (
            ("runs/set-tag", {"run_id": world.run_id, "key": key, "value": "v"}),
            ("runs/log-parameter", {"run_id": world.run_id, "key": key, "value": "v"}),
            ("runs/log-metric", {"run_id": world.run_id, "key": key, "value": 1, "timestamp": 1}),
            ("experiments/set-experiment-tag", {"experiment_id": world.experiment_id, "key": key, "value": "v"}),
        ):
            r = post(world, rpc, json.dumps(body).encode())
            # Only MLflow's key rules decide: characters outside [\w.\- /], `..` and absolute
            # paths are refused. A legal key would be a write; none of these is legal.
            assert_mlflow_error(r.status_code, r.headers, r.content, f"{rpc} key {key!r}")
    for run_id in ["' OR 1=1 --", "../" * 10, world.run_id + "'--", "%", "_"]:
        check(world, "runs/get", json.dumps({"run_id": run_id}).encode(), method="GET")
        check(world, "runs/delete", json.dumps({"run_id": run_id}).encode())
    for experiment_id in ["1 OR 1=1", "0; DROP TABLE experiments", "-1", "1e3", " 1"]:
        check(world, "experiments/delete", json.dumps({"experiment_id": experiment_id}).encode())


def test_sql_path_and_control_characters_in_values_are_stored_verbatim(hostile_stack, world):
    """Legal writes with hostile values: stored exactly as sent, nothing else changes."""
    run = world.session.post(world.base + "runs/create", json={"experiment_id": world.experiment_id}, timeout=10).json()["run"]["info"]["run_id"]
    values = ["'; DROP TABLE runs; --", "../../../../etc/passwd", "a\u0000b", "\u0001\u001f\u007f", "\ud7ff\ue000\U0010ffff", "%00%2e%2e", "\\", "\"", ""]
    sent = {}
    with sqlite3.connect(hostile_stack.data / "mlflow.db") as db:
        tables_before = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for index, value in enumerate(values):
        r = world.session.post(world.base + "runs/set-tag", json={"run_id": run, "key": f"t{index}", "value": value}, timeout=10)
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            sent[f"t{index}"] = value
        else:
            assert_mlflow_error(r.status_code, r.headers, r.content, f"value {value!r}")
    tags = {t["key"]: t["value"] for t in world.session.get(world.base + "runs/get", params={"run_id": run}, timeout=10).json()["run"]["data"].get("tags", [])}
    for key, value in sent.items():
        assert tags.get(key) == value, (key, value, tags.get(key))
    with sqlite3.connect(hostile_stack.data / "mlflow.db") as db:
        tables_after = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert set(tables_after) == set(tables_before)
    changed = {t for t in tables_after if tables_after[t] != tables_before[t]}
    assert changed <= {"runs", "tags"}, changed
    assert integrity(hostile_stack) == "ok"


# ---------------------------------------------------------------- big bodies

def test_50_mb_bodies(hostile_stack, world, unchanged):
    body = b"{\"run_id\": \"" + world.run_id.encode() + b"\", \"tags\": [" + b"x" * (50 * 1024 * 1024) + b"]}"
    for path in ("/api/2.0/mlflow/runs/log-batch", "/api/2.0/mlflow/experiments/create", "/ajax-api/2.0/mlflow/runs/set-tag"):
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        status, _headers, payload = raw_request(hostile_stack, head, body, timeout=120)
        assert status == 413, f"{path}: {status} {payload[:200]!r}"  # nginx's own limit (16 MB)
    # Just under nginx's limit: the worker refuses it (log-batch: 1 MB; others: malformed).
    for rpc in ("runs/log-batch", "runs/set-tag"):
        check(world, rpc, b"{\"run_id\": \"" + world.run_id.encode() + b"\", \"tags\": [" + b" " * (15 * 1024 * 1024) + b"}")
    # A Content-Length that cuts the JSON short: nginx relays only that much.
    text = json.dumps({"run_id": world.run_id, "key": "k", "value": "v"}).encode()
    head = (f"POST /api/2.0/mlflow/runs/set-tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: 10\r\nConnection: close\r\n\r\n").encode()
    status, headers, payload = raw_request(hostile_stack, head, text[:10])
    assert_mlflow_error(status, headers, payload, "short Content-Length")


def test_50_mb_artifact_upload_with_a_hostile_path(hostile_stack, world, unchanged):
    """The artifact location accepts 10 GB; a hostile path is refused and nothing is written."""
    body = b"x" * (50 * 1024 * 1024)
    artifacts = hostile_stack.data / "artifacts"
    before = sorted(p.relative_to(hostile_stack.data) for p in hostile_stack.data.rglob("*") if "nginx" not in p.parts)
    for path in ("..%2F..%2Fescape", "a/%2e%2e/%2e%2e/escape", "a%00b", "%2Fetc%2Fpasswd", "a\\..\\b", "x/" + "y" * 300):
        head = (f"PUT /api/2.0/mlflow-artifacts/artifacts/{path} HTTP/1.1\r\nHost: x\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        status, headers, payload = raw_request(hostile_stack, head, body, timeout=120)
        if status in (400, 413) and b"json" not in headers.lower():
            continue  # nginx's own answer: a NUL in the URI (400), or `..` normalised away from the artifact location (its 16 MB limit)
        assert_mlflow_error(status, headers, payload, f"PUT {path}")
    after = sorted(p.relative_to(hostile_stack.data) for p in hostile_stack.data.rglob("*") if "nginx" not in p.parts)
    assert after == before, set(after) ^ set(before)
    assert artifacts.is_dir()


# ---------------------------------------------------------------- query strings, methods

def test_query_strings_with_repeated_empty_and_broken_keys(hostile_stack, world, unchanged):
    run = world.run_id
    queries = [
        "run_id=&run_id=", "run_id", "=", "&&&", "=&=&=", "run_id=%", "run_id=%zz", "run_id=%0", "%zz=1", "run_id=%00",
        f"run_id={run}%00", "run_id=' OR 1=1 --", "run_id=" + "x" * 6000, "run_id=a&run_id=b&run_id=c" + "&run_id=d" * 500,
        "run_uuid=x&run_id=y", "run_id=%FF%FE", "run_id=%C0%AF", "run_id=+", "run_id=;",
    ]
    for q in queries:
        r = world.session.get(world.base + "runs/get?" + q, timeout=30)
        assert_mlflow_error(r.status_code, r.headers, r.content, f"runs/get?{q[:80]}")
    for rpc, q in [
        ("metrics/get-history", f"run_id={run}&metric_key=&max_results=abc"),
        ("metrics/get-history", f"run_id={run}&metric_key=loss&max_results=-1"),
        ("metrics/get-history", f"run_id={run}&metric_key=loss&max_results=99999999999999999999"),
        ("metrics/get-history", f"run_id={run}&metric_key=loss&page_token=%%%"),
        ("metrics/get-history", f"run_id={run}&metric_key=loss&page_token=eyJvZmZzZXQiOiAtMX0%3D"),
        ("experiments/search", "max_results=0&max_results=x"),
        ("experiments/search", "filter=name%20%3D&order_by="),
        ("experiments/search", "view_type=NOPE"),
        ("experiments/get-by-name", "experiment_name="),
        ("metrics/get-history-bulk-interval", "run_ids=x&metric_key=loss&max_results=abc"),
        ("artifacts/list", f"run_id={run}&path=../../etc"),
        ("artifacts/list", f"run_id={run}&path=/etc"),
    ]:
        r = world.session.get(world.base + rpc + "?" + q, timeout=30)
        assert_mlflow_error(r.status_code, r.headers, r.content, f"{rpc}?{q[:80]}")
    # A repeated scalar key: the first value counts (MLflow refuses it with 400): either is fine,
    # as long as nothing breaks.
    for rpc, q in [("experiments/get", f"experiment_id={world.experiment_id}&experiment_id=2"),
                   ("runs/get", f"run_id={run}&run_id=&run_id=x"), ("metrics/get-history", f"run_id={run}&metric_key=loss&metric_key=x")]:
        r = world.session.get(world.base + rpc + "?" + q, timeout=30)
        if r.status_code != 200:
            assert_mlflow_error(r.status_code, r.headers, r.content, f"{rpc}?{q}")
    for q in ("path=../x", "path=%2e%2e/x", "path=/", "path=a//b", "path=a%00", "path=b/..&path=a"):
        r = world.session.get(hostile_stack.uri + "/api/2.0/mlflow-artifacts/artifacts?" + q, timeout=30)
        assert_mlflow_error(r.status_code, r.headers, r.content, f"artifacts?{q}")


def test_unknown_methods(hostile_stack, world, unchanged):
    for method in ("BREW", "PROPFIND", "FOO", "OPTIONS", "PATCH", "DELETE", "PUT", "get", "M-SEARCH"):
        for path in ("/api/2.0/mlflow/runs/get", "/api/2.0/mlflow/runs/log-metric", "/ajax-api/2.0/mlflow/experiments/create"):
            head = f"{method} {path}?run_id={world.run_id} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".encode()
            status, headers, payload = raw_request(hostile_stack, head, b"{}")
            if method == "get":
                assert 400 <= status < 500, (method, status)  # nginx refuses lower-case methods itself
            else:
                assert_mlflow_error(status, headers, payload, f"{method} {path}")
    for method in ("TRACE", "CONNECT"):  # nginx answers these itself
        status, _h, _p = raw_request(hostile_stack, f"{method} /api/2.0/mlflow/runs/get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert 400 <= status < 500, (method, status)


def test_raw_bytes_in_the_request_target(hostile_stack, world, unchanged):
    for target in (b"/api/2.0/mlflow/runs/get?run_id=\xff\xfe", b"/api/2.0/mlflow/runs/g%00et", b"/api/2.0/mlflow/runs/get%3Frun_id=x",
                   b"/api/2.0/mlflow/../mlflow/runs/get", b"/api/2.0/mlflow//runs/get", b"/api/2.0/mlflow/runs/get/",
                   b"/api/2.0/mlflow/logged-models/%2e%2e/%2e%2e", b"/api/2.0/mlflow/logged-models/x/tags/%00",
                   b"/api/2.0/mlflow-artifacts/artifacts/%ff", b"/api/2.0/mlflow/runs/get?" + b"&" * 5000):
        status, headers, payload = raw_request(hostile_stack, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if status == 400 and b"json" not in headers.lower():
            continue  # nginx refused the request line itself
        assert_mlflow_error(status, headers, payload, f"GET {target[:80]!r}")


def test_a_very_deep_artifact_path_is_answered_quickly(hostile_stack, world, unchanged):
    """An upload 1,900 folders deep (what fits in PATH_MAX) once held a worker for tens of seconds."""
    deep = "/".join(["d"] * 1900)
    artifacts = f"{hostile_stack.uri}/api/2.0/mlflow-artifacts/artifacts"
    try:
        started = time.monotonic()
        r = world.session.put(f"{artifacts}/{deep}/f", data=b"x", timeout=60)
        elapsed = time.monotonic() - started
        assert r.status_code == 200 or 400 <= r.status_code < 500, (r.status_code, r.text[:300])
        assert elapsed < 10, f"took {elapsed:.1f} s"
        r = world.session.delete(f"{artifacts}/d", timeout=60)
        assert r.status_code == 200, r.text[:300]
        assert not (hostile_stack.data / "artifacts" / "d").exists()
    finally:
        # (pytest's own clean-up of old temporary folders recurses, and fails, on a tree this deep)
        subprocess.run(["rm", "-rf", str(hostile_stack.data / "artifacts" / "d")], check=False, timeout=60)
