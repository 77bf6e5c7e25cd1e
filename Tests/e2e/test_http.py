"""Raw HTTP behaviour with `requests`: errors, encodings, service endpoints (contract §1, §2, §14).

Every request made through `api` is also checked to be answered below 500."""

import json
import re
import time

import pytest
import requests

from e2e_helpers import Api, error_of, unique

JSON = {"Content-Type": "application/json"}


def now_ms() -> int:
    return int(time.time() * 1000)


def assert_error(r: requests.Response, status: int, code: str, *message_parts: str) -> dict:
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:300]}"
    body = error_of(r)
    assert body["error_code"] == code, body
    for part in message_parts:
        assert part in body["message"], body
    return body


def new_run(api: Api) -> str:
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("http")})["experiment_id"]
    run = api.ok("POST", "runs/create", json={"experiment_id": exp_id, "start_time": now_ms()})["run"]
    return run["info"]["run_id"]


# ------------------------------------------------------------------ service endpoints


def test_health(api):
    r = api.get("/health")
    assert r.status_code == 200
    assert r.text.strip() == "OK"


def test_version(api):
    r = api.get("/version")
    assert r.status_code == 200
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", r.text.strip()), r.text


def test_server_info_reports_no_optional_capabilities(api):
    r = api.get("/api/3.0/mlflow/server-info")
    assert r.status_code == 200
    info = r.json()
    assert isinstance(info, dict)
    for key in ("multipart_uploads_enabled", "multipart_downloads_enabled", "artifacts_presigned_only"):
        assert info.get(key, False) is False, (key, info)
    assert all(v is False for v in info.values() if isinstance(v, bool)), info


def test_ajax_api_serves_the_same_rpcs(api):
    body = api.ok("GET", "/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert body["experiment"]["experiment_id"] == "0"
    assert body["experiment"]["name"] == "Default"
    assert body == api.ok("GET", "experiments/get", params={"experiment_id": "0"})


def test_default_experiment_shape(api):
    exp = api.ok("GET", "experiments/get", params={"experiment_id": "0"})["experiment"]
    assert exp["experiment_id"] == "0"
    assert exp["name"] == "Default"
    assert exp["lifecycle_stage"] in ("active", "deleted")
    assert isinstance(exp["creation_time"], int)
    assert isinstance(exp["last_update_time"], int)
    assert exp["artifact_location"] == "mlflow-artifacts:/0"


# ------------------------------------------------------------------ request decoding errors


def test_invalid_json_body_is_400(api):
    r = api.post("experiments/create", data=b"{not json", headers=JSON)
    assert r.status_code == 400, r.text
    assert error_of(r)["error_code"] in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST", "MALFORMED_REQUEST")


def test_wrong_json_type_for_string_field_is_400(api):
    # experiment_id is a string field: a JSON number is a parse error on the real server.
    assert_error(api.post("runs/create", {"experiment_id": 1}), 400, "INVALID_PARAMETER_VALUE")
    run_id = new_run(api)
    r = api.post("runs/log-parameter", {"run_id": run_id, "key": "k", "value": 5})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("experiments/create", {"name": 42}), 400, "INVALID_PARAMETER_VALUE")


def test_missing_required_field_is_400(api):
    assert_error(
        api.post("experiments/create", {}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'name'",
    )
    run_id = new_run(api)
    assert_error(
        api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'timestamp'",
    )
    assert_error(
        api.post("runs/log-parameter", {"run_id": run_id, "value": "v"}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'key'",
    )
    assert_error(
        api.get("experiments/get-by-name"),
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'experiment_name'",
    )


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_content_type_is_400(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = api.post("experiments/create", data=b'{"name": "ct-test"}', headers=headers)
    if content_type is None:
        # requests sends no Content-Type for raw bytes.
        assert "Content-Type" not in r.request.headers
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Content-Type")


def test_json_content_type_with_charset_is_accepted(api):
    name = unique("charset")
    r = api.post(
        "experiments/create",
        data=f'{{"name": "{name}"}}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    assert re.fullmatch(r"\d+", r.json()["experiment_id"])


def test_unknown_fields_are_ignored_and_null_is_absent(api):
    name = unique("extra")
    r = api.post("experiments/create", {"name": name, "no_such_field": [1, 2], "artifact_location": None})
    assert r.status_code == 200, r.text


def test_camel_case_alias_and_both_spellings(api):
    run_id = new_run(api)
    r = api.post("runs/set-tag", {"runId": run_id, "key": "k", "value": "v"})
    assert r.status_code == 200, r.text
    r = api.post("runs/set-tag", {"run_id": run_id, "runId": run_id, "key": "k", "value": "v"})
    assert r.status_code == 400, r.text
    body = error_of(r)
    assert "run_id" in body["message"] and "runId" in body["message"], body


def test_int64_and_double_accept_numeric_strings(api):
    run_id = new_run(api)
    body = {"run_id": run_id, "key": "m", "value": "2.5", "timestamp": "1700000000000", "step": "3"}
    assert api.post("runs/log-metric", body).status_code == 200
    nan = {"run_id": run_id, "key": "n", "value": "NaN", "timestamp": 1700000000001, "step": 0}
    assert api.post("runs/log-metric", nan).status_code == 200
    metrics = {m["key"]: m for m in api.ok("GET", "runs/get", params={"run_id": run_id})["run"]["data"]["metrics"]}
    assert metrics["m"]["value"] == 2.5
    assert metrics["m"]["timestamp"] == 1700000000000  # int64 emitted as a JSON number
    assert metrics["m"]["step"] == 3
    assert metrics["n"]["value"] == "NaN"


def test_non_numeric_metric_value_is_400(api):
    run_id = new_run(api)
    r = api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": "abc", "timestamp": now_ms()})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_negative_timestamp_is_400(api):
    run_id = new_run(api)
    r = api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": -1})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


# ------------------------------------------------------------------ lookups that fail


def test_unknown_run_is_404(api):
    missing = "0123456789abcdef0123456789abcdef"
    assert_error(api.get("runs/get", run_id=missing), 404, "RESOURCE_DOES_NOT_EXIST", missing)
    r = api.post("runs/log-parameter", {"run_id": missing, "key": "k", "value": "v"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = api.post("runs/update", {"run_id": missing, "status": "FINISHED"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_unknown_experiment_is_404(api):
    assert_error(api.get("experiments/get", experiment_id="987654321"), 404, "RESOURCE_DOES_NOT_EXIST")
    r = api.post("runs/create", {"experiment_id": "987654321"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(
        api.get("experiments/get-by-name", experiment_name=unique("nope")), 404, "RESOURCE_DOES_NOT_EXIST"
    )


def test_non_integer_experiment_id_is_400(api):
    assert_error(api.get("experiments/get", experiment_id="abc"), 400, "INVALID_PARAMETER_VALUE", "abc")
    assert_error(api.post("runs/search", {"experiment_ids": ["abc"]}), 400, "INVALID_PARAMETER_VALUE")


def test_unknown_path_is_404_endpoint_not_found(api):
    for path in (
        "/api/2.0/mlflow/no-such-thing",
        "/api/2.0/mlflow/runs/get-everything",
        "/api/3.0/mlflow/runs/get",  # classic RPCs do not exist under 3.0
    ):
        assert_error(api.get(path), 404, "ENDPOINT_NOT_FOUND")
    assert_error(api.post("/api/2.0/mlflow/no-such-thing", {}), 404, "ENDPOINT_NOT_FOUND")
    # Outside the API (the real server's UI paths) only the status is part of the contract.
    assert api.get("/no/such/page").status_code == 404


def test_wrong_method_is_405(api):
    assert api.get("runs/create").status_code == 405
    assert api.get("runs/search").status_code == 405  # POST only
    assert api.request("DELETE", "experiments/get", params={"experiment_id": "0"}).status_code == 405
    assert api.request("PUT", "runs/log-metric", json={}).status_code == 405


def test_experiments_search_get_and_post(api):
    name = unique("searchable")
    exp_id = api.ok("POST", "experiments/create", json={"name": name})["experiment_id"]
    flt = f"name = '{name}'"
    by_post = api.ok("POST", "experiments/search", json={"max_results": 10, "filter": flt})
    by_get = api.ok("GET", "experiments/search", params={"max_results": "10", "filter": flt})
    assert [e["experiment_id"] for e in by_post["experiments"]] == [exp_id]
    assert by_get["experiments"] == by_post["experiments"]


def test_search_without_hits_has_no_runs(api):
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("empty")})["experiment_id"]
    body = api.ok("POST", "runs/search", json={"experiment_ids": [exp_id]})
    assert body.get("runs", []) == []
    assert not body.get("next_page_token")


# ------------------------------------------------------------------ response shapes


def test_create_run_response_shape(api):
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("shape")})["experiment_id"]
    assert re.fullmatch(r"\d+", exp_id)
    run = api.ok(
        "POST",
        "runs/create",
        json={"experiment_id": exp_id, "user_id": "alice", "start_time": 1700000000000,
              "tags": [{"key": "team", "value": "a"}]},
    )["run"]
    info = run["info"]
    assert re.fullmatch(r"[0-9a-f]{32}", info["run_id"])
    assert info["run_uuid"] == info["run_id"]
    assert info["experiment_id"] == exp_id
    assert info["user_id"] == "alice"
    assert info["status"] == "RUNNING"
    assert info["start_time"] == 1700000000000
    assert "end_time" not in info or info["end_time"] in (0, None)
    assert info["lifecycle_stage"] == "active"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/{info['run_id']}/artifacts"
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["team"] == "a"
    assert tags["mlflow.runName"] == info["run_name"]

    # runs/update answers with the updated RunInfo.
    updated = api.ok(
        "POST", "runs/update", json={"run_id": info["run_id"], "status": "FINISHED", "end_time": 1700000001000}
    )["run_info"]
    assert updated["status"] == "FINISHED"
    assert updated["end_time"] == 1700000001000
    assert updated["run_id"] == info["run_id"]


def test_run_name_and_tag_must_agree(api):
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("names")})["experiment_id"]
    both_same = {"experiment_id": exp_id, "run_name": "n1", "tags": [{"key": "mlflow.runName", "value": "n1"}]}
    assert api.ok("POST", "runs/create", json=both_same)["run"]["info"]["run_name"] == "n1"
    only_tag = {"experiment_id": exp_id, "tags": [{"key": "mlflow.runName", "value": "from-tag"}]}
    assert api.ok("POST", "runs/create", json=only_tag)["run"]["info"]["run_name"] == "from-tag"
    conflict = {"experiment_id": exp_id, "run_name": "a", "tags": [{"key": "mlflow.runName", "value": "b"}]}
    assert_error(api.post("runs/create", conflict), 400, "INVALID_PARAMETER_VALUE")


# ------------------------------------------------------------------ the prefixed mount


def test_prefixed_mount_serves_the_api(prefixed_stack):
    api = Api(prefixed_stack.uri)
    assert api.get("/health").text.strip() == "OK"
    assert api.get("/version").status_code == 200
    assert api.ok("GET", "experiments/get", params={"experiment_id": "0"})["experiment"]["name"] == "Default"
    assert_error(api.get("/api/2.0/mlflow/no-such-thing"), 404, "ENDPOINT_NOT_FOUND")


def test_health_at_server_root_of_prefixed_mount(prefixed_stack):
    # deploy/nginx/nginx.conf.template routes /health at the server root to the workers too.
    r = requests.get(prefixed_stack.server_root + "/health", timeout=10)
    assert r.status_code == 200
    assert r.text.strip() == "OK"


# ------------------------------------------------------------------ more encodings and limits


def test_double_encoded_json_body_is_accepted(api):
    # Very old clients post a JSON string that contains the JSON object (§1.2).
    name = unique("double")
    r = api.post("experiments/create", data=json.dumps(json.dumps({"name": name})).encode(), headers=JSON)
    assert r.status_code == 200, r.text
    assert api.ok("GET", "experiments/get-by-name", params={"experiment_name": name})["experiment"]["name"] == name


def test_run_uuid_alone_identifies_the_run(api):
    run_id = new_run(api)
    body = {"run_uuid": run_id, "key": "m", "value": 1.5, "timestamp": now_ms()}
    assert api.post("runs/log-metric", body).status_code == 200
    assert api.post("runs/log-parameter", {"run_uuid": run_id, "key": "p", "value": "v"}).status_code == 200
    got = api.ok("GET", "runs/get", params={"run_uuid": run_id})["run"]
    assert got["info"]["run_id"] == run_id
    assert [m["value"] for m in got["data"]["metrics"]] == [1.5]
    assert got["data"]["params"] == [{"key": "p", "value": "v"}]


def test_metric_value_booleans_and_default_step(api):
    run_id = new_run(api)
    assert api.post("runs/log-metric", {"run_id": run_id, "key": "b", "value": True, "timestamp": 1}).status_code == 200
    history = api.ok("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "b"})["metrics"]
    assert [(m["value"], m["step"]) for m in history] == [(1, 0)]


def test_update_run_with_unknown_status_name_changes_nothing(api):
    run_id = new_run(api)
    r = api.post("runs/update", {"run_id": run_id, "status": "NO_SUCH_STATUS"})
    assert r.status_code == 200, r.text
    assert api.ok("GET", "runs/get", params={"run_id": run_id})["run"]["info"]["status"] == "RUNNING"
    # Integers are accepted for enums: 3 = FINISHED.
    assert api.post("runs/update", {"run_id": run_id, "status": 3}).status_code == 200
    assert api.ok("GET", "runs/get", params={"run_id": run_id})["run"]["info"]["status"] == "FINISHED"


def test_experiments_search_requires_max_results(api):
    assert_error(api.post("experiments/search", {}), 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("max_results", [0, -1, 50001])
def test_search_runs_max_results_out_of_range_is_400(api, max_results):
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("max")})["experiment_id"]
    r = api.post("runs/search", {"experiment_ids": [exp_id], "max_results": max_results})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_metric_history_max_results_must_be_positive(api):
    run_id = new_run(api)
    r = api.get("metrics/get-history", run_id=run_id, metric_key="m", max_results=0)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_malformed_page_token_is_400(api):
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("token")})["experiment_id"]
    r = api.post("runs/search", {"experiment_ids": [exp_id], "page_token": "%%% not a token %%%"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_duplicate_order_by_field_is_400_not_500(api):
    # The real server answers 500 here, which makes clients retry; the contract asks for 400.
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("dup-order")})["experiment_id"]
    r = api.post(
        "runs/search", {"experiment_ids": [exp_id], "order_by": ["metrics.a DESC", "metrics.a ASC"]}
    )
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_rename_experiment_to_a_taken_name_is_400(api):
    first = unique("taken")
    api.ok("POST", "experiments/create", json={"name": first})
    second = api.ok("POST", "experiments/create", json={"name": unique("other")})["experiment_id"]
    r = api.post("experiments/update", {"experiment_id": second, "new_name": first})
    assert r.status_code == 400, r.text
    error_of(r)


def test_experiment_tag_limits(api):
    exp_id = api.ok("POST", "experiments/create", json={"name": unique("etag")})["experiment_id"]
    ok = {"experiment_id": exp_id, "key": "k", "value": "v" * 20000}
    assert api.post("experiments/set-experiment-tag", ok).status_code == 200
    too_long = {"experiment_id": exp_id, "key": "k", "value": "v" * 20001}  # not truncated: refused
    assert_error(api.post("experiments/set-experiment-tag", too_long), 400, "INVALID_PARAMETER_VALUE")
    bad_key = {"experiment_id": exp_id, "key": "bad#key", "value": "v"}
    assert_error(api.post("experiments/set-experiment-tag", bad_key), 400, "INVALID_PARAMETER_VALUE")
    tags = api.ok("GET", "experiments/get", params={"experiment_id": exp_id})["experiment"]["tags"]
    assert tags == [{"key": "k", "value": "v" * 20000}]


def test_blank_experiment_name_is_400(api):
    assert_error(api.post("experiments/create", {"name": "   "}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("experiments/create", {"name": ""}), 400, "INVALID_PARAMETER_VALUE")
