"""Experiments and runs: soft delete / restore, renames, tags, dataset inputs (contract §6.2, §7, §8)."""

import pytest

from e2e_helpers import mlflow, requires_mlflow3, unique
from mlflow.entities import Dataset, DatasetInput, InputTag, ViewType
from mlflow.exceptions import MlflowException


def error_code(excinfo) -> str:
    return excinfo.value.error_code


# ------------------------------------------------------------------ experiments


def test_get_experiment_by_name_of_missing_is_none(client):
    assert client.get_experiment_by_name(unique("missing")) is None
    assert mlflow.get_experiment_by_name(unique("missing")) is None


def test_default_experiment_exists(client):
    exp = client.get_experiment("0")
    assert exp.experiment_id == "0"
    assert exp.name == "Default"


def test_create_and_get_experiment(client):
    name = unique("exp")
    exp_id = client.create_experiment(name, tags={"owner": "me"})
    exp = client.get_experiment(exp_id)
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"owner": "me"}
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert exp.creation_time > 0
    assert client.get_experiment_by_name(name).experiment_id == exp_id


def test_create_duplicate_experiment_fails(client):
    name = unique("dup")
    client.create_experiment(name)
    with pytest.raises(MlflowException) as e:
        client.create_experiment(name)
    assert error_code(e) == "RESOURCE_ALREADY_EXISTS"


def test_rename_experiment(client, experiment_id):
    old = client.get_experiment(experiment_id)
    new_name = unique("renamed")
    client.rename_experiment(experiment_id, new_name)
    exp = client.get_experiment(experiment_id)
    assert exp.name == new_name
    assert exp.last_update_time >= old.last_update_time
    assert client.get_experiment_by_name(new_name).experiment_id == experiment_id
    assert client.get_experiment_by_name(old.name) is None


def test_experiment_tags(client, experiment_id):
    client.set_experiment_tag(experiment_id, "k", "v1")
    client.set_experiment_tag(experiment_id, "other", "x")
    client.set_experiment_tag(experiment_id, "k", "v2")  # overwrite
    assert client.get_experiment(experiment_id).tags == {"k": "v2", "other": "x"}


@requires_mlflow3
def test_delete_experiment_tag(client, experiment_id):
    client.set_experiment_tag(experiment_id, "k", "v")
    client.set_experiment_tag(experiment_id, "keep", "me")
    client.delete_experiment_tag(experiment_id, "k")
    assert client.get_experiment(experiment_id).tags == {"keep": "me"}


def test_delete_experiment_cascades_to_runs_and_restore_restores_them(client, experiment_id):
    runs = [client.create_run(experiment_id).info.run_id for _ in range(2)]
    client.delete_experiment(experiment_id)

    exp = client.get_experiment(experiment_id)  # still readable
    assert exp.lifecycle_stage == "deleted"
    assert client.get_experiment_by_name(exp.name).lifecycle_stage == "deleted"
    for r in runs:
        assert client.get_run(r).info.lifecycle_stage == "deleted"
    assert client.search_runs([experiment_id]) == []
    deleted = client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert sorted(r.info.run_id for r in deleted) == sorted(runs)

    # Not in the active experiment list, but in the deleted one.
    active_ids = {e.experiment_id for e in client.search_experiments()}
    deleted_ids = {e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)}
    assert experiment_id not in active_ids
    assert experiment_id in deleted_ids

    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"
    for r in runs:
        assert client.get_run(r).info.lifecycle_stage == "active"
    assert sorted(r.info.run_id for r in client.search_runs([experiment_id])) == sorted(runs)


def test_deleted_experiment_refuses_new_runs_and_its_name(client, experiment_id):
    name = client.get_experiment(experiment_id).name
    client.delete_experiment(experiment_id)
    with pytest.raises(MlflowException) as e:
        client.create_run(experiment_id)
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as e:
        client.create_experiment(name)
    assert error_code(e) == "RESOURCE_ALREADY_EXISTS"


def test_delete_or_restore_in_the_wrong_state_is_404(client, experiment_id):
    with pytest.raises(MlflowException) as e:
        client.restore_experiment(experiment_id)  # not deleted
    assert e.value.get_http_status_code() == 404
    client.delete_experiment(experiment_id)
    with pytest.raises(MlflowException) as e:
        client.delete_experiment(experiment_id)  # not active
    assert e.value.get_http_status_code() == 404


def test_unknown_experiment_and_run_are_resource_does_not_exist(client):
    with pytest.raises(MlflowException) as e:
        client.get_experiment("987654321")
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as e:
        client.get_run("f" * 32)
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


# ------------------------------------------------------------------ runs


def test_delete_and_restore_run(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    other = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.delete_run(run_id)  # deleting twice is fine
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [other]
    all_runs = client.search_runs([experiment_id], run_view_type=ViewType.ALL)
    assert sorted(r.info.run_id for r in all_runs) == sorted([run_id, other])

    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert sorted(r.info.run_id for r in client.search_runs([experiment_id])) == sorted([run_id, other])


@pytest.mark.parametrize(
    "write",
    [
        lambda c, r: c.log_metric(r, "m", 1.0),
        lambda c, r: c.log_param(r, "p", "v"),
        lambda c, r: c.set_tag(r, "t", "v"),
        lambda c, r: c.log_batch(r, params=[mlflow.entities.Param("p", "v")]),
        lambda c, r: c.update_run(r, status="FINISHED"),
    ],
    ids=["log_metric", "log_param", "set_tag", "log_batch", "update_run"],
)
def test_writing_to_a_deleted_run_fails(client, run_id, write):
    client.set_tag(run_id, "existing", "x")
    client.delete_run(run_id)
    with pytest.raises(MlflowException) as e:
        write(client, run_id)
    assert error_code(e) == "INVALID_PARAMETER_VALUE"
    assert e.value.get_http_status_code() == 400


def test_delete_run_tag(client, run_id):
    client.set_tag(run_id, "a", "1")
    client.set_tag(run_id, "b", "2")
    client.set_tag(run_id, "a", "3")  # overwrite
    client.delete_tag(run_id, "b")
    tags = client.get_run(run_id).data.tags
    assert tags["a"] == "3"
    assert "b" not in tags
    with pytest.raises(MlflowException) as e:
        client.delete_tag(run_id, "b")  # no longer there
    assert error_code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_rename_run_via_update(client, run_id):
    client.update_run(run_id, name="new-name")
    got = client.get_run(run_id)
    assert got.info.run_name == "new-name"
    assert got.data.tags["mlflow.runName"] == "new-name"
    assert got.info.status == "RUNNING"  # only the given fields change


def test_rename_run_via_tag(client, run_id):
    client.set_tag(run_id, "mlflow.runName", "renamed-by-tag")
    got = client.get_run(run_id)
    assert got.info.run_name == "renamed-by-tag"
    assert got.data.tags["mlflow.runName"] == "renamed-by-tag"


def test_rename_run_via_batch_tag(client, run_id):
    client.log_batch(run_id, tags=[mlflow.entities.RunTag("mlflow.runName", "renamed-in-batch")])
    assert client.get_run(run_id).info.run_name == "renamed-in-batch"


def test_update_run_status_and_end_time(client, run_id):
    client.update_run(run_id, status="KILLED")
    got = client.get_run(run_id)
    assert got.info.status == "KILLED"
    client.set_terminated(run_id, "FINISHED", end_time=1_800_000_000_000)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.info.end_time == 1_800_000_000_000


# ------------------------------------------------------------------ dataset inputs


def _dataset(name: str, digest: str) -> Dataset:
    return Dataset(
        name=name,
        digest=digest,
        source_type="local",
        source='{"uri": "file:///data/train.csv"}',
        schema='{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
        profile='{"num_rows": 3}',
    )


def test_log_inputs_dataset(client, run_id):
    ds = _dataset("train-set", "abc123")
    client.log_inputs(
        run_id, datasets=[DatasetInput(ds, tags=[InputTag("mlflow.data.context", "training")])]
    )
    inputs = client.get_run(run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    got = inputs[0].dataset
    assert (got.name, got.digest, got.source_type, got.source) == (
        ds.name,
        ds.digest,
        ds.source_type,
        ds.source,
    )
    assert got.schema == ds.schema
    assert got.profile == ds.profile
    assert {t.key: t.value for t in inputs[0].tags} == {"mlflow.data.context": "training"}

    # Logging the same (name, digest) again does not duplicate it; another dataset is added.
    client.log_inputs(
        run_id, datasets=[DatasetInput(ds, tags=[InputTag("mlflow.data.context", "training")])]
    )
    client.log_inputs(run_id, datasets=[DatasetInput(_dataset("eval-set", "def456"), tags=[])])
    names = sorted(d.dataset.name for d in client.get_run(run_id).inputs.dataset_inputs)
    assert names == ["eval-set", "train-set"]


def test_set_experiment_of_a_deleted_experiment_raises(tracking_uri):
    client = mlflow.MlflowClient()
    name = unique("gone")
    client.delete_experiment(client.create_experiment(name))
    # The client sees lifecycle_stage "deleted" in get-by-name and refuses (client-side error).
    with pytest.raises(MlflowException):
        mlflow.set_experiment(name)


def test_given_artifact_location_is_kept(client):
    exp_id = client.create_experiment(unique("loc"), artifact_location="s3://bucket/some/path")
    assert client.get_experiment(exp_id).artifact_location == "s3://bucket/some/path"
    run = client.create_run(exp_id)
    assert run.info.artifact_uri == f"s3://bucket/some/path/{run.info.run_id}/artifacts"
