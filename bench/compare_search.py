"""Search correctness side by side: mlflow-fcgi against the reference `mlflow server`.

    bench/setup-reference && swift build -c release
    .venv-reference/bin/python bench/compare_search.py [--keep] [--only SUBSTRING] [-v]

Starts both servers fresh on 127.0.0.1 (bench/servers.py), logs the same deterministic content
into both through the `mlflow` client (MlflowClient), then sends every case below to both
through the REST API (requests) and compares the answers:

- runs/search: the sequence of run names over all pages (and the page sizes, when the case
  pages); experiments/search: the sequence of experiment names (and page sizes);
- cases that must fail: both must answer 400, and the error_code must be equal.

Run ids are drawn at random by each server, so two runs that tie on every sort key and on
start_time come back in run_id order, which differs between the servers. Such a tie group is
checked on each server to be in run_id order (MLflow's last tie-breaker) and is then compared as
a set; a DIFF prints the raw sequences with the groups in braces. Values that differ between
the servers by construction (run ids, experiment ids, creation times) are written into a case
as {id:RUN}, {exp:EXPERIMENT}, {ctime:EXPERIMENT} and filled in per server.

Prints OK / DIFF per case (DIFF with both sequences), documented deviations as DEV, and ends
with `N passed, M failed`; exits 1 on any DIFF.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "60"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"  # no "View run ... at" lines
for _v in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
    os.environ.pop(_v, None)

import requests  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import OurServer, ReferenceServer  # noqa: E402

BASE = 1_750_000_000_000  # ms

# --------------------------------------------------------------------------- the content

EXPERIMENTS = [  # (name, tags, deleted), created in this order with a pause between them
    ("cmp-alpha", {"team": "vision", "owner.name": "ann", "prio level": "high"}, False),
    ("cmp-beta", {"team": "NLP", "owner.name": "bob"}, False),
    ("cmp-Gamma", {"team": "nlp"}, False),
    ("cmp-delta", {"team": "vision"}, True),
    ("other", {}, False),
]
RUN_EXPERIMENTS = [("cmp-alpha", "a", 30), ("cmp-beta", "b", 20), ("cmp-Gamma", "g", 10)]
DELETED_RUNS = {"a-07", "a-23", "b-11", "g-02"}
MODELS = ["CNN", "cnn", "rnn", "Rnn", "transformer"]
TEAMS = ["vision", "nlp", "NLP"]
USERS = ["alice", "bob", "carol"]
NOTES = ["under_score", "100%", "plain", "under-score"]
DATASETS = {
    "train": Dataset(name="train-ds", digest="abc123", source_type="local", source='{"uri": "/data/train"}'),
    "eval": Dataset(name="eval-ds", digest="def456", source_type="local", source='{"uri": "/data/eval"}'),
}


def plan_runs() -> list[dict]:
    """Every run, deterministic: one seeded RNG, explicit start/end times and timestamps."""
    rng = random.Random(20240601)
    runs = []
    j = 0
    for experiment, short, count in RUN_EXPERIMENTS:
        for i in range(count):
            name = f"{short}-{i:02d}"
            # Every fourth run starts at the same time as the one before it (ties on start_time).
            start = BASE + 1000 * (j - 1 if j % 4 == 1 else j)
            status = ["FINISHED", "FAILED", "KILLED", "RUNNING"][j % 4]
            run = {"name": name, "experiment": experiment, "start_time": start, "status": status,
                   "end_time": None if status == "RUNNING" else start + 5000 + 100 * (j % 7),
                   "metrics": [], "params": {}, "tags": {"mlflow.user": rng.choice(USERS)},
                   "parent": None, "datasets": []}
            # acc: one latest point; coarse values so that several runs tie; NaN, ±inf, missing.
            acc = round(rng.random(), 1)
            if j % 11 == 5:
                acc = float("nan")
            elif j == 13:
                acc = float("inf")
            elif j == 18:
                acc = float("-inf")
            if j % 7 != 3:
                run["metrics"].append(("acc", acc, start + 10, 0))
            # loss: a history of three steps; the latest is the largest (step, timestamp, value).
            if j % 13 != 4:
                values = [round(rng.uniform(0.5, 2.0), 3), round(rng.uniform(0.2, 1.0), 3), round(rng.uniform(0, 0.6), 3)]
                for step, v in enumerate(values):
                    run["metrics"].append(("loss", v, start + 100 * (step + 1), step))
                if j % 9 == 0:  # same step and timestamp, larger value: that one is the latest
                    run["metrics"].append(("loss", values[2] + 0.25, start + 300, 2))
                if j % 10 == 6:  # an older step logged last, with a later timestamp: not the latest
                    run["metrics"].append(("loss", 9.0, start + 900, 1))
            if j % 3 == 0:
                run["metrics"].append(("f1", round(rng.random(), 2), start + 20, 0))
            if j % 6 != 2:
                run["params"]["model"] = rng.choice(MODELS)
            run["params"]["lr"] = rng.choice(["0.1", "0.01", "0.001"])
            if j % 2 == 0:
                run["params"]["layers.count"] = str(rng.choice([2, 3, 4]))
            if j % 5 != 1:
                run["tags"]["team"] = rng.choice(TEAMS)
            run["tags"]["data.version"] = rng.choice(["v1", "v2", "v10"])
            if j % 3 != 2:
                run["tags"]["my tag"] = rng.choice(["a b", "A B", "c"])
            run["tags"]["note"] = NOTES[j % len(NOTES)]
            if i % 10 == 9:  # nested: child of the run before it
                run["parent"] = runs[-1]["name"]
            if j % 8 == 0:
                run["datasets"].append(("train", "training"))
            if j % 8 == 4 or j == 16:
                run["datasets"].append(("eval", "eval"))
            runs.append(run)
            j += 1
    return runs


RUNS = plan_runs()
RUN_BY_NAME = {r["name"]: r for r in RUNS}


class Populated:
    """One server with the content logged into it; maps names to that server's ids."""

    def __init__(self, label: str, server):
        self.label, self.server = label, server
        self.uri = server.uri
        self.run_ids: dict[str, str] = {}
        self.experiment_ids: dict[str, str] = {}
        self.creation_times: dict[str, int] = {}
        self.session = requests.Session()

    def populate(self) -> None:
        client = MlflowClient(tracking_uri=self.uri)
        for name, tags, _deleted in EXPERIMENTS:
            self.experiment_ids[name] = client.create_experiment(name, tags=tags or None)
            time.sleep(0.05)  # distinct creation times, same order on both servers
        for run in RUNS:
            tags = dict(run["tags"])
            if run["parent"]:
                tags["mlflow.parentRunId"] = self.run_ids[run["parent"]]
            created = client.create_run(self.experiment_ids[run["experiment"]], start_time=run["start_time"],
                                        tags=tags, run_name=run["name"])
            run_id = created.info.run_id
            self.run_ids[run["name"]] = run_id
            client.log_batch(run_id,
                             metrics=[Metric(k, v, ts, step) for k, v, ts, step in run["metrics"]],
                             params=[Param(k, v) for k, v in run["params"].items()])
            if run["datasets"]:
                client.log_inputs(run_id, datasets=[
                    DatasetInput(DATASETS[d], tags=[InputTag("mlflow.data.context", context)])
                    for d, context in run["datasets"]])
            if run["status"] != "RUNNING":
                client.set_terminated(run_id, status=run["status"], end_time=run["end_time"])
        for name in sorted(DELETED_RUNS):
            client.delete_run(self.run_ids[name])
        for name, _tags, deleted in EXPERIMENTS:
            if deleted:
                client.delete_experiment(self.experiment_ids[name])
        for name in self.experiment_ids:
            self.creation_times[name] = client.get_experiment(self.experiment_ids[name]).creation_time

    def fill(self, value):
        """Replaces {id:RUN}, {exp:EXPERIMENT}, {ctime:EXPERIMENT} in strings, lists and dicts."""
        if isinstance(value, str):
            def sub(m):
                kind, name = m.group(1), m.group(2)
                return {"id": self.run_ids, "exp": self.experiment_ids, "ctime": self.creation_times}[kind][name]
            return re.sub(r"\{(id|exp|ctime):([^}]+)\}", lambda m: str(sub(m)), value)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def post(self, path: str, body: dict) -> requests.Response:
        return self.session.post(f"{self.uri}/api/2.0/mlflow/{path}", json=body, timeout=120)


# --------------------------------------------------------------------------- the cases

ALL = ["{exp:cmp-alpha}", "{exp:cmp-beta}", "{exp:cmp-Gamma}"]


def R(name, filter="", order_by=None, view=None, max_results=None, experiments=None, page_size=None):
    """A runs/search case; page_size pages through every page with that max_results."""
    body = {"experiment_ids": experiments or ALL}
    if filter:
        body["filter"] = filter
    if order_by:
        body["order_by"] = order_by
    if view:
        body["run_view_type"] = view
    if max_results or page_size:
        body["max_results"] = page_size or max_results
    return {"name": name, "kind": "runs", "body": body, "page_size": page_size, "error": False}


def E(name, filter="", order_by=None, view=None, page_size=None, max_results=100):
    body = {"max_results": page_size or max_results}
    if filter:
        body["filter"] = filter
    if order_by:
        body["order_by"] = order_by
    if view:
        body["view_type"] = view
    return {"name": name, "kind": "experiments", "body": body, "page_size": page_size, "error": False}


def bad(case):
    case["error"] = True
    return case


CASES = [
    # -- metrics, every comparator (acc has NaN, +inf, -inf and missing rows; several ties)
    R("metric =", "metrics.acc = 0.5"),
    R("metric = 0 (NaN is stored as 0)", "metrics.acc = 0"),
    R("metric !=", "metrics.acc != 0.5"),
    R("metric <", "metrics.acc < 0.3"),
    R("metric <=", "metrics.acc <= 0.3"),
    R("metric >", "metrics.acc > 0.6"),
    R("metric >=", "metrics.acc >= 0.6"),
    R("metric > huge (inf)", "metrics.acc > 1e300"),
    R("metric < -huge (-inf)", "metrics.acc < -1e300"),
    R("metric latest by (step, timestamp, value)", "metrics.loss > 0.5", order_by=["metrics.loss DESC"]),
    R("metric singular entity + backticks", "metric.`f1` >= 0.5"),
    R("metric negative number", "metrics.loss > -1", order_by=["run_name"]),
    R("metric = integer literal", "metrics.acc = 1"),
    # -- params
    R("param = (case-sensitive)", "params.model = 'CNN'"),
    R("param = lower", "params.model = 'cnn'"),
    R("param !=", "params.model != 'CNN'"),
    R("param LIKE", "params.model LIKE 'c%'"),
    R("param LIKE suffix", "params.model LIKE '%nn'"),
    R("param LIKE underscore", "params.model LIKE '_nn'"),
    R("param ILIKE", "params.model ILIKE 'cnn'"),
    R("param ILIKE contains", "parameters.model ILIKE '%NN%'"),
    R("param IS NULL", "params.model IS NULL"),
    R("param IS NOT NULL", "param.model IS NOT NULL"),
    R("param double-quoted dotted key", 'params."layers.count" = \'3\''),
    R("param backtick dotted key IS NULL", "params.`layers.count` IS NULL"),
    R("param double-quoted value", 'params.lr = "0.01"'),
    # -- tags
    R("tag =", "tags.team = 'nlp'"),
    R("tag !=", "tags.team != 'nlp'"),
    R("tag LIKE", "tags.team LIKE 'n%'"),
    R("tag ILIKE", "tags.team ILIKE 'NLP'"),
    R("tag IS NULL", "tags.team IS NULL"),
    R("tag IS NOT NULL", "tag.team IS NOT NULL"),
    R("tag dotted key", "tags.`data.version` = 'v1'"),
    R("tag key with space, double quotes", "tags.\"my tag\" = 'a b'"),
    R("tag key with space LIKE (case-sensitive)", "tags.`my tag` LIKE 'a%'"),
    R("tag key with space ILIKE", "tags.`my tag` ILIKE 'a%'"),
    R("tag LIKE % literal-ish", "tags.note LIKE '100%'"),
    R("tag LIKE _ wildcard", "tags.note LIKE 'under_score'"),
    R("tag mlflow.user", "tags.`mlflow.user` = 'alice'"),
    R("nested: parentRunId =", "tags.`mlflow.parentRunId` = '{id:a-08}'"),
    R("nested: parentRunId IS NOT NULL", "tags.`mlflow.parentRunId` IS NOT NULL"),
    R("tag mlflow.runName LIKE", "tags.`mlflow.runName` LIKE 'b-1%'"),
    # -- attributes
    R("run_id IN", "attributes.run_id IN ('{id:a-01}', '{id:b-02}', '{id:g-05}', '{id:a-07}')"),
    R("run_id NOT IN", "attributes.run_id NOT IN ('{id:a-01}', '{id:b-02}')", experiments=["{exp:cmp-alpha}", "{exp:cmp-beta}"]),
    R("run_id =", "attribute.run_id = '{id:b-03}'"),
    R("run_id !=", "run_id != '{id:g-03}'", experiments=["{exp:cmp-Gamma}"]),
    R("run_name =", "attributes.run_name = 'a-03'"),
    R("run_name !=", "run_name != 'g-01'", experiments=["{exp:cmp-Gamma}"]),
    R("run_name LIKE", "attributes.run_name LIKE 'a-1%'"),
    R("run_name ILIKE", "run_name ILIKE 'B-0%'"),
    R("`Run name` alias", "attributes.`Run name` = 'b-04'"),
    R("status =", "attributes.status = 'FINISHED'"),
    R("status !=", "status != 'RUNNING'"),
    R("status LIKE", "attributes.status LIKE 'F%'"),
    R("status ILIKE", "attributes.status ILIKE 'k%'"),
    R("user_id =", "attributes.user_id = 'bob'"),
    R("user_id LIKE", "user_id LIKE '%o%'"),
    R("artifact_uri LIKE", "attributes.artifact_uri LIKE '%/artifacts'", experiments=["{exp:cmp-Gamma}"]),
    R("start_time >=", f"attributes.start_time >= {BASE + 40_000}"),
    R("start_time <", f"start_time < {BASE + 6_000}"),
    R("start_time = (tie)", f"attributes.start_time = {BASE + 4_000}"),
    R("start_time !=", f"attributes.start_time != {BASE}", experiments=["{exp:cmp-alpha}"]),
    R("end_time >", f"attributes.end_time > {BASE + 40_000}"),
    R("end_time <=", f"end_time <= {BASE + 12_000}"),
    R("created >=", f"attributes.created >= {BASE + 50_000}"),
    R("Created alias", f"Created < {BASE + 3_000}"),
    # -- datasets
    R("dataset name =", "datasets.name = 'train-ds'"),
    R("dataset name !=", "datasets.name != 'train-ds'"),
    R("dataset name IN", "datasets.name IN ('train-ds', 'eval-ds')"),
    R("dataset name NOT IN", "datasets.name NOT IN ('eval-ds')"),
    R("dataset digest NOT IN", "datasets.digest NOT IN ('abc123')"),
    R("dataset context NOT IN", "datasets.context NOT IN ('training')"),
    R("dataset name LIKE", "dataset.name LIKE 'ev%'"),
    R("dataset digest =", "datasets.digest = 'abc123'"),
    R("dataset digest IN", "datasets.digest IN ('def456')"),
    R("dataset context =", "datasets.context = 'training'"),
    R("dataset context IN", "datasets.context IN ('eval')"),
    R("dataset context ILIKE", "datasets.context ILIKE 'TRAIN%'"),
    # -- AND chains, keyword case
    R("AND chain of three", "params.model = 'CNN' and tags.team = 'vision' AND metrics.acc > 0.1"),
    R("AND chain attrs + metric + param", "status = 'FINISHED' AND metrics.loss < 1 AND params.lr = '0.01'"),
    R("AND with IS NULL", "tags.team IS NULL AND params.model IS NOT NULL"),
    R("AND dataset + metric", "datasets.name = 'train-ds' AND metrics.loss >= 0"),
    # -- order_by
    R("default order (start_time DESC, run_id)", ""),
    R("order metric DESC (NaN, missing last)", order_by=["metrics.acc DESC"]),
    R("order metric ASC (NaN, missing last)", order_by=["metrics.acc ASC"]),
    R("order sparse metric", order_by=["metrics.f1"]),
    R("order missing metric key", order_by=["metrics.nope DESC"]),
    R("order param ASC (binary collation)", order_by=["params.model ASC"]),
    R("order param DESC", order_by=["params.model DESC"]),
    R("order tag DESC", order_by=["tags.team DESC"]),
    R("order tag with space", order_by=["tags.`my tag` ASC"]),
    R("order attributes.start_time ASC", order_by=["attributes.start_time ASC"]),
    R("order start_time DESC", order_by=["start_time DESC"]),
    R("order created", order_by=["created"]),
    R("order run_name DESC", order_by=["run_name DESC"]),
    R("order attributes.end_time DESC (nulls)", order_by=["attributes.end_time DESC"]),
    R("order end_time ASC (nulls)", order_by=["end_time ASC"]),
    R("order status", order_by=["status"]),
    R("order user_id desc", order_by=["attributes.user_id desc"]),
    R("order two keys", order_by=["params.model ASC", "metrics.acc DESC"]),
    R("order three keys", order_by=["tags.team", "params.lr DESC", "run_name DESC"]),
    R("filter + order", "metrics.acc >= 0.2", order_by=["metrics.loss ASC"]),
    # -- view types
    R("view ACTIVE_ONLY", view="ACTIVE_ONLY"),
    R("view DELETED_ONLY", view="DELETED_ONLY"),
    R("view ALL", view="ALL", order_by=["run_name"]),
    R("view DELETED_ONLY + filter", "metrics.loss > 0", view="DELETED_ONLY"),
    R("one experiment", experiments=["{exp:cmp-beta}"]),
    # -- paging (max_results 7, every page)
    R("paging default order", page_size=7),
    R("paging filter + metric order", "metrics.acc > 0.2", order_by=["metrics.acc DESC"], page_size=7),
    R("paging view ALL by name", view="ALL", order_by=["run_name ASC"], page_size=7),
    R("paging exact multiple", "attributes.run_name LIKE 'g-%'", page_size=5, view="ALL"),
    R("max_results 1", order_by=["metrics.loss"], max_results=1),
    # -- experiments/search
    E("experiments: default (ACTIVE_ONLY)"),
    E("experiments: name LIKE", "name LIKE 'cmp-%'"),
    E("experiments: name ILIKE", "attribute.name ILIKE '%gamma%'"),
    E("experiments: name =", "name = 'cmp-beta'"),
    E("experiments: name !=", "name != 'cmp-beta'"),
    E("experiments: name LIKE underscore", "name LIKE 'cmp-_eta'"),
    E("experiments: tag =", "tags.team = 'nlp'"),
    E("experiments: tag ILIKE", "tags.team ILIKE 'nlp'"),
    E("experiments: tag !=", "tags.team != 'vision'"),
    E("experiments: tag LIKE", "tag.team LIKE 'v%'", view="ALL"),
    E("experiments: dotted tag key", "tags.`owner.name` = 'ann'"),
    E("experiments: tag key with space", "tags.\"prio level\" = 'high'"),
    E("experiments: tag IS NULL", "tags.team IS NULL"),
    E("experiments: tag IS NOT NULL", "tags.team IS NOT NULL"),
    E("experiments: creation_time >=", "creation_time >= {ctime:cmp-beta}"),
    E("experiments: creation_time <", "attribute.creation_time < {ctime:cmp-beta}"),
    E("experiments: creation_time !=", "creation_time != {ctime:cmp-beta}"),
    E("experiments: experiment_id IN", "experiment_id IN ('{exp:cmp-alpha}', '{exp:cmp-Gamma}')"),
    E("experiments: AND", "name LIKE 'cmp-%' AND tags.team = 'nlp'"),
    E("experiments: order name ASC", order_by=["name ASC"]),
    E("experiments: order name DESC", order_by=["name DESC"]),
    E("experiments: order creation_time ASC", order_by=["creation_time ASC"]),
    E("experiments: order experiment_id DESC", order_by=["experiment_id DESC"]),
    E("experiments: order attribute.name DESC", order_by=["attribute.name DESC"]),
    E("experiments: order last_update_time", "name LIKE 'cmp-%'", order_by=["last_update_time ASC"]),
    E("experiments: view DELETED_ONLY", view="DELETED_ONLY"),
    E("experiments: view ALL by name", view="ALL", order_by=["name"]),
    E("experiments: paging (2 per page)", page_size=2, view="ALL"),
    E("experiments: paging with filter", "name LIKE 'cmp%'", order_by=["name DESC"], page_size=2),
    # -- invalid: both must answer 400 with the same error_code
    bad(R("invalid: quoted metric value", "metrics.acc > '0.5'")),
    bad(R("invalid: unquoted param value", "params.model = CNN")),
    bad(R("invalid: unknown entity", "foo.bar = 'x'")),
    bad(R("invalid: unknown attribute", "attributes.bogus = 'x'")),
    bad(R("invalid: IS NULL on metric", "metrics.acc IS NULL")),
    bad(R("invalid: OR", "params.model = 'a' OR params.model = 'b'")),
    bad(R("invalid: missing value", "metrics.acc >")),
    bad(R("invalid: == comparator", "tags.team == 'x'")),
    bad(R("invalid: LIKE on metric", "metrics.acc LIKE '0.5'")),
    bad(R("invalid: IN on run_name", "run_name IN ('a-01')")),
    bad(R("invalid: numeric attr with string", "attributes.start_time > 'abc'")),
    bad(R("invalid: unknown dataset key", "datasets.foo = 'x'")),
    bad(R("invalid: order_by direction", order_by=["metrics.acc SIDEWAYS"])),
    bad(R("invalid: order_by entity", order_by=["bogus.x"])),
    bad(R("invalid: page token", page_size=None) | {"extra": {"page_token": "not-a-token!!"}}),
    bad(R("invalid: max_results too large", max_results=50001)),
    # MLflow 3.17 knows only attribute/tag/tags before the dot in experiment filters.
    bad(E("invalid experiments: 'attributes.' (plural) prefix", "attributes.name LIKE 'cmp-%'")),
    bad(E("invalid experiments: params entity", "params.x = 'y'")),
    bad(E("invalid experiments: unquoted name", "name = cmp")),
    bad(E("invalid experiments: order_by key", order_by=["bogus"])),
    bad(R("deviation: duplicate order_by key", order_by=["metrics.acc", "metrics.acc DESC"])),
]

# Cases where the reference answers 5xx and we deliberately answer 400 (contract §10.2: a 5xx
# makes clients retry for minutes). Counted as passed when the reference gives 5xx and we give 400.
EXPECTED_DEVIATIONS = {
    "deviation: duplicate order_by key":
        "MLflow answers 500 INTERNAL_ERROR ('order_by contains duplicate fields'); we answer 400 "
        "INVALID_PARAMETER_VALUE (contract section 10.2)",
}


# --------------------------------------------------------------------------- comparing

ENTITY_RE = re.compile(r"^(metrics?|params?|parameters?|tags?|attributes?|attr|run|datasets?)\.(.+)$", re.I)


def parse_order_key(clause: str) -> tuple[str, str]:
    text = clause.strip()
    m = re.match(r"^(.*?)(\s+(asc|desc))?$", text, re.I)
    ident = m.group(1).strip()
    em = ENTITY_RE.match(ident)
    entity, key = (em.group(1).lower(), em.group(2)) if em else ("attribute", ident)
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "`\"":
        key = key[1:-1]
    entity = {"metric": "metrics", "param": "params", "parameter": "params", "parameters": "params",
              "tag": "tags", "attribute": "attributes", "attr": "attributes", "run": "attributes"}.get(entity, entity)
    return entity, key


def sort_value(run: dict, entity: str, key: str):
    info, data = run["info"], run.get("data", {})
    if entity == "metrics":
        return next((str(m["value"]) for m in data.get("metrics", []) if m["key"] == key), None)
    if entity in ("params", "tags"):
        return next((p["value"] for p in data.get(entity, []) if p["key"] == key), None)
    attr = {"created": "start_time", "Created": "start_time", "run name": "run_name", "Run name": "run_name",
            "Run Name": "run_name"}.get(key, key)
    return info.get(attr)


def canonical_runs(runs: list[dict], order_by: list[str]) -> tuple[list[str], list[str]]:
    """Names with tie groups (equal on every sort key and on start_time) as sorted sets, and
    the problems found: a tie group not in run_id order."""
    keys = [parse_order_key(c) for c in order_by or []]
    out, problems = [], []
    i = 0
    while i < len(runs):
        def group_key(r):
            return tuple(sort_value(r, e, k) for e, k in keys) + (r["info"]["start_time"],)
        j = i + 1
        while j < len(runs) and group_key(runs[j]) == group_key(runs[i]):
            j += 1
        group = runs[i:j]
        if len(group) == 1:
            out.append(group[0]["info"]["run_name"])
        else:
            ids = [r["info"]["run_id"] for r in group]
            if ids != sorted(ids):
                problems.append("tie group {" + ", ".join(r["info"]["run_name"] for r in group) + "} not in run_id order")
            out.append("{" + "|".join(sorted(r["info"]["run_name"] for r in group)) + "}")
        i = j
    return out, problems


def run_case(server: Populated, case: dict) -> dict:
    """{'status', 'error_code'} for failures; {'status', 'items', 'pages', 'raw'} otherwise."""
    path = "runs/search" if case["kind"] == "runs" else "experiments/search"
    body = server.fill(dict(case["body"], **case.get("extra", {})))
    items, pages, token = [], [], None
    for _ in range(100):  # bounded paging
        b = dict(body, page_token=token) if token else body
        r = server.post(path, b)
        if r.status_code != 200:
            try:
                code = r.json().get("error_code")
            except ValueError:
                code = f"<non-JSON: {r.text[:80]!r}>"
            return {"status": r.status_code, "error_code": code}
        answer = r.json()
        got = answer.get(case["kind"], [])
        items += got
        pages.append(len(got))
        token = answer.get("next_page_token")
        if not case["page_size"] or not token:
            break
    if case["kind"] == "runs":
        names, problems = canonical_runs(items, case["body"].get("order_by"))
        raw = [r["info"]["run_name"] for r in items]
    else:
        names, problems = [e["name"] for e in items], []
        raw = names
    return {"status": 200, "items": names, "raw": raw, "pages": pages if case["page_size"] else None,
            "more": bool(token) if not case["page_size"] else None, "problems": problems}


def compare(case: dict, ours: dict, ref: dict) -> tuple[str, str]:
    name = case["name"]
    if name in EXPECTED_DEVIATIONS:
        if ref["status"] >= 500 and ours["status"] == 400:
            return "DEV", f"reference {ref['status']} {ref['error_code']}, ours 400 {ours['error_code']}: " \
                          f"{EXPECTED_DEVIATIONS[name]}"
        if ours["status"] == ref["status"] and ours.get("error_code") == ref.get("error_code"):
            return "OK", "(documented deviation no longer seen: reference answers like us)"
        return "DIFF", f"ours {ours['status']} {ours.get('error_code')}, reference {ref['status']} {ref.get('error_code')}"
    if case["error"]:
        if ours["status"] == 400 and ref["status"] == 400 and ours["error_code"] == ref["error_code"]:
            return "OK", f"400 {ours['error_code']}"
        return "DIFF", f"ours {ours['status']} {ours.get('error_code')}, reference {ref['status']} {ref.get('error_code')}"
    if ours["status"] != 200 or ref["status"] != 200:
        return "DIFF", f"ours {ours['status']} {ours.get('error_code', '')}, reference {ref['status']} {ref.get('error_code', '')}"
    problems = [f"ours: {p}" for p in ours["problems"]] + [f"reference: {p}" for p in ref["problems"]]
    same = ours["items"] == ref["items"] and ours["pages"] == ref["pages"] and ours["more"] == ref["more"]
    if same and not problems:
        pages = f", pages {ours['pages']}" if ours["pages"] else ""
        return "OK", f"{len(ours['raw'])} {case['kind']}{pages}"
    detail = [*problems]
    if not same:
        detail += [f"ours      ({len(ours['raw'])}, pages {ours['pages']}, more {ours['more']}): {ours['items']}",
                   f"reference ({len(ref['raw'])}, pages {ref['pages']}, more {ref['more']}): {ref['items']}"]
        only_ours = sorted(set(ours["raw"]) - set(ref["raw"]))
        only_ref = sorted(set(ref["raw"]) - set(ours["raw"]))
        if only_ours or only_ref:
            detail.append(f"only ours: {only_ours}; only reference: {only_ref}")
    return "DIFF", "\n      ".join(detail)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true", help="keep the servers' data folder")
    ap.add_argument("--only", help="run only the cases whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the sequences of passing cases too")
    args = ap.parse_args()

    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert set(EXPECTED_DEVIATIONS) <= set(names)
    cases = [c for c in CASES if not args.only or args.only in c["name"]]

    workdir = Path(tempfile.mkdtemp(prefix="compare-search-"))
    print(f"data: {workdir}; {len(RUNS)} runs in {len(RUN_EXPERIMENTS)} experiments, {len(cases)} cases", flush=True)
    ours_server, ref_server = OurServer(workdir / "ours"), ReferenceServer(workdir / "reference")
    failed = passed = deviations = 0
    try:
        ours_server.start()
        ref_server.start()
        ours, ref = Populated("ours", ours_server), Populated("reference", ref_server)
        for s in (ours, ref):
            t0 = time.monotonic()
            s.populate()
            print(f"{s.label}: {s.uri}, content logged in {time.monotonic() - t0:.1f} s", flush=True)
        for case in cases:
            a, b = run_case(ours, case), run_case(ref, case)
            verdict, detail = compare(case, a, b)
            if verdict == "DIFF":
                failed += 1
                print(f"DIFF {case['name']}\n      body: {json.dumps(case['body'])}\n      {detail}", flush=True)
            else:
                passed += 1
                deviations += verdict == "DEV"
                print(f"{verdict:<4} {case['name']}: {detail}", flush=True)
                if args.verbose and a.get("items"):
                    print(f"      {a['items']}")
    finally:
        ours_server.stop()
        ref_server.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if deviations:
        print(f"{deviations} documented deviation(s) counted as passed: "
              + "; ".join(f"{k}: {v}" for k, v in EXPECTED_DEVIATIONS.items()))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
