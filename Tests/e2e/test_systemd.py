"""deploy/systemd/: the units are valid, and the command lines they run do what the units promise.

systemd does not run in the test container (no PID 1 systemd, no D-Bus), so `systemctl` cannot
be tried here. What is tested instead (systemd_pool.py plays systemd's part):
  - `systemd-analyze verify` accepts both units (with this machine's paths);
  - the service's exact ExecStartPre, ExecStart and ExecReload, with its Environment and the
    socket unit's listening socket as fd 0 (StandardInput=socket), run a pool of 4 workers that
    answers, replaces a killed worker, reloads one worker at a time, and stops cleanly on
    SIGTERM to the main process (KillMode=mixed);
  - a reload (ExecReload) and a restart of the service with the socket kept open, both under
    load through Apache, refuse or cut no request.
docs/deploying.md lists the checks left to make by hand on a machine that runs systemd.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

import conftest
import fastcgi_client as fcgi
import load
from deployments import ApacheSite
from e2e_helpers import once_only, unique
from systemd_pool import SYSTEMD, UnitPool, read_unit

pytestmark = once_only


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    pool = UnitPool(tmp_path)
    for name in ("mlflow-fcgi.socket", "mlflow-fcgi.service"):
        # The units name /usr/local/bin/mlflow-fcgi and /usr/local/lib/mlflow-fcgi/...; verify
        # checks that commands exist, so it sees this checkout's files there instead.
        (tmp_path / name).write_text(pool.localize((SYSTEMD / name).read_text()))
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / "mlflow-fcgi.socket"), str(tmp_path / "mlflow-fcgi.service")],
        capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if "mlflow-fcgi" in line]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr


def test_the_units_agree_with_each_other():
    socket_unit = read_unit(SYSTEMD / "mlflow-fcgi.socket")
    service = read_unit(SYSTEMD / "mlflow-fcgi.service")
    assert service["StandardInput"] == ["socket"]
    # With StandardInput=socket, output would default to the socket: it must be sent elsewhere.
    assert service["StandardOutput"] == ["journal"] and service["StandardError"] == ["journal"]
    assert socket_unit["Accept"] == ["no"]
    assert "mlflow-fcgi.socket" in service["Requires"][0]
    (start,) = service["ExecStart"]
    assert start.startswith("/usr/bin/multiwatch ") and " serve" in start
    # multiwatch 1.0.0 sends SIGQUIT for --signal=TERM: the default (SIGUSR1) is the graceful one.
    assert "--signal" not in start and " -s " not in start
    assert service["KillMode"] == ["mixed"]
    reload_script = SYSTEMD / "mlflow-fcgi-rolling-restart"
    assert service["ExecReload"][0].split()[0].endswith("/" + reload_script.name)
    assert os.access(reload_script, os.X_OK)


def test_the_service_command_lines_run_supervise_reload_and_stop_a_pool(tmp_path):
    pool = UnitPool(tmp_path, "/mlflow")  # the unit's MLFLOW_FCGI_URL_PREFIX
    pool.start()
    try:
        assert len(pool.workers()) == 4
        r = fcgi.request(str(pool.socket_path), "GET", "/mlflow/api/2.0/mlflow/experiments/get?experiment_id=0")
        assert r.status == 200 and json.loads(r.body)["experiment"]["name"] == "Default"

        # multiwatch replaces a killed worker.
        victim = pool.workers()[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (victim in pool.workers() or len(pool.workers()) < 4) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert victim not in pool.workers() and len(pool.workers()) == 4
        assert fcgi.request(str(pool.socket_path), "GET", "/mlflow/health").body == b"OK"

        # ExecReload replaces every worker, one at a time.
        before = set(pool.workers())
        done = pool.reload()
        assert done.returncode == 0, done.stderr
        after = set(pool.workers())
        assert len(after) == 4 and not (before & after), (before, after)
    finally:
        status = pool.stop()
    # SIGTERM to multiwatch (KillMode=mixed) stops the workers gracefully and multiwatch exits 0.
    assert status == 0, pool.log.read_text()[-3000:]
    assert not pool.socket_path.exists()
    log = pool.log.read_text()
    assert "Program crashed" not in log and "Fatal error" not in log, log[-3000:]


def test_a_pool_that_cannot_open_its_database_fails_its_start(tmp_path):
    """ExecStartPre (migrate) stops the start with the reason, before multiwatch runs: multiwatch
    itself would give up on workers that die at once and exit with status 0."""
    pool = UnitPool(tmp_path, "/mlflow")
    pool.database.write_bytes(b"not an SQLite database; a text file long enough to have a header" * 4)
    done = subprocess.run(pool.command("ExecStartPre"), env=pool.environment(), capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert str(pool.database) in done.stderr and "not a database" in done.stderr


def test_reload_and_restart_under_load_refuse_no_request():
    """Clients write through Apache (mod_proxy_fcgi) while `systemctl reload` replaces every
    worker and then `systemctl restart` replaces the whole pool (the socket staying open, as
    the socket unit keeps it): every request gets its 200 and every write is stored."""
    site = ApacheSite("proxy-fcgi", "/mlflow").start()
    conftest._stacks.append(site.apache)
    try:
        api = load.requests.Session()
        base = site.uri + "/api/2.0/mlflow/"
        exp = api.post(base + "experiments/create", json={"name": unique("reload")}, timeout=10).json()["experiment_id"]
        runs = [api.post(base + "runs/create", json={"experiment_id": exp}, timeout=10).json()["run"]["info"]["run_id"] for _ in range(2)]
        stop = threading.Event()
        started = time.monotonic()
        writers = [load.Writer(site.uri, i, runs, deadline=started + 90, max_ops=100_000, stop=stop) for i in range(8)]
        for w in writers:
            w.start()
        try:
            time.sleep(1)
            before = set(site.pool.workers())
            reloaded = site.pool.reload()
            assert reloaded.returncode == 0, reloaded.stderr
            assert not (before & set(site.pool.workers()))
            time.sleep(0.5)
            assert site.pool.restart() == 0
            time.sleep(1)
        finally:
            stop.set()
            tally = load.Tally()
            for w in writers:
                w.join(60)
                tally.add(w.tally)
        seconds = time.monotonic() - started
        check = load.check_stored(site.uri, writers)
        print("\n" + load.summary("reload+restart through Apache", tally, check, seconds, workers=4, clients=len(writers)))
        assert not tally.failures, tally.failures[:10]
        assert set(tally.statuses) == {200}, tally.statuses
        assert not check.lost and not check.half_applied, (check.lost[:10], check.half_applied[:10])
        assert site.apache.server_errors_since(0) == []
    finally:
        conftest._stacks.remove(site.apache)
        site.stop()
