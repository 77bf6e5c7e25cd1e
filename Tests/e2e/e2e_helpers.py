"""Helpers shared by the end-to-end tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import re
import uuid

import pytest
import requests

# Client settings for the whole session, before mlflow reads them:
# - no retries, so that a wrong 5xx (or a dead server) fails a test at once instead of after
#   minutes of exponential backoff; a bounded timeout for the same reason;
# - no telemetry and no network besides our own server.
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "30"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)
os.environ.pop("MLFLOW_RUN_ID", None)

import mlflow  # noqa: E402  (after the environment above)

def mlflow_major() -> int:
    return int(mlflow.__version__.split(".")[0])


# Use sparingly: only for client features that exist in one major version only.
requires_mlflow3 = pytest.mark.skipif(
    mlflow_major() < 3, reason="the MLflow 2.x client has no such call (3.x-only RPC)"
)


# For tests whose outcome does not depend on the client version (load, crash, restart, raw
# HTTP through a deployment): scripts/test runs the suite once per client, these run once.
once_only = pytest.mark.skipif(
    mlflow_major() < 3,
    reason="independent of the client version: runs only in the MLflow 3.x pass of scripts/test",
)


# 5xx answers a test provokes on purpose (501 NOT_IMPLEMENTED for multipart uploads, say):
# conftest's no-5xx check skips the access-log lines that match one of these exactly. Cleared
# before and after every test.
expected_server_errors: list[tuple[str, str, int]] = []


def expect_server_error(method: str, request_uri: str, status: int) -> None:
    """Tells the no-5xx check that `method request_uri` (as sent, prefix included) answers `status` on purpose."""
    expected_server_errors.append((method, request_uri, status))


# Answers that are 501 by contract wherever they happen: multipart and presigned artifact
# transfers are not offered on local storage. nginx may write such a line to its access log only
# after the test that sent the request has finished, so it is excused by path, not per test.
ALWAYS_NOT_IMPLEMENTED = ("/mlflow-artifacts/mpu/", "/mlflow-artifacts/presigned/")


class AccessLogWatch:
    """What the autouse no-5xx check asks of a running web server: the size of its access log
    and the 5xx lines written after an offset. Subclasses set `access_log` (a Path)."""

    def access_log_size(self) -> int:
        try:
            return self.access_log.stat().st_size
        except OSError:
            return 0

    def server_errors_since(self, offset: int) -> list[str]:
        """Access-log lines with a 5xx status written after byte `offset`."""
        try:
            with open(self.access_log, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
        except OSError:
            return []
        # combined format: ... "METHOD /path HTTP/1.1" STATUS BYTES ...
        return [line for line in text.splitlines() if re.search(r'" 5\d\d ', line)]


def is_expected_server_error(access_log_line: str) -> bool:
    if '" 501 ' in access_log_line and any(path in access_log_line for path in ALWAYS_NOT_IMPLEMENTED):
        return True
    return any(f'"{m} {uri} HTTP/1.1" {status} ' in access_log_line for m, uri, status in expected_server_errors)


def unique(prefix: str = "e2e") -> str:
    """A name no other test (or earlier session on the same data) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Api:
    """Raw HTTP access to /api/2.0/mlflow/... with the `requests` library.

    Every answer is checked to be below 500 (the client would retry a 5xx for minutes)."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.session = requests.Session()

    def url(self, path: str) -> str:
        if path.startswith("/"):
            return self.base + path
        return f"{self.base}/api/2.0/mlflow/{path}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        r = self.session.request(method, self.url(path), **kwargs)
        assert r.status_code < 500, f"{method} {path} -> {r.status_code}: {r.text[:500]}"
        return r

    def get(self, path: str, **params) -> requests.Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, body=None, **kwargs) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        return self.request("POST", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> dict:
        r = self.request(method, path, **kwargs)
        assert r.status_code == 200, f"{method} {path} -> {r.status_code}: {r.text[:500]}"
        return r.json() if r.content.strip() else {}


def error_of(r: requests.Response) -> dict:
    """The MLflow error JSON of a response (asserts it is one)."""
    assert "json" in r.headers.get("Content-Type", ""), (
        f"error answer is not JSON: {r.status_code} {r.headers.get('Content-Type')} {r.text[:300]!r}"
    )
    body = r.json()
    assert isinstance(body, dict) and "error_code" in body and "message" in body, body
    return body
