"""Basic authentication in nginx (deploy/nginx/basic-auth.conf, included from the commented line of
nginx.conf.template): the mlflow client with MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD
works end to end; without credentials, or with wrong ones, nginx answers 401 itself.

The stack is `mlflow-fcgi up` with the template as a user would change it: the include line
uncommented, pointing at the snippet; the snippet pointing at an htpasswd file made with
`htpasswd -B`. Only those two paths differ from deploy/nginx/.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import requests

import conftest
from conftest import NGINX_TEMPLATE, Stack
from e2e_helpers import mlflow, unique

INCLUDE_LINE = "# include /etc/nginx/snippets/mlflow-basic-auth.conf;"
SNIPPET = NGINX_TEMPLATE.parent / "basic-auth.conf"
USER, PASSWORD = "alice", "correct horse battery staple"


@pytest.fixture(scope="module")
def auth_stack(tmp_path_factory):
    htpasswd_tool = shutil.which("htpasswd")
    if htpasswd_tool is None:
        pytest.fail("htpasswd (apache2-utils) is missing: run scripts/install-deps")
    folder = tmp_path_factory.mktemp("nginx-auth")
    htpasswd = folder / "mlflow.htpasswd"
    subprocess.run([htpasswd_tool, "-B", "-b", "-c", str(htpasswd), USER, PASSWORD], check=True, capture_output=True)
    snippet = folder / "mlflow-basic-auth.conf"
    snippet.write_text(SNIPPET.read_text().replace("/etc/nginx/mlflow.htpasswd", str(htpasswd)))
    template = NGINX_TEMPLATE.read_text()
    assert template.count(INCLUDE_LINE) == 1, "nginx.conf.template lost its commented basic-auth include"
    rendered = folder / "nginx-auth.conf.template"
    rendered.write_text(template.replace(INCLUDE_LINE, f"include {snippet};"))
    stack = Stack(folder, "/mlflow", nginx_template=rendered)
    conftest._stacks.append(stack)
    stack.start()
    yield stack
    conftest._stacks.remove(stack)
    stack.stop()


@pytest.fixture
def auth_uri(auth_stack, monkeypatch):
    conftest._reset_client_state()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", auth_stack.uri)
    mlflow.set_tracking_uri(auth_stack.uri)
    yield auth_stack.uri
    conftest._reset_client_state()


def test_the_client_with_credentials_works_end_to_end(auth_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", USER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    name = unique("auth")
    experiment = mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        for step in range(3):
            mlflow.log_metric("loss", 1.0 - step / 10, step=step)
        mlflow.set_tag("auth", "basic")
    got = mlflow.MlflowClient(auth_uri).get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.info.experiment_id == experiment.experiment_id
    assert got.data.params == {"lr": "0.1"}
    assert got.data.metrics == {"loss": pytest.approx(0.8)}
    assert got.data.tags["auth"] == "basic"
    assert len(mlflow.MlflowClient(auth_uri).get_metric_history(run.info.run_id, "loss")) == 3


def test_the_client_without_credentials_is_refused(auth_uri, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    with pytest.raises(Exception) as refused:
        mlflow.MlflowClient(auth_uri).create_experiment(unique("no-auth"))
    assert "401" in str(refused.value)


@pytest.mark.parametrize("auth", [None, (USER, "wrong"), ("mallory", PASSWORD)], ids=["none", "wrong-password", "unknown-user"])
def test_nginx_answers_401_itself(auth_stack, auth):
    for method, path in [("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0"),
                         ("POST", "/api/2.0/mlflow/experiments/create"),
                         ("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")]:
        r = requests.request(method, auth_stack.uri + path, json={"name": "x"} if method == "POST" else None, auth=auth, timeout=10)
        assert r.status_code == 401, (path, r.status_code, r.text[:200])
        assert r.headers.get("WWW-Authenticate", "").startswith("Basic"), r.headers
        assert "error_code" not in r.text  # nginx's page: the worker was never asked


def test_health_stays_open_for_probes(auth_stack):
    r = requests.get(auth_stack.server_root + "/health", timeout=10)
    assert (r.status_code, r.text) == (200, "OK")


def test_raw_requests_with_credentials_pass(auth_stack):
    r = requests.get(auth_stack.uri + "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}, auth=(USER, PASSWORD), timeout=10)
    assert r.status_code == 200 and r.json()["experiment"]["name"] == "Default"
