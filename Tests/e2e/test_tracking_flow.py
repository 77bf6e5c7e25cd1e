"""The everyday experiment-tracking flow through the real mlflow client.

Expected behaviour is that of the real MLflow server (shared contract, sections 4, 6, 9, 15)."""

import math
import re
import sys
import time

import pytest

from e2e_helpers import Api, mlflow, unique
from mlflow.entities import Metric, RunStatus

MAX_DOUBLE = sys.float_info.max  # ±inf is stored and returned as ±1.7976931348623157e308


def test_typical_script(any_tracking_uri):
    """Contract §15.2 (without the artifact call), through the root and the /mlflow mount."""
    name = unique("typical")
    exp = mlflow.set_experiment(name)
    assert re.fullmatch(r"\d+", exp.experiment_id)
    before = int(time.time() * 1000)

    run = mlflow.start_run()
    run_id = run.info.run_id
    mlflow.log_param("lr", 0.01)
    mlflow.log_params({"batch_size": 32, "optimizer": "adam"})
    for s in range(3):
        mlflow.log_metric("loss", 1 / (s + 1), step=s)
    mlflow.log_metrics({"acc": 0.9, "f1": 0.75}, step=2)
    mlflow.set_tag("team", "a")
    mlflow.set_tags({"stage": "dev", "note": "hello world"})
    mlflow.end_run()
    after = int(time.time() * 1000)

    got = mlflow.MlflowClient().get_run(run_id)
    info, data = got.info, got.data
    assert info.run_id == run_id
    assert re.fullmatch(r"[0-9a-f]{32}", run_id)
    assert info.experiment_id == exp.experiment_id
    assert info.status == "FINISHED"
    assert info.lifecycle_stage == "active"
    assert before - 1000 <= info.start_time <= info.end_time <= after + 1000
    assert info.artifact_uri == f"mlflow-artifacts:/{exp.experiment_id}/{run_id}/artifacts"

    # Generated name <adjective>-<noun>-<0..1000>, mirrored in the mlflow.runName tag.
    m = re.fullmatch(r"[a-z]+-[a-z]+-(\d{1,4})", info.run_name)
    assert m and int(m.group(1)) <= 1000, info.run_name
    assert data.tags["mlflow.runName"] == info.run_name

    assert data.metrics == {"loss": pytest.approx(1 / 3), "acc": 0.9, "f1": 0.75}
    assert data.params == {"lr": "0.01", "batch_size": "32", "optimizer": "adam"}
    assert data.tags["team"] == "a"
    assert data.tags["stage"] == "dev"
    assert data.tags["note"] == "hello world"
    # System tags the client sends at run creation are stored like any other tag.
    for key in ("mlflow.user", "mlflow.source.name", "mlflow.source.type"):
        assert key in data.tags, key
    assert data.tags["mlflow.source.type"] == "LOCAL"

    history = mlflow.MlflowClient().get_metric_history(run_id, "loss")
    assert [(h.step, h.value) for h in history] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]

    # The experiment is found by name and lists the run.
    assert mlflow.get_experiment_by_name(name).experiment_id == exp.experiment_id
    found = mlflow.MlflowClient().search_runs([exp.experiment_id])
    assert [r.info.run_id for r in found] == [run_id]


def test_set_experiment_twice_reuses_it(any_tracking_uri):
    name = unique("again")
    first = mlflow.set_experiment(name)
    second = mlflow.set_experiment(name)
    assert first.experiment_id == second.experiment_id
    assert second.name == name


def test_start_run_with_name_and_with_block(any_tracking_uri):
    mlflow.set_experiment(unique("named"))
    with mlflow.start_run(run_name="my-run", tags={"k": "v"}, description="about") as run:
        mlflow.log_metric("x", 1.0)
    got = mlflow.MlflowClient().get_run(run.info.run_id)
    assert got.info.run_name == "my-run"
    assert got.info.status == "FINISHED"
    assert got.data.tags["mlflow.runName"] == "my-run"
    assert got.data.tags["k"] == "v"
    assert got.data.tags["mlflow.note.content"] == "about"


def test_exception_in_with_block_marks_run_failed(tracking_uri):
    mlflow.set_experiment(unique("failing"))
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            1 / 0
    assert mlflow.MlflowClient().get_run(run.info.run_id).info.status == "FAILED"


def test_nested_runs(tracking_uri):
    mlflow.set_experiment(unique("nested"))
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            mlflow.log_param("depth", 1)
    client = mlflow.MlflowClient()
    got = client.get_run(child.info.run_id)
    assert got.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in client.get_run(parent.info.run_id).data.tags
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )
    assert [r.info.run_id for r in children] == [child.info.run_id]


def test_resume_run_by_id(tracking_uri):
    mlflow.set_experiment(unique("resume"))
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, step=0)
    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.log_metric("m", 2.0, step=1)
    got = mlflow.MlflowClient().get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics == {"m": 2.0}


def test_latest_metric_rule(client, run_id):
    """§6.4: the summary value is the max of (step, timestamp, value)."""
    t = 1_700_000_000_000
    client.log_metric(run_id, "m", 1.5, timestamp=t + 1, step=0)
    client.log_metric(run_id, "m", 0.5, timestamp=t, step=5)
    client.log_metric(run_id, "m", 9.0, timestamp=t + 9999, step=4)
    assert client.get_run(run_id).data.metrics["m"] == 0.5

    # Same step: the later timestamp wins, even with a smaller value.
    client.log_metric(run_id, "same_step", 7.0, timestamp=t, step=3)
    client.log_metric(run_id, "same_step", 2.0, timestamp=t + 5, step=3)
    # Same step and timestamp: the larger value wins.
    client.log_metric(run_id, "tie", 1.0, timestamp=t, step=1)
    client.log_metric(run_id, "tie", 3.0, timestamp=t, step=1)
    client.log_metric(run_id, "tie", 2.0, timestamp=t, step=1)
    # Negative steps are allowed and lose to step 0.
    client.log_metric(run_id, "neg", 5.0, timestamp=t + 100, step=-3)
    client.log_metric(run_id, "neg", 4.0, timestamp=t, step=0)

    metrics = client.get_run(run_id).data.metrics
    assert metrics["same_step"] == 2.0
    assert metrics["tie"] == 3.0
    assert metrics["neg"] == 4.0

    # History keeps every point, ordered by timestamp, then step, then value.
    history = client.get_metric_history(run_id, "m")
    assert [(h.timestamp, h.step, h.value) for h in history] == [
        (t, 5, 0.5),
        (t + 1, 0, 1.5),
        (t + 9999, 4, 9.0),
    ]
    assert sorted(h.value for h in client.get_metric_history(run_id, "neg")) == [4.0, 5.0]


def test_exact_duplicate_metric_is_ignored(client, run_id):
    t = 1_700_000_000_000
    client.log_metric(run_id, "d", 1.0, timestamp=t, step=1)
    client.log_metric(run_id, "d", 1.0, timestamp=t, step=1)
    client.log_metric(run_id, "d", 2.0, timestamp=t, step=1)
    assert sorted(h.value for h in client.get_metric_history(run_id, "d")) == [1.0, 2.0]


def test_nan_and_infinity_round_trip(client, run_id, api):
    t = 1_700_000_000_000
    client.log_metric(run_id, "nan", float("nan"), timestamp=t, step=0)
    client.log_metric(run_id, "pinf", float("inf"), timestamp=t, step=0)
    client.log_metric(run_id, "ninf", float("-inf"), timestamp=t, step=0)
    client.log_batch(
        run_id,
        metrics=[
            Metric("batch_nan", float("nan"), t, 0),
            Metric("batch_inf", float("inf"), t, 0),
        ],
    )

    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert math.isnan(metrics["batch_nan"])
    assert metrics["pinf"] == MAX_DOUBLE
    assert metrics["batch_inf"] == MAX_DOUBLE
    assert metrics["ninf"] == -MAX_DOUBLE

    assert math.isnan(client.get_metric_history(run_id, "nan")[0].value)
    assert client.get_metric_history(run_id, "pinf")[0].value == MAX_DOUBLE
    assert client.get_metric_history(run_id, "ninf")[0].value == -MAX_DOUBLE

    # On the wire NaN is the string "NaN"; infinities are the largest finite double.
    wire = {
        m["key"]: m["value"]
        for m in api.ok("GET", "runs/get", params={"run_id": run_id})["run"]["data"]["metrics"]
    }
    assert wire["nan"] == "NaN"
    assert wire["pinf"] == MAX_DOUBLE
    assert wire["ninf"] == -MAX_DOUBLE


def test_nan_is_not_the_latest_over_a_higher_step(client, run_id):
    t = 1_700_000_000_000
    client.log_metric(run_id, "m", float("nan"), timestamp=t, step=1)
    client.log_metric(run_id, "m", 0.25, timestamp=t, step=2)
    assert client.get_run(run_id).data.metrics["m"] == 0.25


def _log_points(client, run_id, key, n, t0=1_700_000_000_000):
    """Logs n points (step i, timestamp t0+i, value i/2) in log_batch chunks of 1000."""
    for start in range(0, n, 1000):
        client.log_batch(
            run_id,
            metrics=[Metric(key, i / 2, t0 + i, i) for i in range(start, min(n, start + 1000))],
        )


def test_metric_history_of_10000_points(client, run_id):
    _log_points(client, run_id, "long", 10_000)
    history = client.get_metric_history(run_id, "long")
    assert len(history) == 10_000
    assert [h.step for h in history] == list(range(10_000))
    assert history[0].value == 0.0 and history[-1].value == 4999.5
    assert history[1234].timestamp == 1_700_000_000_000 + 1234
    assert client.get_run(run_id).data.metrics["long"] == 4999.5


def test_metric_history_paging_over_rest(client, run_id, api):
    """GET metrics/get-history with max_results=3000: pages 3000+3000+3000+1000, each point once."""
    _log_points(client, run_id, "paged", 10_000)
    steps, token, pages = [], None, []
    while True:
        params = {"run_id": run_id, "metric_key": "paged", "max_results": 3000}
        if token:
            params["page_token"] = token
        body = api.ok("GET", "metrics/get-history", params=params)
        page = body.get("metrics", [])
        pages.append(len(page))
        steps += [m["step"] for m in page]
        token = body.get("next_page_token")
        if not token:
            break
        assert len(pages) < 10, "paging does not end"
    assert pages == [3000, 3000, 3000, 1000]
    assert steps == list(range(10_000))

    # Without max_results: everything at once, no token.
    body = api.ok("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "paged"})
    assert len(body["metrics"]) == 10_000
    assert "next_page_token" not in body or not body["next_page_token"]
    first = body["metrics"][0]
    assert {k: first[k] for k in ("key", "value", "timestamp", "step")} == {
        "key": "paged",
        "value": 0,
        "timestamp": 1_700_000_000_000,
        "step": 0,
    }


def test_metric_history_of_unknown_run_is_empty(api):
    body = api.ok("GET", "metrics/get-history", params={"run_id": "0" * 32, "metric_key": "m"})
    assert body.get("metrics", []) == []


def test_run_status_independent_of_lifecycle(client, run_id):
    client.set_terminated(run_id, "FAILED")
    # A finished or failed run still accepts data (§6.2).
    client.log_metric(run_id, "after", 1.0)
    client.log_param(run_id, "p", "v")
    got = client.get_run(run_id)
    assert got.info.status == RunStatus.to_string(RunStatus.FAILED)
    assert got.data.metrics["after"] == 1.0
    assert got.info.end_time is not None and got.info.end_time > 0
