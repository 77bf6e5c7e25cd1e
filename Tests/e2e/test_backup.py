"""`mlflow-fcgi backup` copies a database that a running stack keeps writing to."""

import sqlite3
import subprocess
import threading

from conftest import BINARY
from e2e_helpers import unique


def test_backup_while_clients_write(root_stack, api, tmp_path):
    name = unique("backed-up")
    experiment_id = api.ok("POST", "experiments/create", json={"name": name})["experiment_id"]
    run_id = api.ok("POST", "runs/create", json={"experiment_id": experiment_id})["run"]["info"]["run_id"]
    stop = threading.Event()

    def write():
        step = 0
        while not stop.is_set() and step < 2000:
            api.ok("POST", "runs/log-metric", json={"run_id": run_id, "key": "m", "value": step, "timestamp": step, "step": step})
            step += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        target = tmp_path / "copy.db"
        done = subprocess.run(
            [str(BINARY), "backup", "--database", str(root_stack.data / "mlflow.db"), "--to", str(target)],
            capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
    finally:
        stop.set()
        writer.join(60)
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM experiments WHERE name = ?", (name,)).fetchone() == (1,)


def test_backup_refuses_to_overwrite_or_to_invent_a_database(root_stack, tmp_path):
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    over = subprocess.run([str(BINARY), "backup", "--database", str(root_stack.data / "mlflow.db"), "--to", str(existing)], capture_output=True, timeout=30)
    assert over.returncode != 0 and existing.read_bytes() == b"keep me"
    missing = subprocess.run([str(BINARY), "backup", "--database", str(tmp_path / "nope.db"), "--to", str(tmp_path / "x.db")], capture_output=True, timeout=30)
    assert missing.returncode != 0 and not (tmp_path / "nope.db").exists()
