"""Searching runs and experiments through the client (contract §10)."""

import time

import pytest

from e2e_helpers import mlflow, unique
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

T = 1_700_000_000_000


@pytest.fixture
def runs(client, experiment_id):
    """Four runs with a spread of metrics, params and tags; returns {name: run_id}."""
    spec = {
        "r-high": ({"acc": 0.9}, {"model": "cnn"}, {"team": "a"}),
        "r-low": ({"acc": 0.2}, {"model": "CNN"}, {"team": "b"}),
        "r-nan": ({"acc": float("nan")}, {"model": "rnn"}, {"team": "a"}),
        "r-none": ({}, {}, {}),
    }
    ids = {}
    for i, (name, (metrics, params, tags)) in enumerate(spec.items()):
        run = client.create_run(experiment_id, start_time=T + i, run_name=name)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, T, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        ids[name] = run.info.run_id
    return ids


def names(client, experiment_id, filter_string="", order_by=None):
    found = client.search_runs([experiment_id], filter_string=filter_string, order_by=order_by)
    return [r.info.run_name for r in found]


def test_filter_by_metric_param_tag_and_attribute(client, experiment_id, runs):
    assert sorted(names(client, experiment_id, "metrics.acc > 0.5")) == ["r-high"]
    assert sorted(names(client, experiment_id, "metrics.acc < 0.5")) == ["r-low"]
    # NaN never matches a comparison except !=; runs without the metric never match.
    assert sorted(names(client, experiment_id, "metrics.acc != 0.2")) == ["r-high", "r-nan"]
    # String comparisons are case-sensitive; ILIKE is not.
    assert names(client, experiment_id, "params.model = 'cnn'") == ["r-high"]
    assert sorted(names(client, experiment_id, "params.model ILIKE 'cnn'")) == ["r-high", "r-low"]
    assert sorted(names(client, experiment_id, "params.model LIKE '%nn'")) == ["r-high", "r-nan"]
    assert sorted(names(client, experiment_id, "tags.team = 'a'")) == ["r-high", "r-nan"]
    assert names(client, experiment_id, "tags.team = 'a' and metrics.acc > 0.5") == ["r-high"]
    assert names(client, experiment_id, "attributes.run_name = 'r-low'") == ["r-low"]
    assert names(client, experiment_id, "params.model IS NULL") == ["r-none"]
    assert names(client, experiment_id, f"attributes.run_id IN ('{runs['r-nan']}')") == ["r-nan"]


def test_order_by(client, experiment_id, runs):
    # Default: newest start_time first.
    assert names(client, experiment_id) == ["r-none", "r-nan", "r-low", "r-high"]
    # Metrics: real values in order, then NaN, then runs without the metric, in both directions.
    assert names(client, experiment_id, order_by=["metrics.acc DESC"]) == ["r-high", "r-low", "r-nan", "r-none"]
    assert names(client, experiment_id, order_by=["metrics.acc ASC"]) == ["r-low", "r-high", "r-nan", "r-none"]
    # Binary string order for params; runs without the param last.
    assert names(client, experiment_id, order_by=["params.model"]) == ["r-low", "r-high", "r-nan", "r-none"]


def test_pagination(client, experiment_id, runs):
    seen, token = [], None
    for _ in range(10):
        page = client.search_runs([experiment_id], max_results=3, page_token=token)
        seen += [r.info.run_name for r in page]
        token = page.token
        if not token:
            break
    assert seen == ["r-none", "r-nan", "r-low", "r-high"]


def test_invalid_filter_is_invalid_parameter_value(client, experiment_id, runs):
    for bad in ("metrics.acc > 0.5 OR metrics.acc < 0.1", "foo.bar = 'x'", "metrics.acc > 'high'"):
        with pytest.raises(MlflowException) as e:
            client.search_runs([experiment_id], filter_string=bad)
        assert e.value.error_code == "INVALID_PARAMETER_VALUE", bad


def test_fluent_search_runs(tracking_uri):
    name = unique("fluent-search")
    mlflow.set_experiment(name)
    for acc in (0.1, 0.7, 0.4):
        with mlflow.start_run():
            mlflow.log_metric("acc", acc)
    found = mlflow.search_runs(
        experiment_names=[name], filter_string="metrics.acc > 0.3", order_by=["metrics.acc DESC"],
        output_format="list",
    )
    assert [r.data.metrics["acc"] for r in found] == [0.7, 0.4]


def test_search_experiments(client):
    prefix = unique("sx")
    ids = []
    for i in range(3):
        ids.append(client.create_experiment(f"{prefix}-{i}"))
        time.sleep(0.01)  # distinct creation times, so the default order has no ties
    client.delete_experiment(ids[1])
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'")
    # Default order: newest first.
    assert [e.experiment_id for e in found] == [ids[2], ids[0]]
    found = client.search_experiments(
        filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"], view_type=mlflow.entities.ViewType.ALL
    )
    assert [e.name for e in found] == [f"{prefix}-0", f"{prefix}-1", f"{prefix}-2"]
