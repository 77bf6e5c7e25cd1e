"""Artifacts through nginx with the real mlflow client and raw HTTP (contract §11).

The stack stores artifacts under DATA/artifacts (`mlflow-artifacts:/<path>` is
DATA/artifacts/<path>); uploads pass through nginx's request buffering to a worker, which writes
a hidden `.upload-*` file beside the target and renames it when complete; downloads are sent by
nginx itself (X-Accel-Redirect to an internal location) after the worker checked the path.

Raw requests that must reach the server byte for byte (`..`, `%2e%2e`, `//`) go through
http.client, which sends the request target exactly as given (requests/urllib3 would remove
dot segments)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

import fastcgi_client as fcgi
from conftest import BINARY, Stack
from e2e_helpers import Api, error_of, expect_server_error, mlflow, once_only, unique

ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
AJAX_ARTIFACTS_API = "/ajax-api/2.0/mlflow-artifacts/artifacts"
MB = 1024 * 1024


# ------------------------------------------------------------------ helpers


@pytest.fixture
def stack(any_tracking_uri, request) -> Stack:
    """The stack `any_tracking_uri` points at (the client is pointed at it too)."""
    name = "prefixed_stack" if any_tracking_uri.endswith("/mlflow") else "root_stack"
    return request.getfixturevalue(name)


@pytest.fixture
def root(tracking_uri, root_stack) -> Stack:
    """The stack mounted at "/", with the client pointed at it."""
    return root_stack


def artifacts_root(stack: Stack) -> Path:
    return stack.data / "artifacts"


def run_dir(stack: Stack, run) -> Path:
    return artifacts_root(stack) / run.info.experiment_id / run.info.run_id / "artifacts"


def raw(stack: Stack, method: str, target: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 30):
    """One request with the target sent exactly as given. Returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def json_error(status: int, headers: dict, body: bytes) -> dict:
    assert "json" in headers.get("content-type", ""), (status, headers, body[:300])
    err = json.loads(body)
    assert isinstance(err, dict) and "error_code" in err and "message" in err, err
    return err


def is_nginx_page(headers: dict, body: bytes) -> bool:
    """nginx's own error page (the worker only ever answers JSON or plain text)."""
    return "text/html" in headers.get("content-type", "") and b"<center>nginx</center>" in body


def assert_invalid_path(stack: Stack, method: str, target: str, body: bytes | None = None) -> str:
    """`method target` is refused with a 400: the worker's INVALID_PARAMETER_VALUE JSON, or
    nginx's own 400 page for a URI nginx rejects before any worker sees it. Returns who answered."""
    status, headers, content = raw(stack, method, target, body)
    assert status == 400, f"{method} {target} -> {status}: {content[:300]!r}"
    if is_nginx_page(headers, content):
        return "nginx"
    err = json_error(status, headers, content)
    assert err["error_code"] == "INVALID_PARAMETER_VALUE", (method, target, err)
    return "worker"


def assert_api_error(r: requests.Response, status: int, code: str) -> dict:
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:300]}"
    err = error_of(r)
    assert err["error_code"] == code, err
    return err


def tree_of(folder: Path) -> dict[str, bytes]:
    """Relative path -> contents of every file below `folder`."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def names_below(folder: Path, skip: tuple[Path, ...] = ()) -> set[str]:
    """Every path (files, folders, links) below `folder`, not descending into `skip`."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip]
        found.update(str(here / n) for n in dirnames + filenames)
    return found


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MB):
            h.update(chunk)
    return h.hexdigest()


def make_files(folder: Path) -> dict[str, bytes]:
    """A nested folder of small files; returns relative path -> contents."""
    files = {
        "a.txt": b"alpha\n",
        "b.json": b'{"b": 1}\n',
        "sub/c.txt": b"gamma " * 100,
        "sub/deeper/d.bin": bytes(range(256)) * 4,
        "sub/deeper/empty.txt": b"",
    }
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return files


def listing(client, run_id: str, path: str | None = None) -> dict[str, tuple[bool, int | None]]:
    """MlflowClient.list_artifacts as {path: (is_dir, file_size)}."""
    return {f.path: (f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path)}


# ------------------------------------------------------------------ locations


def test_experiment_and_run_artifact_locations(any_tracking_uri):
    exp = mlflow.set_experiment(unique("art-loc"))
    assert exp.artifact_location == f"mlflow-artifacts:/{exp.experiment_id}"
    with mlflow.start_run() as run:
        assert run.info.artifact_uri == f"mlflow-artifacts:/{exp.experiment_id}/{run.info.run_id}/artifacts"
        assert mlflow.get_artifact_uri() == run.info.artifact_uri
        assert mlflow.get_artifact_uri("x/y.txt") == run.info.artifact_uri + "/x/y.txt"


# ------------------------------------------------------------------ client round trips


def test_log_and_download_artifacts(stack, tmp_path):
    """log_artifact, log_artifacts (nested), a 5 MB random binary, log_dict/log_text: uploaded and
    downloaded back byte-identical, listed right at every level, stored where the contract says."""
    client = mlflow.MlflowClient()
    src = tmp_path / "src"
    src.mkdir()
    text_file = src / "hello.txt"
    text_file.write_text("hello artifacts\nsecond line ü\n", encoding="utf-8")
    odd_name = src / "a b+c ü.txt"
    odd_name.write_bytes(b"odd name\n")
    binary = src / "random.bin"
    binary.write_bytes(random.Random(7).randbytes(5 * MB))
    folder = tmp_path / "folder"
    nested = make_files(folder)
    config = {"lr": 0.01, "layers": [64, 32], "name": "ü"}

    mlflow.set_experiment(unique("art"))
    with mlflow.start_run() as run:
        run_id = run.info.run_id
        mlflow.log_artifact(str(text_file))
        mlflow.log_artifact(str(text_file), artifact_path="notes")
        mlflow.log_artifact(str(odd_name), artifact_path="notes")
        mlflow.log_artifact(str(binary), artifact_path="bin")
        mlflow.log_artifacts(str(folder), artifact_path="tree")
        mlflow.log_dict(config, "cfg/config.json")
        mlflow.log_text("some text\n", "cfg/notes.txt")

    # On disk, under the run's folder of the artifacts root.
    stored = run_dir(stack, run)
    assert (stored / "hello.txt").read_bytes() == text_file.read_bytes()
    assert (stored / "bin" / "random.bin").read_bytes() == binary.read_bytes()
    assert tree_of(stored / "tree") == nested
    assert not [p for p in stored.rglob(".upload-*")], "temporary upload files left behind"

    # Listing at each level, with the client (paths relative to the run root).
    assert listing(client, run_id) == {
        "bin": (True, None), "cfg": (True, None), "hello.txt": (False, text_file.stat().st_size),
        "notes": (True, None), "tree": (True, None),
    }
    assert listing(client, run_id, "tree") == {
        "tree/a.txt": (False, 6), "tree/b.json": (False, 9), "tree/sub": (True, None),
    }
    assert listing(client, run_id, "tree/sub/deeper") == {
        "tree/sub/deeper/d.bin": (False, 1024), "tree/sub/deeper/empty.txt": (False, 0),
    }
    assert listing(client, run_id, "bin") == {"bin/random.bin": (False, 5 * MB)}
    assert listing(client, run_id, "notes") == {
        "notes/a b+c ü.txt": (False, len(b"odd name\n")), "notes/hello.txt": (False, text_file.stat().st_size),
    }
    assert listing(client, run_id, "no/such/folder") == {}
    assert [f.path for f in mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path="cfg")] == [
        "cfg/config.json", "cfg/notes.txt",
    ]

    # Downloads: single files, byte-identical.
    out = tmp_path / "out"
    out.mkdir()
    got = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="bin/random.bin", dst_path=str(out / "1"))
    assert Path(got).read_bytes() == binary.read_bytes()
    got = client.download_artifacts(run_id, "hello.txt", str(out))
    assert Path(got).read_bytes() == text_file.read_bytes()
    got = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{run_id}/notes/a b+c ü.txt", dst_path=str(out / "2"))
    assert Path(got).read_bytes() == b"odd name\n"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/cfg/config.json") == config
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/cfg/notes.txt") == "some text\n"
    assert json.loads((stored / "cfg" / "config.json").read_text()) == config

    # A folder: same tree, same contents.
    got = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree", dst_path=str(out / "3"))
    assert tree_of(Path(got)) == nested
    # The whole run.
    got = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(out / "4"))
    assert tree_of(Path(got)) == tree_of(stored)


def test_download_headers_and_ranges(stack, tmp_path):
    """Contract §11.2: Content-Type by extension, attachment disposition, nosniff, Range → 206."""
    mlflow.set_experiment(unique("art-head"))
    data = bytes(range(256)) * 40
    with mlflow.start_run() as run:
        mlflow.log_text("plain\n", "t.txt")
        mlflow.log_dict({"k": 1}, "d.json")
        (tmp_path / "x.bin").write_bytes(data)
        mlflow.log_artifact(str(tmp_path / "x.bin"))
    base = f"{stack.uri}{ARTIFACTS_API}/{run.info.experiment_id}/{run.info.run_id}/artifacts"

    r = requests.get(base + "/t.txt", timeout=30)
    assert r.status_code == 200 and r.content == b"plain\n"
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.headers["Content-Disposition"] == 'attachment; filename="t.txt"'
    assert "X-Accel-Redirect" not in r.headers
    r = requests.get(base + "/d.json", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json") and r.json() == {"k": 1}
    r = requests.get(base + "/x.bin", timeout=30)
    assert r.headers["Content-Type"] == "application/octet-stream" and r.content == data

    r = requests.get(base + "/x.bin", headers={"Range": "bytes=100-299"}, timeout=30)
    assert r.status_code == 206, r.status_code
    assert r.content == data[100:300]
    assert r.headers["Content-Range"] == f"bytes 100-299/{len(data)}"


def test_downloads_through_nginx_send_nosniff(stack):
    """Contract §11.2: downloads carry `X-Content-Type-Options: nosniff`. The worker sends it, but
    nginx keeps only some upstream headers across an X-Accel-Redirect."""
    base = f"{stack.uri}{ARTIFACTS_API}/{unique('nosniff')}"
    assert requests.put(base + "/page.html", data=b"<script>alert(1)</script>", timeout=30).status_code == 200
    r = requests.get(base + "/page.html", timeout=30)
    assert r.status_code == 200
    assert r.headers.get("X-Content-Type-Options") == "nosniff", dict(r.headers)


def test_odd_file_names_round_trip(stack, tmp_path):
    """Names that need percent-encoding both ways (client → worker, worker → nginx's internal
    redirect): uploaded raw, listed, and downloaded with the client."""
    client = mlflow.MlflowClient()
    mlflow.set_experiment(unique("art-names"))
    with mlflow.start_run() as run:
        pass
    base = f"{stack.uri}{ARTIFACTS_API}/{run.info.experiment_id}/{run.info.run_id}/artifacts/odd"
    names = ["100% sure.txt", "semi;colon.txt", "ümlaut ß.txt", "it's.txt", "plus+sign.txt", "a=b&c.txt"]
    for i, name in enumerate(names):
        r = requests.put(f"{base}/{quote(name, safe='')}", data=f"file {i}".encode(), timeout=30)
        assert r.status_code == 200, (name, r.status_code, r.text[:200])
    assert sorted(p.name for p in (run_dir(stack, run) / "odd").iterdir()) == sorted(names)
    assert set(listing(client, run.info.run_id, "odd")) == {f"odd/{n}" for n in names}
    for i, name in enumerate(names):
        r = requests.get(f"{base}/{quote(name, safe='')}", timeout=30)
        assert (r.status_code, r.content) == (200, f"file {i}".encode()), name
    got = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="odd", dst_path=str(tmp_path))
    assert sorted(p.name for p in Path(got).iterdir()) == sorted(names)


def test_tracking_artifacts_list_endpoint(stack):
    """GET /api/2.0/mlflow/artifacts/list: paths relative to the run root, root_uri = artifact_uri."""
    api = Api(stack.uri)
    mlflow.set_experiment(unique("art-list"))
    with mlflow.start_run() as run:
        mlflow.log_text("a", "a.txt")
        mlflow.log_text("bb", "dir1/b.txt")
        mlflow.log_text("ccc", "dir1/dir2/c.txt")
    run_id = run.info.run_id

    body = api.ok("GET", "artifacts/list", params={"run_id": run_id})
    assert body["root_uri"] == run.info.artifact_uri
    assert body["files"] == [
        {"path": "a.txt", "is_dir": False, "file_size": 1},
        {"path": "dir1", "is_dir": True},
    ]
    body = api.ok("GET", "artifacts/list", params={"run_id": run_id, "path": "dir1"})
    assert body["root_uri"] == run.info.artifact_uri
    assert body["files"] == [
        {"path": "dir1/b.txt", "is_dir": False, "file_size": 2},
        {"path": "dir1/dir2", "is_dir": True},
    ]
    body = api.ok("GET", "artifacts/list", params={"run_uuid": run_id, "path": "dir1/dir2"})
    assert body["files"] == [{"path": "dir1/dir2/c.txt", "is_dir": False, "file_size": 3}]
    body = api.ok("GET", "/ajax-api/2.0/mlflow/artifacts/list", params={"run_id": run_id, "path": "dir1/dir2/"})
    assert body["files"] == [{"path": "dir1/dir2/c.txt", "is_dir": False, "file_size": 3}]
    body = api.ok("GET", "artifacts/list", params={"run_id": run_id, "path": "nope"})
    assert body.get("files", []) == []

    assert_api_error(api.get("artifacts/list", run_id="f" * 32), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_api_error(api.get("artifacts/list"), 400, "INVALID_PARAMETER_VALUE")
    for bad in ["..", "../..", "dir1/../..", "/etc", "dir1\\..", "a\x00b"]:
        r = api.request("GET", "artifacts/list", params={"run_id": run_id, "path": bad})
        assert_api_error(r, 400, "INVALID_PARAMETER_VALUE")
    for raw_bad in ["%2e%2e", "dir1%2f%2e%2e%2f%2e%2e", "%2fetc", "a%00b", "dir1%5c..", "dir1/../.."]:
        target = f"{stack.url_prefix}/api/2.0/mlflow/artifacts/list?run_id={run_id}&path={raw_bad}"
        assert assert_invalid_path(stack, "GET", target) == "worker", target

    # The proxied listing returns basenames (contract §11.2), for the ajax-api twin too.
    for prefix in (ARTIFACTS_API, AJAX_ARTIFACTS_API):
        r = requests.get(stack.uri + prefix, params={"path": f"{run.info.experiment_id}/{run_id}/artifacts/dir1"}, timeout=30)
        assert r.status_code == 200
        assert r.json() == {"files": [{"path": "b.txt", "is_dir": False, "file_size": 2}, {"path": "dir2", "is_dir": True}]}
        r = requests.get(stack.uri + prefix, params={"path": f"{run.info.experiment_id}/{run_id}/nothing-here"}, timeout=30)
        assert r.status_code == 200 and r.json().get("files", []) == []


def test_ajax_api_upload_download_delete(stack):
    base = f"{stack.uri}{AJAX_ARTIFACTS_API}/{unique('ajax')}"
    r = requests.put(base + "/f.txt", data=b"via ajax", timeout=30)
    assert r.status_code == 200, r.text
    r = requests.get(base + "/f.txt", timeout=30)
    assert r.status_code == 200 and r.content == b"via ajax"
    r = requests.delete(base + "/f.txt", timeout=30)
    assert r.status_code == 200
    r = requests.get(base + "/f.txt", timeout=30)
    assert_api_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


# ------------------------------------------------------------------ errors, delete


def test_missing_artifact_and_directory_downloads(stack):
    mlflow.set_experiment(unique("art-err"))
    with mlflow.start_run() as run:
        mlflow.log_text("x", "dir/x.txt")
    base = f"{stack.uri}{ARTIFACTS_API}/{run.info.experiment_id}/{run.info.run_id}/artifacts"
    err = assert_api_error(requests.get(base + "/no-such-file.txt", timeout=30), 404, "RESOURCE_DOES_NOT_EXIST")
    assert "no-such-file.txt" in err["message"]
    assert_api_error(requests.get(base + "/nodir/x.txt", timeout=30), 404, "RESOURCE_DOES_NOT_EXIST")
    r = requests.get(base + "/dir", timeout=30)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    r = requests.get(base + "/dir/", timeout=30)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    # Uploading onto an existing directory, or through an existing file, is refused.
    assert_api_error(requests.put(base + "/dir", data=b"x", timeout=30), 400, "INVALID_PARAMETER_VALUE")
    assert_api_error(requests.put(base + "/dir/x.txt/y.txt", data=b"x", timeout=30), 400, "INVALID_PARAMETER_VALUE")
    assert requests.get(base + "/dir/x.txt", timeout=30).content == b"x"
    # The client reports the missing file as an MlflowException, not a retry loop.
    with pytest.raises(Exception):
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="no-such-file.txt")


def test_delete_file_and_folder(stack):
    client = mlflow.MlflowClient()
    mlflow.set_experiment(unique("art-del"))
    with mlflow.start_run() as run:
        mlflow.log_text("1", "keep.txt")
        mlflow.log_text("2", "gone.txt")
        mlflow.log_text("3", "folder/a.txt")
        mlflow.log_text("4", "folder/sub/b.txt")
    run_id = run.info.run_id
    base = f"{stack.uri}{ARTIFACTS_API}/{run.info.experiment_id}/{run_id}/artifacts"
    assert set(listing(client, run_id)) == {"keep.txt", "gone.txt", "folder"}

    r = requests.delete(base + "/gone.txt", timeout=30)
    assert r.status_code == 200, r.text
    assert set(listing(client, run_id)) == {"keep.txt", "folder"}
    r = requests.delete(base + "/folder", timeout=30)
    assert r.status_code == 200, r.text
    assert set(listing(client, run_id)) == {"keep.txt"}
    assert not (run_dir(stack, run) / "folder").exists()
    # Deleting what is not there is fine (MLflow answers {} too).
    assert requests.delete(base + "/folder", timeout=30).status_code == 200
    # The client's own artifact repository deletes too.
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository  # noqa: PLC0415

    get_artifact_repository(run.info.artifact_uri).delete_artifacts("keep.txt")
    assert listing(client, run_id) == {}


def test_deleting_a_run_keeps_its_artifacts(stack):
    client = mlflow.MlflowClient()
    mlflow.set_experiment(unique("art-rundel"))
    with mlflow.start_run() as run:
        mlflow.log_text("still here", "keep/me.txt")
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert (run_dir(stack, run) / "keep" / "me.txt").read_text() == "still here"
    assert listing(client, run.info.run_id, "keep") == {"keep/me.txt": (False, 10)}
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/keep/me.txt") == "still here"


def test_multipart_and_presigned_are_not_implemented(stack):
    """Local storage: 501 NOT_IMPLEMENTED, as MLflow answers (the client falls back to PUT/GET)."""
    path = f"{unique('mpu')}/big.bin"
    for prefix in ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"):
        uri = f"{stack.url_prefix}{prefix}/mpu/create/{path}"
        expect_server_error("POST", uri, 501)
        r = requests.post(stack.server_root + uri, json={"path": path, "num_parts": 2}, timeout=30)
        assert_api_error(r, 501, "NOT_IMPLEMENTED")
        uri = f"{stack.url_prefix}{prefix}/presigned/{path}"
        expect_server_error("GET", uri, 501)
        assert_api_error(requests.get(stack.server_root + uri, timeout=30), 501, "NOT_IMPLEMENTED")
    assert not (artifacts_root(stack) / path).parent.exists()


# ------------------------------------------------------------------ path safety


# Paths after ".../artifacts/", sent raw. {canary} is the name of a file beside the artifacts
# root (DATA/{canary}), {abs} the absolute path of that file without its leading "/".
UNSAFE_PATHS = [
    "../{canary}",
    "1/../../{canary}",
    "a/b/../../../{canary}",
    "%2e%2e/{canary}",
    "%2E%2E/{canary}",
    "%2e%2e%2f{canary}",
    "..%2f{canary}",
    "/{abs}",
    "//{abs}",
    "/etc/passwd",
    "a%2fb.txt",
    "a%2F..%2F..%2F{canary}",
    "a%00b.txt",
    "%00",
    "..%5c{canary}",
    "a%5cb.txt",
    "./x.txt",
    "a/./x.txt",
    "a//x.txt",
    "x%23y.txt",
    "../../../../../../../../../../etc/passwd",
]

# `path=` values of the proxied listing, sent raw in the query string.
UNSAFE_LIST_PARAMS = [
    "..", "../", "../{canary}", "1/../..", "%2e%2e", "%2e%2e%2f%2e%2e", "a%2f..%2f..",
    "/{abs}", "%2F{abs}", "a%00b", "%00", "..%5c..", "a%5cb", "./a", "a//b",
]


def test_unsafe_paths_are_refused_and_touch_nothing_outside(stack, tmp_path):
    data = stack.data
    canary = data / f"canary-{unique('c')}.txt"
    canary.write_bytes(b"canary: do not touch\n")
    before_stat = canary.stat()
    # A file inside the root too, so that a wrongly accepted GET would find something.
    inside = artifacts_root(stack) / "a" / "x.txt"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_bytes(b"inside")
    skip = (data / "nginx",)
    before = names_below(stack.workdir, skip)

    api_path = stack.url_prefix + ARTIFACTS_API
    values = {"canary": canary.name, "abs": str(canary).lstrip("/")}
    answered_by: dict[str, str] = {}
    for template in UNSAFE_PATHS:
        target = f"{api_path}/{template.format(**values)}"
        for method in ("PUT", "GET", "DELETE"):
            who = assert_invalid_path(stack, method, target, b"pwned" if method == "PUT" else None)
            answered_by[f"{method} {target}"] = who
        # The request reached nginx as sent (http.client does not normalise); nginx's own 400
        # is allowed only for a NUL byte or a path above the server root.
        if answered_by[f"GET {target}"] == "nginx":
            assert "%00" in template or template.startswith("../../../../"), f"nginx refused {target}"
    for template in UNSAFE_LIST_PARAMS:
        target = f"{api_path}?path={template.format(**values)}"
        assert assert_invalid_path(stack, "GET", target) == "worker", target
    for prefix in ("/ajax-api/2.0/mlflow-artifacts/artifacts", ARTIFACTS_API):
        target = f"{stack.url_prefix}{prefix}/../{canary.name}"
        assert assert_invalid_path(stack, "PUT", target, b"pwned") == "worker"

    with open(stack.access_log, "rb") as f:
        log = f.read().decode(errors="replace")
    assert f"PUT {api_path}/../{canary.name} HTTP/1.1" in log, "the raw `..` did not reach nginx as sent"

    # Nothing written or read outside the root, nothing created inside it either.
    assert canary.read_bytes() == b"canary: do not touch\n"
    assert canary.stat().st_mtime_ns == before_stat.st_mtime_ns
    assert inside.read_bytes() == b"inside"
    assert names_below(stack.workdir, skip) == before
    canary.unlink()
    inside.unlink()


def test_symlinks_out_of_the_root_are_refused(root, root_stack, tmp_path):
    stack = root_stack
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(b"secret outside the root")
    base_name = unique("links")
    base = artifacts_root(stack) / base_name
    base.mkdir()
    (base / "escape").symlink_to(outside, target_is_directory=True)
    (base / "secret-link.txt").symlink_to(secret)
    (base / "fine.txt").write_bytes(b"fine")
    api_path = f"{ARTIFACTS_API}/{base_name}"

    status, _, body = raw(stack, "GET", f"{api_path}/fine.txt")
    assert (status, body) == (200, b"fine")
    for target in (f"{api_path}/escape/secret.txt", f"{api_path}/secret-link.txt", f"{api_path}/escape"):
        assert assert_invalid_path(stack, "GET", target) == "worker"
        status, _, body = raw(stack, "GET", target)
        assert b"secret outside" not in body
    for target in (f"{api_path}/escape/new.txt", f"{api_path}/escape/sub/new.txt"):
        assert assert_invalid_path(stack, "PUT", target, b"written through a link") == "worker"
    assert assert_invalid_path(stack, "GET", f"{ARTIFACTS_API}?path={base_name}/escape") == "worker"
    assert assert_invalid_path(stack, "DELETE", f"{api_path}/escape/secret.txt") == "worker"
    r = requests.get(stack.uri + "/api/2.0/mlflow-artifacts/artifacts", params={"path": base_name}, timeout=30)
    assert r.status_code in (200, 400), r.text

    # A PUT onto the file link itself must not write the file it points to (replacing the link
    # with a regular file inside the root is fine; refusing is fine too).
    status, _, body = raw(stack, "PUT", f"{api_path}/secret-link.txt", b"overwrite?")
    assert status in (200, 400), (status, body[:300])
    assert secret.read_bytes() == b"secret outside the root"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert not list(base.glob(".upload-*"))


def test_deleting_a_symlink_keeps_its_target(root, root_stack):
    """A link inside the root to a file or folder also inside it: deleting the link must not
    delete the target (which another path still names)."""
    base_name = unique("links-in")
    base = artifacts_root(root_stack) / base_name
    (base / "real").mkdir(parents=True)
    (base / "real" / "f.txt").write_bytes(b"target")
    (base / "alias").symlink_to("real", target_is_directory=True)
    (base / "flink").symlink_to("real/f.txt")
    for link in ("flink", "alias"):
        status, _, body = raw(root_stack, "DELETE", f"{ARTIFACTS_API}/{base_name}/{link}")
        assert status in (200, 400), (status, body[:300])
        assert (base / "real" / "f.txt").read_bytes() == b"target", f"DELETE {link} removed its target"


# ------------------------------------------------------------------ aborted uploads


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def test_upload_aborted_half_way_through_nginx_leaves_nothing(root, root_stack):
    stack = root_stack
    client = mlflow.MlflowClient()
    mlflow.set_experiment(unique("art-abort"))
    with mlflow.start_run() as run:
        mlflow.log_text("other", "other.txt")
    target_dir = run_dir(stack, run)
    request_uri = f"{ARTIFACTS_API}/{run.info.experiment_id}/{run.info.run_id}/artifacts/aborted.bin"

    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as s:
        head = (f"PUT {request_uri} HTTP/1.1\r\nHost: 127.0.0.1:{stack.port}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {10 * MB}\r\n\r\n")
        s.sendall(head.encode())
        chunk = b"\x5a" * (64 * 1024)
        for _ in range(3 * MB // len(chunk)):
            s.sendall(chunk)
        time.sleep(0.2)
    # nginx logs the request once it has given up on it.
    wait_for(lambda: f'"PUT {request_uri} HTTP/1.1"' in stack.access_log.read_text(errors="replace"), 10, "the access-log line")
    time.sleep(0.2)
    assert sorted(p.name for p in target_dir.iterdir()) == ["other.txt"], "aborted upload left a file"
    assert listing(client, run.info.run_id) == {"other.txt": (False, 5)}
    status, _, _ = raw(stack, "GET", request_uri)
    assert status == 404
    wait_for(lambda: not any((stack.data / "nginx" / "client_body_temp").rglob("*[0-9]")), 5, "nginx's body temp file to go")


def start_lone_worker(tmp_path: Path, artifacts: Path) -> tuple[str, subprocess.Popen]:
    sock = str(tmp_path / "w.sock")
    proc = subprocess.Popen(
        [str(BINARY), "serve", "--database", str(tmp_path / "mlflow.db"), "--threads", "2",
         "--socket", sock, "--artifacts-root", str(artifacts)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited with {proc.returncode}: {proc.stderr.read().decode(errors='replace')}")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(sock)
                return sock, proc
            except OSError:
                time.sleep(0.05)
    proc.kill()
    raise AssertionError("worker did not start listening")


def test_upload_ending_early_at_a_lone_worker_leaves_nothing(tmp_path):
    """FastCGI straight to a worker: the body ends (or the connection drops) before
    CONTENT_LENGTH bytes; the artifact must not appear, and no temp file may stay."""
    artifacts = tmp_path / "artifacts"
    sock, proc = start_lone_worker(tmp_path, artifacts)
    try:
        uri = f"{ARTIFACTS_API}/1/run/artifacts"
        # 1. STDIN closed properly after 3 of 10 MB: a 400, nothing stored.
        conn = fcgi.Connection(sock, timeout=30)
        conn.begin(fcgi.cgi_params("PUT", f"{uri}/short.bin", "application/octet-stream", 10 * MB))
        conn.send_body(b"\x01" * (3 * MB))
        response = conn.finish()
        assert response.status == 400, (response.status, response.body[:300])
        assert json.loads(response.body)["error_code"] == "INVALID_PARAMETER_VALUE"
        folder = artifacts / "1" / "run" / "artifacts"
        assert not folder.exists() or list(folder.iterdir()) == []

        # 2. The connection drops after 3 of 10 MB: the worker cleans up its temp file.
        conn = fcgi.Connection(sock, timeout=30)
        conn.begin(fcgi.cgi_params("PUT", f"{uri}/dropped.bin", "application/octet-stream", 10 * MB))
        conn.send_body(b"\x02" * (3 * MB))
        # The worker is streaming the body into its hidden temp file beside the target.
        wait_for(lambda: folder.exists() and any(p.name.startswith(".upload-") for p in folder.iterdir()), 10, "the temp file")
        conn.sock.close()
        wait_for(lambda: not folder.exists() or list(folder.iterdir()) == [], 10, "the temp file of the dropped upload to go")

        # 3. The worker still works: a complete upload is stored and listed.
        response = fcgi.request(sock, "PUT", f"{uri}/whole.bin", b"\x03" * MB, "application/octet-stream")
        assert response.status == 200, response.body[:300]
        assert (folder / "whole.bin").read_bytes() == b"\x03" * MB
        assert [p.name for p in folder.iterdir()] == ["whole.bin"]
        response = fcgi.request(sock, "GET", f"{ARTIFACTS_API}?path=1/run/artifacts")
        assert json.loads(response.body) == {"files": [{"path": "whole.bin", "is_dir": False, "file_size": MB}]}
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# ------------------------------------------------------------------ 1 GB


def worker_pids(stack: Stack) -> list[int]:
    """The `mlflow-fcgi serve` children of the stack's `up` process."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == stack.proc.pid and len(argv) > 1 and argv[1] == b"serve":
            pids.append(int(entry))
    return sorted(pids)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RSSSampler:
    """Samples VmRSS of some processes every 50 ms in a thread; keeps each one's peak."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.peak_kb = {pid: rss_kb(pid) for pid in pids}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.05):
            for pid in self.pids:
                self.peak_kb[pid] = max(self.peak_kb[pid], rss_kb(pid))
            self.samples += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def peak_mb(self) -> float:
        return max(self.peak_kb.values()) / 1024


def make_sparse_file(path: Path, size: int, seed: int) -> None:
    """`size` bytes of mostly zeros (a hole made with truncate) with a few random 1 MB blocks."""
    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.truncate(size)
        for offset in sorted(rng.sample(range(size // MB), 12)) + [size // MB - 1]:
            f.seek(offset * MB)
            f.write(rng.randbytes(MB))
        f.seek(size - 7)
        f.write(b"the end")


WORKER_RSS_LIMIT_MB = 100


@once_only
@pytest.mark.timeout(900)
def test_one_gigabyte_round_trip_in_bounded_memory(root, root_stack, tmp_path, monkeypatch):
    stack = root_stack
    size = 1024 * MB
    # One long request each way: allow it more than the suite's 30 s socket timeout.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "300")
    source = tmp_path / "big.bin"
    download_dir = tmp_path / "download"
    run = None
    try:
        make_sparse_file(source, size, seed=1)
        expected = sha256_of(source)
        pids = worker_pids(stack)
        assert len(pids) == stack.workers, f"worker pids {pids}"
        baseline_mb = max(rss_kb(p) for p in pids) / 1024

        mlflow.set_experiment(unique("art-1g"))
        with mlflow.start_run() as run:
            with RSSSampler(pids) as upload_rss:
                start = time.monotonic()
                mlflow.log_artifact(str(source), artifact_path="big")
                upload_s = time.monotonic() - start
        stored = run_dir(stack, run) / "big" / "big.bin"
        assert stored.stat().st_size == size

        with RSSSampler(pids) as download_rss:
            start = time.monotonic()
            got = Path(mlflow.artifacts.download_artifacts(
                run_id=run.info.run_id, artifact_path="big/big.bin", dst_path=str(download_dir)))
            download_s = time.monotonic() - start
        assert got.stat().st_size == size
        actual = sha256_of(got)
        got.unlink()
        assert worker_pids(stack) == pids, "a worker was replaced during the transfers"

        numbers = {
            "file_bytes": size,
            "upload_s": round(upload_s, 2),
            "download_s": round(download_s, 2),
            "upload_mb_per_s": round(size / MB / upload_s, 1),
            "download_mb_per_s": round(size / MB / download_s, 1),
            "worker_rss_baseline_mb": round(baseline_mb, 1),
            "worker_rss_peak_upload_mb": round(upload_rss.peak_mb, 1),
            "worker_rss_peak_download_mb": round(download_rss.peak_mb, 1),
            "rss_samples": upload_rss.samples + download_rss.samples,
            "worker_pids": pids,
            "sha256": expected,
        }
        report = tmp_path / "one-gigabyte.json"
        report.write_text(json.dumps(numbers, indent=2) + "\n")
        print(f"\n1 GB artifact round trip: {json.dumps(numbers)}\nwritten to {report}")

        assert actual == expected, "downloaded file differs"
        assert upload_rss.samples > 0 and download_rss.samples > 0
        peak = max(upload_rss.peak_mb, download_rss.peak_mb)
        assert peak < WORKER_RSS_LIMIT_MB, f"worker RSS peaked at {peak:.0f} MB: memory grows with the file size"
    finally:
        source.unlink(missing_ok=True)
        if download_dir.exists():
            for p in download_dir.rglob("*"):
                if p.is_file():
                    p.unlink()
        if run is not None:
            requests.delete(f"{stack.uri}{ARTIFACTS_API}/{run.info.experiment_id}/{run.info.run_id}/artifacts/big", timeout=60)
