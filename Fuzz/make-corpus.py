#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into Fuzz/corpus/<target>/ (committed; rerun
after changing the input formats described at the top of each target). Seeds are real request
bodies of the MLflow REST contract, filters from MLflow's search documentation, and paths."""
import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

# The route table of fuzz-api, in its order (index = first input byte).
ROUTES = [
    ("POST", "experiments/create"), ("GET", "experiments/get"), ("GET", "experiments/get-by-name"),
    ("POST", "experiments/update"), ("POST", "experiments/delete"), ("POST", "experiments/restore"),
    ("POST", "experiments/set-experiment-tag"), ("POST", "experiments/delete-experiment-tag"),
    ("POST", "experiments/search"), ("GET", "experiments/search"),
    ("POST", "runs/create"), ("GET", "runs/get"), ("POST", "runs/update"), ("POST", "runs/delete"),
    ("POST", "runs/restore"), ("POST", "runs/log-metric"), ("POST", "runs/log-parameter"),
    ("POST", "runs/set-tag"), ("POST", "runs/delete-tag"), ("POST", "runs/log-batch"),
    ("POST", "runs/log-inputs"), ("POST", "runs/outputs"), ("POST", "runs/log-model"),
    ("POST", "runs/search"), ("GET", "metrics/get-history"), ("GET", "metrics/get-history-bulk-interval"),
    ("GET", "artifacts/list"), ("POST", "logged-models"), ("POST", "logged-models/search"),
    ("GET", "logged-models/"), ("PATCH", "logged-models/"), ("DELETE", "logged-models/"),
    ("POST", "logged-models/"),
    ("GET", "artifacts"), ("PUT", "artifacts/"), ("GET", "artifacts/"),
    ("DELETE", "artifacts/"), ("POST", "mpu/"), ("GET", "presigned/"),
    ("GET", "/health"), ("GET", "/version"), ("GET", "/api/3.0/mlflow/server-info"),
]
INDEX = {r: i for i, r in enumerate(ROUTES)}

RUN_FILTERS = [
    "metrics.rmse < 1 and params.model = 'tree'",
    "attributes.status = 'ACTIVE'",
    "tags.`mlflow.source.type` = 'LOCAL'",
    "params.alpha LIKE '0.%'",
    "tags.team ILIKE '%FUZZ%'",
    "attributes.run_name = 'my run' AND metrics.loss >= 0.2",
    "attributes.run_id IN ('a', 'b')",
    "datasets.name IN ('ds1', 'ds2') AND datasets.digest NOT IN ('x')",
    "metrics.`loss with spaces` != -1.5e-3",
    "attributes.start_time > 1700000000000",
    "tags.note IS NULL",
    "params.lr IS NOT NULL",
    "attributes.created < 0 and attributes.end_time <= 1",
    'params."double quoted" = "value"',
    "run.status != 'FAILED'",
    "metrics.acc > 0.9 AND tags.\"x\" = 'y' AND params.p = '1'",
]
RUN_ORDER = ["metrics.loss DESC", "attributes.start_time ASC", "params.lr", "tags.`a b` desc", "attribute.run_name"]
EXP_FILTERS = [
    "name = 'Default'", "attribute.name LIKE 'fuzz%'", "tags.team = 'fuzz'", "name ILIKE '%FUZZ%'",
    "attributes.creation_time > 0", "tags.`mlflow.note.content` != ''", "attribute.last_update_time <= 99",
]
EXP_ORDER = ["name ASC", "attribute.creation_time DESC", "last_update_time", "experiment_id desc"]
MODEL_FILTERS = [
    "name = 'fuzz-model'", "metrics.loss < 1", "params.lr = '0.01'", "tags.team = 'fuzz'",
    "attributes.status = 'READY'", "creation_timestamp > 0 AND name LIKE 'f%'", "model_id = 'm-1'",
]
MODEL_ORDER = ["creation_timestamp", "name", "metrics.loss", "last_updated_timestamp"]

written = {}


def seed(target: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    (folder / name).write_bytes(data)
    written[target] = written.get(target, 0) + 1


def api(method: str, rpc: str, payload, flags: int = 0, rest: str | None = None) -> None:
    index = INDEX[(method, rpc)]
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    body = body.encode() if isinstance(body, str) else body
    if rest is not None:
        body = rest.encode() + b"\x01" + body
    seed("fuzz-api", bytes([index, flags]) + body)


def j(**kw):
    return kw


# ------------------------------------------------------------------ fuzz-api: real request bodies
api("POST", "experiments/create", j(name="exp", artifact_location="mlflow-artifacts:/x", tags=[{"key": "k", "value": "v"}]))
api("GET", "experiments/get", "experiment_id=EXPID", flags=1)
api("GET", "experiments/get", j(experiment_id="EXPID"))
api("GET", "experiments/get-by-name", "experiment_name=fuzz", flags=1)
api("POST", "experiments/update", j(experiment_id="EXPID", new_name="fuzz"))
api("POST", "experiments/delete", j(experiment_id="EXPID"))
api("POST", "experiments/restore", j(experiment_id="EXPID"))
api("POST", "experiments/set-experiment-tag", j(experiment_id="EXPID", key="team", value="fuzz"))
api("POST", "experiments/delete-experiment-tag", j(experiment_id="EXPID", key="team"))
api("POST", "experiments/search", j(max_results=10, filter="name LIKE 'f%'", order_by=["name ASC"], view_type="ALL"))
api("GET", "experiments/search", "max_results=5&filter=name%20%3D%20%27fuzz%27&order_by=name&view_type=ACTIVE_ONLY", flags=1)
api("POST", "runs/create", j(experiment_id="EXPID", start_time=1700000000000, run_name="r", tags=[{"key": "mlflow.user", "value": "me"}]))
api("GET", "runs/get", "run_id=RUNID", flags=1)
api("GET", "runs/get", "run_uuid=RUNID&run_id=RUNID", flags=1)
api("POST", "runs/update", j(run_id="RUNID", status="FINISHED", end_time=1700000001000, run_name="renamed"))
api("POST", "runs/delete", j(run_id="RUNID"))
api("POST", "runs/restore", j(run_id="RUNID"))
api("POST", "runs/log-metric", j(run_id="RUNID", key="loss", value=0.1, timestamp=1700000000000, step=3))
api("POST", "runs/log-metric", j(run_id="RUNID", key="loss", value="NaN", timestamp=1, step=0, model_id="MODELID", dataset_name="d", dataset_digest="x"))
api("POST", "runs/log-metric", b'{"run_id": "RUNID", "key": "big", "value": 1e309, "timestamp": 99999999999999999999, "step": -1}')
api("POST", "runs/log-parameter", j(run_id="RUNID", key="lr", value="0.01"))
api("POST", "runs/set-tag", j(run_id="RUNID", key="mlflow.runName", value="name"))
api("POST", "runs/delete-tag", j(run_id="RUNID", key="team"))
api("POST", "runs/log-batch", j(run_id="RUNID", metrics=[{"key": "m", "value": 1.5, "timestamp": 1, "step": 0}], params=[{"key": "p", "value": "v"}], tags=[{"key": "t", "value": "v"}]))
api("POST", "runs/log-inputs", j(run_id="RUNID", datasets=[{"dataset": {"name": "ds", "digest": "abc", "source_type": "local", "source": "{}"}, "tags": [{"key": "mlflow.data.context", "value": "train"}]}]))
api("POST", "runs/outputs", j(run_id="RUNID", models=[{"model_id": "MODELID", "step": 0}]))
api("POST", "runs/log-model", j(run_id="RUNID", model_json=json.dumps({"artifact_path": "model", "flavors": {}})))
api("POST", "runs/search", j(experiment_ids=["EXPID"], filter=RUN_FILTERS[0], max_results=10, order_by=["metrics.loss DESC"], run_view_type="ALL"))
api("GET", "metrics/get-history", "run_id=RUNID&metric_key=loss&max_results=1", flags=1)
api("GET", "metrics/get-history", j(run_id="RUNID", metric_key="loss"))
api("GET", "metrics/get-history-bulk-interval", "run_ids=RUNID&run_ids=RUNID&metric_key=loss&max_results=10&start_step=0&end_step=5", flags=1)
api("GET", "artifacts/list", "run_id=RUNID&path=a/b", flags=1)
api("POST", "logged-models", j(experiment_id="EXPID", name="m", source_run_id="RUNID", params=[{"key": "a", "value": "b"}], tags=[{"key": "t", "value": "v"}], model_type="sklearn"))
api("POST", "logged-models/search", j(experiment_ids=["EXPID"], filter="name = 'fuzz-model'", order_by=[{"field_name": "creation_timestamp", "ascending": False}], max_results=5, datasets=[{"dataset_name": "ds"}]))
api("GET", "logged-models/", "allow_deleted=true", flags=1, rest="MODELID")
api("PATCH", "logged-models/", j(model_id="MODELID", status="LOGGED_MODEL_READY"), rest="MODELID")
api("PATCH", "logged-models/", j(model_id="MODELID", tags=[{"key": "a", "value": "b"}]), rest="MODELID/tags")
api("DELETE", "logged-models/", b"", rest="MODELID/tags/a")
api("DELETE", "logged-models/", b"", rest="MODELID")
api("POST", "logged-models/", j(model_id="MODELID", params=[{"key": "k", "value": "v"}]), rest="MODELID/params")
api("GET", "artifacts", "path=EXPID/RUNID/artifacts", flags=1)
api("PUT", "artifacts/", b"hello", flags=2, rest="EXPID/RUNID/artifacts/dir/file.txt")
api("GET", "artifacts/", b"", rest="EXPID/RUNID/artifacts/dir/file.txt")
api("DELETE", "artifacts/", b"", rest="EXPID/RUNID/artifacts/dir")
api("POST", "mpu/", b"{}", rest="create/x")
api("GET", "presigned/", b"", rest="x")
api("GET", "/health", b"")
api("GET", "/version", b"")
api("GET", "/api/3.0/mlflow/server-info", b"")
# hostile shapes
api("POST", "runs/log-batch", b'{"run_id": "RUNID", "metrics": [' + b'{"key": "a", "value": 1, "timestamp": 1},' * 3 + b'{}]}')
api("POST", "experiments/create", b'{"name": "\\ud800", "tags": [[[[[[[[]]]]]]]]}')
api("POST", "runs/set-tag", b'{"run_id": "RUNID", "key": "../../etc/passwd", "value": "\x00\x01\xff"}')
api("POST", "experiments/create", b'{"name": "x\'; DROP TABLE runs; --"}')
api("GET", "runs/get", "run_id=&run_id=RUNID&=&&", flags=1)

# ------------------------------------------------------------------ fuzz-request-uri
for method, uri, ctype, length, body in [
    ("GET", "/api/2.0/mlflow/runs/get?run_id=RUNID", "", "", b""),
    ("POST", "/api/2.0/mlflow/runs/log-metric", "application/json", "80", b'{"run_id": "RUNID", "key": "k", "value": 1, "timestamp": 1}'),
    ("POST", "/ajax-api/2.0/mlflow/experiments/search?x=1", "application/json; charset=utf-8", "2", b"{}"),
    ("PUT", "/api/2.0/mlflow-artifacts/artifacts/EXPID/RUNID/artifacts/a%20b.txt", "application/octet-stream", "3", b"abc"),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts/EXPID/RUNID/artifacts/a%2Fb", "", "", b""),
    ("GET", "/api/2.0/mlflow-artifacts/artifacts?path=EXPID", "", "", b""),
    ("DELETE", "/api/2.0/mlflow/logged-models/MODELID/tags/k%2Fv", "", "0", b""),
    ("GET", "/health", "", "", b""),
    ("HEAD", "/version", "", "", b""),
    ("OPTIONS", "/api/2.0/mlflow/runs/get", "", "", b""),
    ("GET", "/api/2.0/mlflow/metrics/get-history?run_id=RUNID&metric_key=loss&page_token=eyJvZmZzZXQiOiAxfQ%3D%3D", "", "", b""),
    ("POST", "/api/2.0/mlflow/runs/log-batch", "application/json", "-1", b'{"run_id": "RUNID"}'),
    # regressions: a "?" that a combining mark follows; a segment over NAME_MAX
    ("GET", "/api/2.0/mlflow/runs/get?\u0301x=1&run_id=RUNID", "", "", b""),
    ("PUT", "/api/2.0/mlflow-artifacts/artifacts/EXPID/" + "y" * 256 + "/f", "application/octet-stream", "1", b"x"),
]:
    for prefix_byte, prefix in ((b"r", ""), (b"p", "/mlflow")):
        seed("fuzz-request-uri", b"\x00".join([method.encode(), prefix_byte + (prefix + uri).encode(), ctype.encode(), length.encode(), body]))

# ------------------------------------------------------------------ fuzz-search
for kind, filters, orders in ((0, RUN_FILTERS, RUN_ORDER), (1, EXP_FILTERS, EXP_ORDER), (2, MODEL_FILTERS, MODEL_ORDER)):
    for f in filters:
        seed("fuzz-search", bytes([kind]) + f.encode())
    seed("fuzz-search", bytes([kind | 4]) + b"\x00".join(o.encode() for o in orders))
    for o in orders:
        seed("fuzz-search", bytes([kind | 4]) + o.encode())

# ------------------------------------------------------------------ fuzz-page-token
import base64
for endpoint in range(6):
    for token in (b'{"offset": 1}', b'{"offset": 0}', b'{"offset": -1}', b'{"offset": 1e400}', b'{"offset": 9223372036854775807}', b"[]", b"null"):
        seed("fuzz-page-token", bytes([endpoint | 8]) + token)
        seed("fuzz-page-token", bytes([endpoint | 8 | 16]) + token)
    seed("fuzz-page-token", bytes([endpoint]) + base64.b64encode(b'{"offset": 2}'))
    seed("fuzz-page-token", bytes([endpoint]) + b"not base64!")

# ------------------------------------------------------------------ fuzz-artifact-path
for p in ["a/b/c.txt", "a/", "", "/", "../x", "a/../b", "./a", "a//b", "a\\b", "a%2Fb", "a%2e%2e/b", "%2e%2e", "dir/file%00.txt",
          "ünïcødé/файл", "a#b", "x/" + "y" * 256, "€" * 80, "a b/c+d", "x/" * 40, "%", "%zz", "%C0%AF", "a/.hidden", "EXPID/RUNID/artifacts/model/MLmodel"]:
    for choice in (0, 1, 3, 7, 11, 15):
        seed("fuzz-artifact-path", bytes([choice]) + p.encode())

for target, count in sorted(written.items()):
    print(f"{target}: {count} seeds")
