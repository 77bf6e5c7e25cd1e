"""Models: MLflow 3 logged models (contract §12) with the 3.x client and raw REST, runs/outputs,
and the 2.x client's legacy log_model (model files under the run, runs/log-model, §16)."""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest
import requests

from e2e_helpers import Api, error_of, mlflow, mlflow_major, requires_mlflow3, unique

JSON = {"Content-Type": "application/json"}
MODEL_ID = re.compile(r"m-[0-9a-f]{32}")

requires_mlflow2 = pytest.mark.skipif(
    mlflow_major() >= 3,
    reason="the 3.x client logs models as logged models (tested above); this is the 2.x client's legacy path",
)


class AddN(mlflow.pyfunc.PythonModel):
    """A tiny pyfunc model: adds n to every column."""

    def __init__(self, n: int):
        self.n = n

    def predict(self, context, model_input, params=None):
        return model_input + self.n


# No requirement inference (it would import the model in a subprocess: slow, and beside the point).
REQUIREMENTS = ["mlflow-skinny"]
FRAME = pd.DataFrame({"x": [1, 2, 3]})


def assert_error(r: requests.Response, status: int, code: str) -> dict:
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:300]}"
    body = error_of(r)
    assert body["error_code"] == code, body
    return body


def new_experiment_and_run(api: Api) -> tuple[str, str]:
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("lm")})["experiment_id"]
    run = api.ok("POST", "runs/create", json={"experiment_id": exp_id, "start_time": int(time.time() * 1000)})["run"]
    return exp_id, run["info"]["run_id"]


# ------------------------------------------------------------------ 3.x client


@requires_mlflow3
def test_pyfunc_log_model_and_load_back(any_tracking_uri, request):
    stack = request.getfixturevalue("prefixed_stack" if any_tracking_uri.endswith("/mlflow") else "root_stack")
    client = mlflow.MlflowClient()
    exp = mlflow.set_experiment(unique("lm-pyfunc"))
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=AddN(5), pip_requirements=REQUIREMENTS)
    run_id = run.info.run_id
    model_id = info.model_id
    assert MODEL_ID.fullmatch(model_id), model_id
    assert info.model_uri == f"models:/{model_id}"

    model = client.get_logged_model(model_id)
    assert model.name == "model"
    assert model.experiment_id == exp.experiment_id
    assert model.source_run_id == run_id
    assert model.status == mlflow.entities.LoggedModelStatus.READY
    assert model.artifact_location == f"mlflow-artifacts:/{exp.experiment_id}/models/{model_id}/artifacts"

    # The files are under the model's own folder of the artifacts root.
    folder = stack.data / "artifacts" / exp.experiment_id / "models" / model_id / "artifacts"
    assert {"MLmodel", "python_model.pkl"} <= {p.name for p in folder.iterdir()}
    assert {"MLmodel", "python_model.pkl"} <= {f.path for f in client.list_logged_model_artifacts(model_id)}

    # The run records the model as an output.
    outputs = client.get_run(run_id).outputs
    assert [(o.model_id, o.step) for o in outputs.model_outputs] == [(model_id, 0)]

    expected = FRAME + 5
    pd.testing.assert_frame_equal(mlflow.pyfunc.load_model(info.model_uri).predict(FRAME), expected)
    pd.testing.assert_frame_equal(mlflow.pyfunc.load_model(f"runs:/{run_id}/model").predict(FRAME), expected)
    pd.testing.assert_frame_equal(mlflow.pyfunc.load_model(f"models:/{model_id}").predict(FRAME), expected)

    found = client.search_logged_models([exp.experiment_id], filter_string="name = 'model'")
    assert [m.model_id for m in found] == [model_id]
    assert mlflow.last_logged_model().model_id == model_id


@requires_mlflow3
def test_logged_model_lifecycle_with_the_client(tracking_uri):
    client = mlflow.MlflowClient()
    exp_id = client.create_experiment(unique("lm-client"))
    run_id = client.create_run(exp_id).info.run_id
    name = unique("net")
    model = client.create_logged_model(
        exp_id, name=name, source_run_id=run_id, tags={"team": "a", "stage": "dev"}, params={"lr": "0.1"}, model_type="agent")
    model_id = model.model_id
    assert MODEL_ID.fullmatch(model_id)
    assert model.status == mlflow.entities.LoggedModelStatus.PENDING
    assert model.tags == {"team": "a", "stage": "dev"}
    assert model.params == {"lr": "0.1"}
    assert model.model_type == "agent"
    other = client.create_logged_model(exp_id, name=unique("other"), tags={"team": "b"})

    client.log_model_params(model_id, {"epochs": "3"})
    client.set_logged_model_tags(model_id, {"stage": "prod", "owner": "me"})
    # (MlflowClient.delete_logged_model_tag: see test_client_deletes_a_logged_model_tag.)
    Api(tracking_uri).ok("DELETE", f"logged-models/{model_id}/tags/team", json={})
    got = client.get_logged_model(model_id)
    assert got.tags == {"stage": "prod", "owner": "me"}
    assert got.params == {"lr": "0.1", "epochs": "3"}
    assert got.last_updated_timestamp >= got.creation_timestamp

    finalized = client.finalize_logged_model(model_id, mlflow.entities.LoggedModelStatus.READY)
    assert finalized.status == mlflow.entities.LoggedModelStatus.READY
    assert client.get_logged_model(model_id).status == mlflow.entities.LoggedModelStatus.READY
    failed = client.finalize_logged_model(other.model_id, "FAILED")
    assert failed.status == mlflow.entities.LoggedModelStatus.FAILED

    def ids(filter_string=None):
        return sorted(m.model_id for m in client.search_logged_models([exp_id], filter_string=filter_string))

    assert ids() == sorted([model_id, other.model_id])
    assert ids(f"name = '{name}'") == [model_id]
    assert ids("tags.stage = 'prod'") == [model_id]
    assert ids("tags.team = 'b'") == [other.model_id]
    assert ids("params.epochs = '3'") == [model_id]
    assert ids("name LIKE 'other-%'") == [other.model_id]
    assert ids(f"source_run_id = '{run_id}'") == [model_id]
    assert ids("tags.nothing = 'x'") == []
    fluent = mlflow.search_logged_models(experiment_ids=[exp_id], filter_string="tags.owner = 'me'", output_format="list")
    assert [m.model_id for m in fluent] == [model_id]

    client.delete_logged_model(other.model_id)
    assert ids() == [model_id]
    with pytest.raises(mlflow.exceptions.MlflowException) as e:
        client.get_logged_model("m-" + "0" * 32)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@requires_mlflow3
def test_client_deletes_a_logged_model_tag(tracking_uri):
    """The 3.x client sends DELETE logged-models/{id}/tags/{key} with no body and no Content-Type;
    MLflow checks the Content-Type of POST and PUT only (mlflow/server/validation.py)."""
    client = mlflow.MlflowClient()
    exp_id = client.create_experiment(unique("lm-deltag"))
    model_id = client.create_logged_model(exp_id, name="tagged", tags={"a": "1", "b": "2"}).model_id
    client.delete_logged_model_tag(model_id, "a")
    assert client.get_logged_model(model_id).tags == {"b": "2"}
    with pytest.raises(mlflow.exceptions.MlflowException) as e:
        client.delete_logged_model_tag(model_id, "no-such-tag")
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_bodiless_delete_and_patch_need_no_content_type(tracking_uri):
    api = Api(tracking_uri)
    exp_id, _ = new_experiment_and_run(api)
    model_id = api.ok("POST", "logged-models", json={"experiment_id": exp_id, "tags": [{"key": "a", "value": "1"}]})["model"]["info"]["model_id"]
    assert api.ok("DELETE", f"logged-models/{model_id}/tags/a") == {}
    got = api.ok("PATCH", f"logged-models/{model_id}", data=json.dumps({"status": "LOGGED_MODEL_READY"}))["model"]
    assert got["info"]["status"] == "LOGGED_MODEL_READY"
    assert api.ok("DELETE", f"logged-models/{model_id}") == {}


# ------------------------------------------------------------------ REST (any client)


def test_logged_models_rest(any_tracking_uri):
    api = Api(any_tracking_uri)
    exp_id, run_id = new_experiment_and_run(api)
    body = {
        "experiment_id": exp_id, "name": "rest-model", "model_type": "agent", "source_run_id": run_id,
        "params": [{"key": "p", "value": "1"}], "tags": [{"key": "t", "value": "v"}],
    }
    before = int(time.time() * 1000)
    model = api.ok("POST", "logged-models", json=body)["model"]
    info = model["info"]
    model_id = info["model_id"]
    assert MODEL_ID.fullmatch(model_id)
    assert info["experiment_id"] == exp_id and info["name"] == "rest-model" and info["model_type"] == "agent"
    assert info["source_run_id"] == run_id
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/models/{model_id}/artifacts"
    assert before - 5000 <= int(info["creation_timestamp_ms"]) <= int(time.time() * 1000) + 5000
    assert info["tags"] == [{"key": "t", "value": "v"}]
    assert model["data"]["params"] == [{"key": "p", "value": "1"}]

    assert api.ok("GET", f"logged-models/{model_id}")["model"] == model
    assert api.ok("GET", f"/ajax-api/2.0/mlflow/logged-models/{model_id}")["model"] == model

    got = api.ok("PATCH", f"logged-models/{model_id}", json={"model_id": model_id, "status": "LOGGED_MODEL_READY"})["model"]
    assert got["info"]["status"] == "LOGGED_MODEL_READY"
    got = api.ok("PATCH", f"logged-models/{model_id}/tags", json={"tags": [{"key": "t2", "value": "v2"}]})["model"]
    assert sorted((t["key"], t["value"]) for t in got["info"]["tags"]) == [("t", "v"), ("t2", "v2")]
    assert api.ok("DELETE", f"logged-models/{model_id}/tags/t", json={}) == {}
    assert api.ok("POST", f"logged-models/{model_id}/params", json={"params": [{"key": "q", "value": "2"}]}) == {}
    got = api.ok("GET", f"logged-models/{model_id}")["model"]
    assert got["info"]["tags"] == [{"key": "t2", "value": "v2"}]
    assert sorted((p["key"], p["value"]) for p in got["data"]["params"]) == [("p", "1"), ("q", "2")]

    def search(**fields):
        return api.ok("POST", "logged-models/search", json={"experiment_ids": [exp_id], **fields})

    assert [m["info"]["model_id"] for m in search()["models"]] == [model_id]
    assert [m["info"]["model_id"] for m in search(filter="name = 'rest-model'")["models"]] == [model_id]
    assert [m["info"]["model_id"] for m in search(filter="tags.t2 = 'v2'")["models"]] == [model_id]
    assert [m["info"]["model_id"] for m in search(filter="status = 'LOGGED_MODEL_READY'")["models"]] == [model_id]
    assert search(filter="name = 'nothing'").get("models", []) == []

    # runs/outputs links the model to the run; runs/get shows it.
    assert api.ok("POST", "runs/outputs", json={"run_id": run_id, "models": [{"model_id": model_id, "step": 3}]}) == {}
    run = api.ok("GET", "runs/get", params={"run_id": run_id})["run"]
    assert run["outputs"]["model_outputs"] == [{"model_id": model_id, "step": 3}]

    assert api.ok("DELETE", f"logged-models/{model_id}", json={}) == {}
    assert search().get("models", []) == []


def test_unknown_logged_model_is_404(any_tracking_uri):
    api = Api(any_tracking_uri)
    missing = "m-" + "0" * 32
    assert_error(api.get(f"logged-models/{missing}"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.request("PATCH", f"logged-models/{missing}", json={"status": "LOGGED_MODEL_READY"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.request("PATCH", f"logged-models/{missing}/tags", json={"tags": [{"key": "a", "value": "b"}]}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.request("DELETE", f"logged-models/{missing}/tags/a", json={}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post(f"logged-models/{missing}/params", {"params": [{"key": "a", "value": "b"}]}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.request("DELETE", f"logged-models/{missing}", json={}), 404, "RESOURCE_DOES_NOT_EXIST")
    exp_id, run_id = new_experiment_and_run(api)
    assert_error(api.post("runs/outputs", {"run_id": run_id, "models": [{"model_id": missing, "step": 0}]}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_logged_model_bad_requests(tracking_uri):
    api = Api(tracking_uri)
    exp_id, run_id = new_experiment_and_run(api)
    assert_error(api.post("logged-models", {"name": "x"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("logged-models", {"experiment_id": "987654321", "name": "x"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post("logged-models", {"experiment_id": exp_id, "source_run_id": "f" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")
    # No name: the server makes one up, as MLflow does.
    model = api.ok("POST", "logged-models", json={"experiment_id": exp_id})["model"]
    assert model["info"]["name"]
    model_id = model["info"]["model_id"]
    assert_error(api.request("PATCH", f"logged-models/{model_id}", json={}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.request("PATCH", f"logged-models/{model_id}", json={"status": "BOGUS"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("logged-models/search", {"experiment_ids": [exp_id], "filter": "name =="}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("logged-models/search", {"experiment_ids": [exp_id], "filter": "nonsense.x = 'a'"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.request("DELETE", f"logged-models/{model_id}/tags/none", json={}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_deleted_logged_model_is_not_found(tracking_uri):
    """MLflow's get_logged_model skips deleted models unless ?allow_deleted=true (handlers.py)."""
    api = Api(tracking_uri)
    exp_id, _ = new_experiment_and_run(api)
    model_id = api.ok("POST", "logged-models", json={"experiment_id": exp_id, "name": "gone"})["model"]["info"]["model_id"]
    api.ok("DELETE", f"logged-models/{model_id}", json={})
    assert api.ok("GET", f"logged-models/{model_id}", params={"allow_deleted": "true"})["model"]["info"]["model_id"] == model_id
    assert_error(api.get(f"logged-models/{model_id}"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_invalid_logged_model_name_is_refused(tracking_uri):
    """MLflow's create_logged_model validates the name (utils/validation.py _validate_logged_model_name)."""
    api = Api(tracking_uri)
    exp_id, _ = new_experiment_and_run(api)
    for bad in ["a/b", "a.b", "a:b", "50%", "it's"]:
        assert_error(api.post("logged-models", {"experiment_id": exp_id, "name": bad}), 400, "INVALID_PARAMETER_VALUE")


# ------------------------------------------------------------------ legacy log-model


@requires_mlflow2
def test_legacy_pyfunc_log_model_writes_under_the_run(any_tracking_uri, request):
    stack = request.getfixturevalue("prefixed_stack" if any_tracking_uri.endswith("/mlflow") else "root_stack")
    client = mlflow.MlflowClient()
    exp = mlflow.set_experiment(unique("lm-legacy"))
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model("model", python_model=AddN(2), pip_requirements=REQUIREMENTS)
    run_id = run.info.run_id
    assert info.model_uri == f"runs:/{run_id}/model"

    folder = stack.data / "artifacts" / exp.experiment_id / run_id / "artifacts" / "model"
    assert {"MLmodel", "python_model.pkl"} <= {p.name for p in folder.iterdir()}
    listed = {f.path for f in client.list_artifacts(run_id, "model")}
    assert {"model/MLmodel", "model/python_model.pkl"} <= listed

    pd.testing.assert_frame_equal(mlflow.pyfunc.load_model(f"runs:/{run_id}/model").predict(FRAME), FRAME + 2)

    history = json.loads(client.get_run(run_id).data.tags["mlflow.log-model.history"])
    assert isinstance(history, list) and len(history) == 1
    assert history[0]["run_id"] == run_id
    assert history[0]["artifact_path"] == "model"
    assert "python_function" in history[0]["flavors"]


def test_runs_log_model_rest(tracking_uri):
    api = Api(tracking_uri)
    _, run_id = new_experiment_and_run(api)

    def model_json(path: str) -> str:
        return json.dumps({"run_id": run_id, "artifact_path": path, "utc_time_created": "2024-01-01 00:00:00.000000",
                           "flavors": {"python_function": {"loader_module": "mlflow.pyfunc.model"}}})

    for bad in ["not json", "[1, 2]", "{", json.dumps({"artifact_path": "m"}), "null"]:
        r = api.post("runs/log-model", {"run_id": run_id, "model_json": bad})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("runs/log-model", {"run_id": run_id}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("runs/log-model", {"run_id": run_id, "model_json": {"a": 1}}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("runs/log-model", {"run_id": "f" * 32, "model_json": model_json("m")}), 404, "RESOURCE_DOES_NOT_EXIST")
    tags = api.ok("GET", "runs/get", params={"run_id": run_id})["run"]["data"].get("tags", [])
    assert "mlflow.log-model.history" not in {t["key"] for t in tags}

    assert api.ok("POST", "runs/log-model", json={"run_id": run_id, "model_json": model_json("first")}) == {}
    assert api.ok("POST", "runs/log-model", json={"run_id": run_id, "model_json": model_json("second")}) == {}
    tags = {t["key"]: t["value"] for t in api.ok("GET", "runs/get", params={"run_id": run_id})["run"]["data"]["tags"]}
    history = json.loads(tags["mlflow.log-model.history"])
    assert [m["artifact_path"] for m in history] == ["first", "second"]
    assert all(m["run_id"] == run_id for m in history)
