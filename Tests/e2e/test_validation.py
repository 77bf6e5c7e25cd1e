"""Validation rules and limits (contract §5, §6.3, §8 LogBatch).

The mlflow client splits large log_batch calls into allowed chunks itself, so the batch limits are
tested with raw requests to runs/log-batch."""

import time

import pytest

from e2e_helpers import error_of, mlflow, unique
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException


def now_ms() -> int:
    return int(time.time() * 1000)


def metrics(n: int, key: str = "m") -> list[dict]:
    t = now_ms()
    return [{"key": key, "value": float(i), "timestamp": t, "step": i} for i in range(n)]


def params(n: int, prefix: str = "p") -> list[dict]:
    return [{"key": f"{prefix}{i}", "value": str(i)} for i in range(n)]


def tags(n: int, prefix: str = "t") -> list[dict]:
    return [{"key": f"{prefix}{i}", "value": str(i)} for i in range(n)]


# ------------------------------------------------------------------ params


def test_relogging_a_param_with_the_same_value_is_fine(client, run_id):
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")
    client.log_batch(run_id, params=[Param("lr", "0.1")])
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_changing_a_param_value_fails(client, run_id):
    client.log_param(run_id, "lr", "0.1")
    with pytest.raises(MlflowException) as e:
        client.log_param(run_id, "lr", "0.2")
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    assert e.value.get_http_status_code() == 400
    with pytest.raises(MlflowException) as e:
        client.log_batch(run_id, params=[Param("lr", "0.3")])
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_fluent_param_conflict_raises(tracking_uri):
    mlflow.set_experiment(unique("fluent-param"))
    with mlflow.start_run():
        mlflow.log_param("a", 1)
        mlflow.log_param("a", 1)
        with pytest.raises(MlflowException) as e:
            mlflow.log_param("a", 2)
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"


def test_long_param_value_is_truncated_to_6000(client, run_id, api):
    value = "".join(chr(ord("a") + i % 26) for i in range(7000))
    client.log_param(run_id, "long", value)
    # The same over the wire directly, so that no client-side truncation can hide the server's.
    api.ok("POST", "runs/log-parameter", json={"run_id": run_id, "key": "raw", "value": value})
    got = client.get_run(run_id).data.params
    assert got["long"] == value[:6000]
    assert got["raw"] == value[:6000]
    # Re-logging the long value compares after truncation: no conflict.
    client.log_param(run_id, "long", value)


def test_long_tag_value_is_truncated_to_8000(client, run_id, api):
    value = "x" * 4500 + "y" * 4500
    client.set_tag(run_id, "long", value)
    api.ok("POST", "runs/set-tag", json={"run_id": run_id, "key": "raw", "value": value})
    api.ok("POST", "runs/log-batch", json={"run_id": run_id, "tags": [{"key": "batch", "value": value}]})
    got = client.get_run(run_id).data.tags
    assert got["long"] == value[:8000]
    assert got["raw"] == value[:8000]
    assert got["batch"] == value[:8000]


@pytest.mark.parametrize("key", ["bad#key", "../up", "/abs", "a//b", "a/./b", "a/", "semi;colon"])
def test_invalid_keys_are_rejected(client, run_id, key):
    for log in (
        lambda: client.log_param(run_id, key, "v"),
        lambda: client.log_metric(run_id, key, 1.0),
        lambda: client.set_tag(run_id, key, "v"),
    ):
        with pytest.raises(MlflowException) as e:
            log()
        assert e.value.error_code == "INVALID_PARAMETER_VALUE", key
    data = client.get_run(run_id).data
    assert key not in data.params and key not in data.metrics and key not in data.tags


@pytest.mark.parametrize("key", ["ok_key", "with space", "a/b/c", "dots.and-dashes", "colon:key", "ünïcödé"])
def test_valid_keys_are_accepted(client, run_id, key):
    client.log_param(run_id, key, "v")
    client.log_metric(run_id, key, 1.0)
    client.set_tag(run_id, key, "v")
    data = client.get_run(run_id).data
    assert data.params[key] == "v"
    assert data.metrics[key] == 1.0
    assert data.tags[key] == "v"


def test_key_longer_than_250_is_rejected(client, run_id):
    client.log_param(run_id, "k" * 250, "v")
    with pytest.raises(MlflowException) as e:
        client.log_param(run_id, "k" * 251, "v")
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"


def test_experiment_name_limits(client):
    with pytest.raises(MlflowException) as e:
        client.create_experiment("n" * 501)
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"


# ------------------------------------------------------------------ log-batch limits (raw HTTP)


def _batch(api, run_id, **parts):
    return api.post("runs/log-batch", {"run_id": run_id, **parts})


def test_batch_at_the_limits_is_accepted(api, client, run_id):
    assert _batch(api, run_id, metrics=metrics(1000)).status_code == 200
    assert _batch(api, run_id, params=params(100), tags=tags(100)).status_code == 200
    assert _batch(api, run_id, metrics=metrics(800, "n"), params=params(100, "q"), tags=tags(100, "u")).status_code == 200
    data = client.get_run(run_id).data
    assert len(data.params) == 200
    assert len([k for k in data.tags if k.startswith(("t", "u"))]) == 200
    assert len(client.get_metric_history(run_id, "m")) == 1000


@pytest.mark.parametrize(
    "parts",
    [
        {"metrics": metrics(1001)},
        {"params": params(101)},
        {"tags": tags(101)},
        {"metrics": metrics(900), "params": params(100), "tags": tags(1)},
    ],
    ids=["1001-metrics", "101-params", "101-tags", "1001-items"],
)
def test_batch_over_the_limits_is_rejected_and_writes_nothing(api, client, run_id, parts):
    r = _batch(api, run_id, **parts)
    assert r.status_code == 400, r.text
    assert error_of(r)["error_code"] == "INVALID_PARAMETER_VALUE"
    data = client.get_run(run_id).data
    assert data.metrics == {} and data.params == {}
    assert not [k for k in data.tags if not k.startswith("mlflow.")]


def test_batch_with_param_conflict_writes_nothing(client, run_id):
    client.log_param(run_id, "p", "1")
    with pytest.raises(MlflowException) as e:
        client.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, now_ms(), 0)],
            params=[Param("new", "x"), Param("p", "2")],
            tags=[RunTag("t", "v")],
        )
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    data = client.get_run(run_id).data
    assert data.params == {"p": "1"}
    assert data.metrics == {}
    assert "t" not in data.tags
    assert client.get_metric_history(run_id, "m") == []


def test_batch_with_duplicate_param_keys_is_rejected(api, client, run_id):
    r = _batch(api, run_id, params=[{"key": "d", "value": "1"}, {"key": "d", "value": "2"}])
    assert r.status_code == 400
    assert error_of(r)["error_code"] == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {}


def test_batch_metric_without_timestamp_is_rejected(api, run_id):
    r = _batch(api, run_id, metrics=[{"key": "m", "value": 1.0}])
    assert r.status_code == 400
    body = error_of(r)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Missing value for required parameter" in body["message"]
    assert "timestamp" in body["message"]


def test_empty_batch_is_fine(api, run_id):
    assert _batch(api, run_id).status_code == 200


def test_batch_to_unknown_run_is_404(api):
    r = _batch(api, "0" * 32, params=params(1))
    assert r.status_code == 404
    assert error_of(r)["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_batch_body_over_one_megabyte_is_rejected(api, client, run_id):
    # 100 tags of 10,050 characters: otherwise a valid batch (values would be truncated), but the
    # body exceeds the 1,000,000-byte limit of log-batch.
    big = [{"key": f"big{i}", "value": "v" * 10_050} for i in range(100)]
    r = _batch(api, run_id, tags=big)
    assert r.status_code == 400, r.text[:300]
    assert error_of(r)["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not [k for k in client.get_run(run_id).data.tags if k.startswith("big")]
