"""MLflow through Apache httpd, in every set-up of deploy/apache/ (mod_proxy_fcgi with the
systemd pool of deploy/systemd/, mod_fcgid from a virtual host, mod_fcgid from an .htaccess),
mounted at the root and under /mlflow, driven by the real mlflow client and by raw HTTP.

Apache sends other FastCGI parameters than nginx (mod_proxy_fcgi: no PATH_INFO, SCRIPT_NAME the
whole path; mod_fcgid behind a rewrite: SCRIPT_NAME the wrapper script's path): these tests show
the worker routes right under each. Any 5xx Apache answers fails the test that caused it.
"""

from __future__ import annotations

import math
import time

import pytest
import requests

import conftest
from deployments import VARIANTS, ApacheSite
from e2e_helpers import mlflow, once_only, unique

SITES = [(v, p) for v in VARIANTS for p in ("", "/mlflow")]


@pytest.fixture(scope="module", params=SITES, ids=[f"{v}-{'prefix' if p else 'root'}" for v, p in SITES])
def site(request):
    variant, prefix = request.param
    s = ApacheSite(variant, prefix).start()
    conftest._stacks.append(s.apache)  # the autouse no_server_errors check reads its access log
    yield s
    conftest._stacks.remove(s.apache)
    s.stop()


@pytest.fixture
def site_uri(site, monkeypatch):
    """The mlflow client pointed at the site."""
    conftest._reset_client_state()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", site.uri)
    mlflow.set_tracking_uri(site.uri)
    yield site.uri
    conftest._reset_client_state()


def test_typical_client_script(site, site_uri):
    name = unique(f"apache-{site.variant}")
    experiment = mlflow.set_experiment(name)
    with mlflow.start_run(run_name="through-apache") as run:
        mlflow.log_param("learning_rate", 0.01)
        mlflow.log_params({"optimizer": "adam", "epochs": 3})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"accuracy": 0.9, "f1": 0.8}, step=4)
        mlflow.set_tag("deployment", site.variant)
        mlflow.set_tags({"mount": site.prefix or "/"})
    run_id = run.info.run_id

    client = mlflow.MlflowClient(site_uri)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.info.experiment_id == experiment.experiment_id
    assert got.info.run_name == "through-apache"
    assert got.data.params == {"learning_rate": "0.01", "optimizer": "adam", "epochs": "3"}
    assert got.data.metrics == {"loss": pytest.approx(0.2), "accuracy": 0.9, "f1": 0.8}
    assert got.data.tags["deployment"] == site.variant
    assert got.data.tags["mount"] == (site.prefix or "/")
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [
        (s, pytest.approx(1.0 / (s + 1))) for s in range(5)]
    assert client.get_experiment_by_name(name).experiment_id == experiment.experiment_id


def test_nan_and_a_search_round_trip(site, site_uri):
    client = mlflow.MlflowClient(site_uri)
    exp_id = client.create_experiment(unique("apache-search"))
    run_id = client.create_run(exp_id, tags={"kind": "nan"}).info.run_id
    client.log_metric(run_id, "m", math.nan, step=1)
    client.set_terminated(run_id)
    assert math.isnan(client.get_run(run_id).data.metrics["m"])
    found = client.search_runs([exp_id], filter_string="tags.kind = 'nan'")
    assert [r.info.run_id for r in found] == [run_id]


def test_artifacts_round_trip(site, site_uri, tmp_path):
    """log_artifact / download_artifacts through the mlflow-artifacts proxy endpoints: the worker
    stores the upload and sends the bytes of the download itself (no X-Sendfile here)."""
    mlflow.set_experiment(unique("apache-artifacts"))
    source = tmp_path / "notes.txt"
    source.write_text("through apache\n" * 1000)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(source), artifact_path="docs")
    client = mlflow.MlflowClient(site_uri)
    assert [f.path for f in client.list_artifacts(run.info.run_id, "docs")] == ["docs/notes.txt"]
    target = tmp_path / "back"
    target.mkdir()
    local = client.download_artifacts(run.info.run_id, "docs/notes.txt", str(target))
    assert open(local).read() == source.read_text()


@once_only
def test_routes_under_apache(site):
    """The FastCGI parameters Apache sends route to the right RPC: both API roots, query strings,
    bodies, unknown paths answered by the worker (JSON), nothing outside the mount point."""
    base = site.uri
    s = requests.Session()
    r = s.get(base + "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}, timeout=10)
    assert r.status_code == 200 and r.json()["experiment"]["name"] == "Default", r.text
    r = s.get(base + "/ajax-api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "Default"}, timeout=10)
    assert r.status_code == 200, r.text
    # A query value with reserved characters arrives decoded once.
    name = unique("a/b c&d")
    created = s.post(base + "/api/2.0/mlflow/experiments/create", json={"name": name}, timeout=10)
    assert created.status_code == 200, created.text
    r = s.get(base + "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": name}, timeout=10)
    assert r.status_code == 200 and r.json()["experiment"]["experiment_id"] == created.json()["experiment_id"], r.text
    # The worker, not Apache, answers an unknown path under the mount point: MLflow JSON.
    r = s.get(base + "/api/2.0/mlflow/no/such/rpc", timeout=10)
    assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND", r.text
    r = s.put(base + "/api/2.0/mlflow/experiments/get", timeout=10)
    assert r.status_code == 405 and r.json()["error_code"], r.text
    r = s.get(base + "/health", timeout=10)
    assert (r.status_code, r.text) == (200, "OK")
    if site.prefix:
        # Outside the mount point Apache answers by itself; the worker is never asked.
        r = s.get(site.apache.server_root + "/api/2.0/mlflow/experiments/get?experiment_id=0", timeout=10)
        assert r.status_code == 404 and "error_code" not in r.text


@once_only
def test_encoded_slash_reaches_the_worker(site):
    """AllowEncodedSlashes NoDecode: a "%2F" in the path is the worker's business, not a 404 page
    from Apache. (A server-wide setting: on shared hosting it is the host's default.)"""
    if site.variant == "fcgid-htaccess":
        pytest.skip("AllowEncodedSlashes cannot be set from an .htaccess; the host's default applies")
    r = requests.get(site.uri + "/api/2.0/mlflow/runs%2Fget?run_id=x", timeout=10)
    # The worker decodes the path as MLflow's server does (runs/get): its JSON answer, not
    # Apache's HTML 404.
    assert r.headers.get("Content-Type", "").startswith("application/json"), (r.status_code, r.text[:200])
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST", r.text


@once_only
def test_a_large_log_batch_is_accepted(site):
    """A 1000-metric log-batch body (~190 kB) is above mod_fcgid's default FcgidMaxRequestLen
    (128 KiB), which the virtual host raises. An .htaccess cannot raise it (server-wide)."""
    if site.variant == "fcgid-htaccess":
        pytest.skip("FcgidMaxRequestLen is a server/virtual-host setting; a shared host keeps its own")
    s = requests.Session()
    api = site.uri + "/api/2.0/mlflow/"
    exp = s.post(api + "experiments/create", json={"name": unique("big-batch")}, timeout=10).json()["experiment_id"]
    run_id = s.post(api + "runs/create", json={"experiment_id": exp}, timeout=10).json()["run"]["info"]["run_id"]
    now = int(time.time() * 1000)
    long_name = "a-rather-long-metric-name/" + "x" * 80
    metrics = [{"key": f"{long_name}-{i % 50:03d}", "value": i * 0.25, "timestamp": now, "step": i} for i in range(1000)]
    body = {"run_id": run_id, "metrics": metrics}
    r = s.post(api + "runs/log-batch", json=body, timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert len(r.request.body) > 131072
    history = s.get(api + "metrics/get-history", params={"run_id": run_id, "metric_key": f"{long_name}-007"}, timeout=10)
    assert len(history.json()["metrics"]) == 20
