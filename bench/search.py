"""runs/search latency: mlflow-fcgi (nginx + FastCGI workers) against the reference `mlflow server`.

    bench/setup-reference && swift build -c release
    .venv-reference/bin/python bench/search.py                      # N = 10,000 and 100,000
    .venv-reference/bin/python bench/search.py --runs 10000 --repeat 5 --skip-reference

What it does:

1. Fills one SQLite database per (server, N) directly with SQL (filling through the REST API
   would take hours): N runs in one experiment, each with 10 metrics (m0..m9) of --points
   points (steps 0..P-1), 10 params (p0..p9, values 'v0'..'v9') and 10 tags (t0..t9) plus the
   `mlflow.runName` tag both servers keep. The content comes from one seeded RNG (numpy
   PCG64, seeded per block of 1,000 runs from --seed), so both databases get identical runs
   (ids, names, start_times, values) and the N=10,000 data is the first 10,000 runs of the
   N=100,000 data.
   - ours: schema from `mlflow-fcgi migrate --database FILE`, then rows in its tables (runs
     keyed by run_key; metrics = history, latest_metrics = the point with the largest
     (step, timestamp, value), as MLflow's rule).
   - reference: schema from `mlflow db upgrade sqlite:///FILE` (MLflow's alembic migrations),
     then rows in MLflow's tables (run_uuid, status names, lifecycle_stage, is_nan, ...).
   Databases live under --data (default bench/results/data, git-ignored), one folder per
   (server, N, points, seed) with a marker file fill.json written when the fill completed;
   a later run with the same parameters reuses them.
2. Starts one server at a time on 127.0.0.1 (bench/servers.py), waits until its processes are
   idle (the reference's workers keep booting for a while after /health answers; bounded at
   120 s), warms up with one request per query, then times --repeat POSTs of
   /api/2.0/mlflow/runs/search per query through a keep-alive requests session (bounded by
   --max-seconds per query):
   Q1  filter "metrics.m0 > 0.5 and params.p1 = 'v3'", order_by ["metrics.m1 DESC"], max_results 100
   Q2  no filter,                                     order_by ["metrics.m1 DESC"], max_results 100
3. Checks the fill and the answers where both servers hold the same N: runs/get of three runs
   on both servers against the generated content, and the run names of Q1 and Q2 (first page)
   equal on both servers and to the order computed from the generated data.
Planner statistics matter a lot for the reference: neither server runs ANALYZE, and without
statistics SQLite picks a slow plan for MLflow's order-by-metric query (about 10 s for Q2 at
N=10,000; about 0.15 s in-process once ANALYZE was run). By default the databases are timed
as the servers leave them (any statistics removed); --analyze runs ANALYZE on each first.

4. Prints one table (median, p90 per server, query and N; ratio reference/ours at the N both
   ran) and writes it as JSON to bench/results/search-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import OUR_BINARY, REFERENCE_MLFLOW, REPO, OurServer, ReferenceServer  # noqa: E402

RESULTS = REPO / "bench" / "results"
GENERATOR_VERSION = 1  # bump when the generated content changes: old databases are refilled
BLOCK = 1000  # runs per RNG block (and per progress step)
N_METRICS, N_PARAMS, N_TAGS = 10, 10, 10
PARAM_VALUES, TAG_VALUES = 10, 100
EXPERIMENT_ID = 1
EXPERIMENT_NAME = "search-bench"
BASE_TIME = 1_700_000_000_000  # ms; run i starts at BASE_TIME + i*1000 + jitter(0..999)
USER = "bench"
CREATION_TIME = BASE_TIME - 86_400_000

QUERIES = {
    "Q1": {"filter": "metrics.m0 > 0.5 and params.p1 = 'v3'", "order_by": ["metrics.m1 DESC"], "max_results": 100},
    "Q2": {"filter": "", "order_by": ["metrics.m1 DESC"], "max_results": 100},
}

METRIC_KEYS = [f"m{k}" for k in range(N_METRICS)]
PARAM_KEYS = [f"p{k}" for k in range(N_PARAMS)]
TAG_KEYS = [f"t{k}" for k in range(N_TAGS)]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------------------- generated data

class Block:
    """The content of runs [start, start+count): everything derives from (seed, block index)."""

    def __init__(self, seed: int, index: int, count: int, points: int):
        rng = np.random.default_rng([seed, GENERATOR_VERSION, index])
        self.start = index * BLOCK
        self.count = count
        ids = rng.bytes(16 * count).hex()
        self.run_ids = [ids[32 * i: 32 * (i + 1)] for i in range(count)]
        jitter = rng.integers(0, 1000, size=count)
        self.start_times = [BASE_TIME + (self.start + i) * 1000 + int(jitter[i]) for i in range(count)]
        self.values = rng.random((count, N_METRICS, points))  # float64 in [0, 1)
        self.params = rng.integers(0, PARAM_VALUES, size=(count, N_PARAMS))
        self.tags = rng.integers(0, TAG_VALUES, size=(count, N_TAGS))
        self.points = points

    def name(self, i: int) -> str:
        return f"run-{self.start + i:06d}"

    def end_time(self, i: int) -> int:
        return self.start_times[i] + 60_000

    def timestamps(self, i: int) -> list[int]:
        # point s of every metric is logged at start_time + 10*s: steps and timestamps both
        # increase, so the latest point (largest (step, timestamp, value)) is the last one.
        return [self.start_times[i] + 10 * s for s in range(self.points)]

    def latest(self, i: int, k: int) -> tuple[int, int, float]:
        """(step, timestamp, value) of metric k's latest point: the last one (see timestamps)."""
        last = self.points - 1
        return last, self.start_times[i] + 10 * last, float(self.values[i, k, last])

    def latest_by_rule(self, i: int, k: int) -> tuple[int, int, float]:
        """The same by MLflow's rule, the largest (step, timestamp, value): used by the checks."""
        ts = self.timestamps(i)
        return max((s, ts[s], float(self.values[i, k, s])) for s in range(self.points))

    def param_values(self, i: int) -> dict[str, str]:
        return {PARAM_KEYS[k]: f"v{int(self.params[i, k])}" for k in range(N_PARAMS)}

    def tag_values(self, i: int) -> dict[str, str]:
        tags = {TAG_KEYS[k]: f"tag-{int(self.tags[i, k])}" for k in range(N_TAGS)}
        tags["mlflow.runName"] = self.name(i)
        return tags


def blocks(n_runs: int, seed: int, points: int):
    for index in range(math.ceil(n_runs / BLOCK)):
        yield Block(seed, index, min(BLOCK, n_runs - index * BLOCK), points)


def expected_run(n_runs: int, seed: int, points: int, index: int) -> dict:
    """What runs/get must show for run `index`, from the generator."""
    b = Block(seed, index // BLOCK, min(BLOCK, n_runs - (index // BLOCK) * BLOCK), points)
    i = index - b.start
    metrics = {}
    for k, key in enumerate(METRIC_KEYS):
        step, ts, value = b.latest_by_rule(i, k)
        metrics[key] = {"value": value, "step": step, "timestamp": ts}
    return {"run_id": b.run_ids[i], "run_name": b.name(i), "start_time": b.start_times[i],
            "end_time": b.end_time(i), "status": "FINISHED", "user_id": USER,
            "metrics": metrics, "params": b.param_values(i), "tags": b.tag_values(i)}


def expected_order(n_runs: int, seed: int, points: int, query: str) -> tuple[list[str], int]:
    """Run names of the query's first page computed from the generated data, and the match count.
    Order: metrics.m1 DESC, then MLflow's tie-breakers start_time DESC, run_id ASC."""
    rows = []
    for b in blocks(n_runs, seed, points):
        latest = b.values[:, :, -1]  # last point = latest (see Block.timestamps)
        for i in range(b.count):
            if query == "Q1" and not (latest[i, 0] > 0.5 and int(b.params[i, 1]) == 3):
                continue
            rows.append((-float(latest[i, 1]), -b.start_times[i], b.run_ids[i], b.name(i)))
    rows.sort()
    return [r[3] for r in rows[:QUERIES[query]["max_results"]]], len(rows)


# ----------------------------------------------------------------------------- filling

def open_for_fill(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")  # no rollback journal / WAL for the bulk load
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")  # 1 GB
    db.execute("PRAGMA temp_store = MEMORY")
    return db


class Progress:
    def __init__(self, label: str, total_runs: int, points: int):
        self.label, self.total, self.points = label, total_runs, points
        self.t0 = time.monotonic()
        self.next_report = 0.0
        self.reported = -1

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if done == self.reported or (not force and now < self.next_report):
            return
        self.reported = done
        self.next_report = now + 10
        elapsed = now - self.t0
        rows = done * N_METRICS * self.points
        rate = rows / elapsed if elapsed > 0 else 0
        eta = (self.total - done) * elapsed / done if done else float("nan")
        log(f"  {self.label}: {done:,}/{self.total:,} runs, {rows / 1e6:.1f}M metric rows, "
            f"{rate / 1e6:.2f}M rows/s, elapsed {elapsed:.0f} s, eta {eta:.0f} s")


def fill_ours(path: Path, n_runs: int, seed: int, points: int) -> None:
    OurServer.migrate(path)  # our schema (and the Default experiment)
    db = open_for_fill(path)
    progress = Progress(f"ours N={n_runs:,}", n_runs, points)
    steps = list(range(points))
    key_col = [key for key in METRIC_KEYS for _ in steps]
    step_col = steps * N_METRICS
    db.execute("BEGIN")
    db.execute("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) "
               "VALUES (?, ?, ?, 'active', ?, ?)",
               (EXPERIMENT_ID, EXPERIMENT_NAME, f"mlflow-artifacts:/{EXPERIMENT_ID}", CREATION_TIME, CREATION_TIME))
    for b in blocks(n_runs, seed, points):
        run_rows, latest_rows, param_rows, tag_rows = [], [], [], []
        for i in range(b.count):
            run_key = b.start + i + 1
            run_id = b.run_ids[i]
            run_rows.append((run_key, run_id, EXPERIMENT_ID, b.name(i), USER, 3, b.start_times[i], b.end_time(i),
                             f"mlflow-artifacts:/{EXPERIMENT_ID}/{run_id}/artifacts", "active"))
            for k, key in enumerate(METRIC_KEYS):
                step, ts, value = b.latest(i, k)
                latest_rows.append((run_key, key, step, ts, value, 0))
            param_rows += [(run_key, key, value) for key, value in b.param_values(i).items()]
            tag_rows += [(run_key, key, value) for key, value in sorted(b.tag_values(i).items())]
        db.executemany("INSERT INTO runs (run_key, run_id, experiment_id, name, user_id, status, start_time, end_time, "
                       "artifact_uri, lifecycle_stage) VALUES (?,?,?,?,?,?,?,?,?,?)", run_rows)
        db.executemany("INSERT INTO latest_metrics (run_key, key, step, timestamp, value, is_nan) VALUES (?,?,?,?,?,?)",
                       latest_rows)
        db.executemany("INSERT INTO params (run_key, key, value) VALUES (?,?,?)", param_rows)
        db.executemany("INSERT INTO tags (run_key, key, value) VALUES (?,?,?)", tag_rows)
        # The history, in its clustering order (run_key, key, timestamp, ...): appends only.
        for i in range(b.count):
            run_key = b.start + i + 1
            db.executemany(
                "INSERT INTO metrics (run_key, key, timestamp, step, value, is_nan) VALUES (?,?,?,?,?,0)",
                zip(itertools.repeat(run_key), key_col, b.timestamps(i) * N_METRICS, step_col,
                    b.values[i].ravel().tolist()))
        progress.update(b.start + b.count)
        if (b.start // BLOCK) % 10 == 9:  # commit every 10,000 runs: bounded journal-less transactions
            db.execute("COMMIT")
            db.execute("BEGIN")
    db.execute("COMMIT")
    progress.update(n_runs, force=True)
    db.execute("PRAGMA journal_mode = WAL")  # what the server uses (it sets it again anyway)
    db.close()


def fill_reference(path: Path, n_runs: int, seed: int, points: int) -> None:
    log("  creating MLflow's schema (mlflow db upgrade; about 30 s)")
    ReferenceServer.upgrade_schema(path)
    db = open_for_fill(path)
    progress = Progress(f"reference N={n_runs:,}", n_runs, points)
    steps = list(range(points))
    key_col = [key for key in METRIC_KEYS for _ in steps]
    step_col = steps * N_METRICS
    # MLflow's secondary indexes on metrics are rebuilt after the load (same schema in the end,
    # much faster than maintaining them row by row on random run_uuids).
    index_sql = [r[0] for r in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metrics' AND sql IS NOT NULL")]
    index_names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metrics' AND sql IS NOT NULL")]
    db.execute("BEGIN")
    for name in index_names:
        db.execute(f'DROP INDEX "{name}"')
    db.executemany("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
                   "last_update_time, workspace) VALUES (?, ?, ?, 'active', ?, ?, 'default')",
                   [(0, "Default", "mlflow-artifacts:/0", CREATION_TIME, CREATION_TIME),
                    (EXPERIMENT_ID, EXPERIMENT_NAME, f"mlflow-artifacts:/{EXPERIMENT_ID}", CREATION_TIME, CREATION_TIME)])
    for b in blocks(n_runs, seed, points):
        run_rows, latest_rows, param_rows, tag_rows = [], [], [], []
        for i in range(b.count):
            run_id = b.run_ids[i]
            run_rows.append((run_id, b.name(i), "UNKNOWN", "", "", USER, "FINISHED", b.start_times[i], b.end_time(i),
                             "", "active", f"mlflow-artifacts:/{EXPERIMENT_ID}/{run_id}/artifacts", EXPERIMENT_ID))
            for k, key in enumerate(METRIC_KEYS):
                step, ts, value = b.latest(i, k)
                latest_rows.append((key, value, ts, step, 0, run_id))
            param_rows += [(key, value, run_id) for key, value in b.param_values(i).items()]
            tag_rows += [(key, value, run_id) for key, value in sorted(b.tag_values(i).items())]
        db.executemany("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
                       "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", run_rows)
        db.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?,?,?,?,?,?)",
                       latest_rows)
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", param_rows)
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tag_rows)
        for i in range(b.count):
            run_id = b.run_ids[i]
            db.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,0)",
                zip(key_col, b.values[i].ravel().tolist(), b.timestamps(i) * N_METRICS,
                    itertools.repeat(run_id), step_col))
        progress.update(b.start + b.count)
    log("  rebuilding MLflow's metric indexes")
    for sql in index_sql:
        db.execute(sql)
    db.execute("COMMIT")
    progress.update(n_runs, force=True)
    db.close()


def prepared_database(kind: str, data: Path, n_runs: int, seed: int, points: int) -> Path:
    """The folder holding the filled database for (kind, N): reused when its marker matches."""
    folder = data / f"{kind}-n{n_runs}-p{points}-s{seed}"
    marker = folder / "fill.json"
    want = {"kind": kind, "runs": n_runs, "points": points, "seed": seed, "generator": GENERATOR_VERSION}
    if kind == "reference":
        want["mlflow"] = reference_version()
    database = folder / "mlflow.db"
    if marker.exists() and database.exists():
        try:
            have = json.loads(marker.read_text())
        except ValueError:
            have = {}
        if {k: have.get(k) for k in want} == want:
            log(f"{kind} N={n_runs:,}: reusing {database} ({have.get('fill_seconds', '?')} s to fill then)")
            if kind == "ours":
                OurServer.migrate(database)  # a newer build may add migrations: apply them
            return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    log(f"{kind} N={n_runs:,}: filling {database} ({n_runs * N_METRICS * points / 1e6:.1f}M metric rows)")
    t0 = time.monotonic()
    (fill_ours if kind == "ours" else fill_reference)(database, n_runs, seed, points)
    seconds = round(time.monotonic() - t0, 1)
    size = database.stat().st_size
    log(f"{kind} N={n_runs:,}: filled in {seconds} s, {size / 1e9:.2f} GB")
    marker.write_text(json.dumps(dict(want, fill_seconds=seconds, bytes=size), indent=1))
    return folder


def set_statistics(database: Path, analyze: bool) -> None:
    """With `analyze`, gives the query planner table statistics (ANALYZE with the approximate
    analysis_limit that PRAGMA optimize uses); without, removes any, which is how both servers
    leave a database (neither runs ANALYZE)."""
    db = sqlite3.connect(str(database), isolation_level=None)
    try:
        db.execute("PRAGMA busy_timeout = 10000")
        if analyze:
            db.execute("PRAGMA analysis_limit = 1000")
            db.execute("ANALYZE")
        else:
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'").fetchall():
                db.execute(f"DROP TABLE {name}")
    finally:
        db.close()


def reference_version() -> str:
    out = subprocess.run([str(REFERENCE_MLFLOW), "--version"], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true"))
    return out.stdout.strip().split()[-1] if out.returncode == 0 else "unknown"


# ----------------------------------------------------------------------------- timing

def search_body(query: str) -> dict:
    q = QUERIES[query]
    body = {"experiment_ids": [str(EXPERIMENT_ID)], "order_by": q["order_by"], "max_results": q["max_results"]}
    if q["filter"]:
        body["filter"] = q["filter"]
    return body


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def time_query(session: requests.Session, uri: str, query: str, repeat: int, max_seconds: float) -> dict:
    url = uri + "/api/2.0/mlflow/runs/search"
    body = search_body(query)
    t0 = time.perf_counter()
    r = session.post(url, json=body, timeout=600)  # warm-up (also the answer we check)
    warmup_ms = (time.perf_counter() - t0) * 1000
    r.raise_for_status()
    answer = r.json()
    samples = []
    deadline = time.monotonic() + max_seconds
    for _ in range(repeat):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        r = session.post(url, json=body, timeout=600)
        elapsed = (time.perf_counter() - t0) * 1000
        r.raise_for_status()
        samples.append(elapsed)
    names = [run["info"]["run_name"] for run in answer.get("runs", [])]
    return {"query": query, "filter": QUERIES[query]["filter"], "order_by": QUERIES[query]["order_by"],
            "max_results": QUERIES[query]["max_results"], "warmup_ms": round(warmup_ms, 2),
            "samples_ms": [round(s, 2) for s in samples], "repeats": len(samples),
            "median_ms": round(statistics.median(samples), 2), "p90_ms": round(percentile(samples, 90), 2),
            "returned": len(names), "has_next_page": bool(answer.get("next_page_token")),
            "response_bytes": len(r.content), "names": names}


def fetch_runs(session: requests.Session, uri: str, run_ids: list[str]) -> dict[str, dict]:
    out = {}
    for run_id in run_ids:
        r = session.get(uri + "/api/2.0/mlflow/runs/get", params={"run_id": run_id}, timeout=60)
        r.raise_for_status()
        out[run_id] = normalize_run(r.json()["run"])
    return out


def normalize_run(run: dict) -> dict:
    info, data = run["info"], run.get("data", {})
    return {"run_id": info["run_id"], "run_name": info.get("run_name"), "start_time": int(info["start_time"]),
            "end_time": int(info["end_time"]) if info.get("end_time") is not None else None,
            "status": info.get("status"), "user_id": info.get("user_id"),
            "metrics": {m["key"]: {"value": float(m["value"]), "step": int(m.get("step", 0)),
                                   "timestamp": int(m["timestamp"])} for m in data.get("metrics", [])},
            "params": {p["key"]: p["value"] for p in data.get("params", [])},
            "tags": {t["key"]: t["value"] for t in data.get("tags", [])}}


def bench_server(kind: str, folder: Path, n_runs: int, args, sample_ids: list[str]) -> dict:
    server = OurServer(folder, workers=args.workers) if kind == "ours" else ReferenceServer(folder)
    log(f"{kind} N={n_runs:,}: starting {server.name}")
    with server:
        waited = server.wait_idle()
        log(f"  healthy; idle after {waited:.0f} s")
        session = requests.Session()
        results = {}
        for query in QUERIES:
            res = time_query(session, server.uri, query, args.repeat, args.max_seconds)
            log(f"  {query}: median {res['median_ms']:.1f} ms, p90 {res['p90_ms']:.1f} ms "
                f"({res['repeats']} requests, warm-up {res['warmup_ms']:.0f} ms, {res['returned']} runs)")
            results[query] = res
        runs = fetch_runs(session, server.uri, sample_ids)
        session.close()
    return {"server": kind, "runs": n_runs, "queries": results, "sample_runs": runs, "idle_wait_s": round(waited, 1)}


# ----------------------------------------------------------------------------- main

def machine() -> dict:
    info = {"nproc": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "sqlite_python": sqlite3.sqlite_version}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["load_avg_at_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def our_build() -> dict:
    digest = hashlib.sha256(OUR_BINARY.read_bytes()).hexdigest()[:16] if OUR_BINARY.exists() else None
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    return {"binary_sha256_16": digest, "git_head": head}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, nargs="+", default=[10_000, 100_000], help="N values for our server")
    ap.add_argument("--reference-runs", type=int, nargs="*", default=[10_000],
                    help="N values for the reference server (default 10000)")
    ap.add_argument("--points", type=int, default=100, help="points per metric (default 100)")
    ap.add_argument("--repeat", type=int, default=20, help="timed requests per query after one warm-up")
    ap.add_argument("--max-seconds", type=float, default=300, help="time bound per query's timed loop")
    ap.add_argument("--skip-reference", action="store_true", help="only our server")
    ap.add_argument("--data", type=Path, default=RESULTS / "data", help="where the databases are kept")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--workers", type=int, default=2, help="mlflow-fcgi worker processes")
    ap.add_argument("--fill-only", action="store_true", help="prepare the databases, time nothing")
    ap.add_argument("--analyze", action="store_true",
                    help="run ANALYZE on every database first (default: no planner statistics, as both "
                         "servers leave their databases)")
    args = ap.parse_args()
    if args.points < 1 or any(n < 1 for n in args.runs) or args.repeat < 1:
        ap.error("--runs, --points and --repeat must be positive")
    reference_runs = [] if args.skip_reference else args.reference_runs
    args.data.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)

    started = datetime.now(timezone.utc)
    report = {"started": started.isoformat(timespec="seconds"), "machine": machine(), "ours": our_build(),
              "parameters": {"runs": args.runs, "reference_runs": reference_runs, "points": args.points,
                             "repeat": args.repeat, "seed": args.seed, "workers_ours": args.workers,
                             "analyze": args.analyze,
                             "queries": QUERIES, "metrics_per_run": N_METRICS, "params_per_run": N_PARAMS,
                             "tags_per_run": N_TAGS},
              "fills": {}, "results": [], "checks": []}
    if reference_runs:
        report["reference_mlflow"] = reference_version()
    log(f"machine: {report['machine']}")

    plan = [("ours", n) for n in args.runs] + [("reference", n) for n in reference_runs]
    for kind, n in plan:
        folder = prepared_database(kind, args.data, n, args.seed, args.points)
        report["fills"][f"{kind}-{n}"] = json.loads((folder / "fill.json").read_text())

    if args.fill_only:
        log("databases ready (--fill-only)")
        return 0

    failures = []
    by_key = {}
    for kind, n in plan:
        folder = args.data / f"{kind}-n{n}-p{args.points}-s{args.seed}"
        t0 = time.monotonic()
        set_statistics(folder / "mlflow.db", args.analyze)
        if args.analyze:
            log(f"{kind} N={n:,}: ANALYZE took {time.monotonic() - t0:.1f} s")
        sample_idx = sorted({0, n // 2, n - 1})
        expected = {e["run_id"]: e for e in (expected_run(n, args.seed, args.points, i) for i in sample_idx)}
        res = bench_server(kind, folder, n, args, list(expected))
        # fill check 1: runs/get against the generated content
        for run_id, want in expected.items():
            got = res["sample_runs"][run_id]
            ok = got == want
            report["checks"].append({"check": f"{kind} N={n} runs/get {want['run_name']} matches the generated run",
                                     "ok": ok})
            if not ok:
                failures.append(f"{kind} N={n}: runs/get {run_id} differs from the generated run:\n"
                                f"  got  {got}\n  want {want}")
        # fill check 2: the first page equals the order computed from the generated data
        for query, q in res["queries"].items():
            names, matches = expected_order(n, args.seed, args.points, query)
            ok = q["names"] == names
            report["checks"].append({"check": f"{kind} N={n} {query} first page equals the generated order "
                                              f"({matches:,} matching runs)", "ok": ok})
            if not ok:
                failures.append(f"{kind} N={n} {query}: first page differs from the generated order:\n"
                                f"  got  {q['names'][:10]}...\n  want {names[:10]}...")
        by_key[(kind, n)] = res
        report["results"].append({
            "server": kind, "runs": n, "idle_wait_s": res["idle_wait_s"],
            "queries": {k: {kk: vv for kk, vv in v.items() if kk != "names"} for k, v in res["queries"].items()}})

    # both servers: same runs/get content and same Q1/Q2 run names in the same order
    for n in sorted(set(args.runs) & set(reference_runs)):
        ours, ref = by_key[("ours", n)], by_key[("reference", n)]
        for query in QUERIES:
            ok = ours["queries"][query]["names"] == ref["queries"][query]["names"]
            report["checks"].append({"check": f"N={n} {query}: same run names in the same order on both servers",
                                     "ok": ok})
            if not ok:
                failures.append(f"N={n} {query}: the servers answer different run names")
        ok = ours["sample_runs"] == ref["sample_runs"]
        report["checks"].append({"check": f"N={n} runs/get of {len(ours['sample_runs'])} runs equal on both servers",
                                 "ok": ok})
        if not ok:
            failures.append(f"N={n}: runs/get differs between the servers")

    # the table
    rows = []
    for (kind, n), res in sorted(by_key.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        for query, q in res["queries"].items():
            rows.append((kind, n, query, q["median_ms"], q["p90_ms"], q["repeats"], q["returned"]))
    ratios = []
    for n in sorted(set(args.runs) & set(reference_runs)):
        for query in QUERIES:
            o, r = by_key[("ours", n)]["queries"][query], by_key[("reference", n)]["queries"][query]
            ratios.append({"runs": n, "query": query, "median_ours_ms": o["median_ms"], "median_reference_ms": r["median_ms"],
                           "p90_ours_ms": o["p90_ms"], "p90_reference_ms": r["p90_ms"],
                           "ratio_median": round(r["median_ms"] / o["median_ms"], 1),
                           "ratio_p90": round(r["p90_ms"] / o["p90_ms"], 1)})
    report["ratios"] = ratios
    report["machine"]["load_avg_at_end"] = os.getloadavg()

    print()
    print(f"runs/search through HTTP, {args.points} points x {N_METRICS} metrics, {N_PARAMS} params, "
          f"{N_TAGS} tags per run; nproc={report['machine']['nproc']}; planner statistics: "
          f"{'ANALYZE' if args.analyze else 'none (as the servers leave it)'}")
    for name, q in QUERIES.items():
        print(f"  {name}: filter {q['filter']!r} order_by {q['order_by']} max_results {q['max_results']}")
    print()
    header = f"{'server':<10} {'N':>8} {'query':<5} {'median ms':>10} {'p90 ms':>9} {'requests':>8} {'runs':>5}"
    print(header)
    print("-" * len(header))
    for kind, n, query, med, p90, reps, ret in rows:
        print(f"{kind:<10} {n:>8,} {query:<5} {med:>10.1f} {p90:>9.1f} {reps:>8} {ret:>5}")
    if ratios:
        print()
        print(f"{'N':>8} {'query':<5} {'ours ms':>9} {'ref ms':>9} {'ref/ours (median)':>18} {'ref/ours (p90)':>15}")
        for r in ratios:
            print(f"{r['runs']:>8,} {r['query']:<5} {r['median_ours_ms']:>9.1f} {r['median_reference_ms']:>9.1f} "
                  f"{r['ratio_median']:>17.1f}x {r['ratio_p90']:>14.1f}x")
    print()
    for c in report["checks"]:
        print(f"{'OK  ' if c['ok'] else 'FAIL'} {c['check']}")
    for f in failures:
        print(f, file=sys.stderr)

    out = RESULTS / f"search-{started.strftime('%Y%m%d-%H%M%S')}{'-analyze' if args.analyze else ''}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"\nwritten {out.relative_to(REPO)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
