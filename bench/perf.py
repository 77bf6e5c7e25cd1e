"""Throughput, latency and memory: mlflow-fcgi against FastTrackML, the reference `mlflow server`
and a minimal C FastCGI echo worker behind the same nginx (the transport's ceiling).

    bench/setup-reference && swift build -c release
    .venv-reference/bin/python bench/perf.py                       # everything, one pass (~10 min)
    .venv-reference/bin/python bench/perf.py --only W1,W3 --repeat 3 --skip-reference

Servers, each on 127.0.0.1 with a fresh database under bench/results/perf-<time>/ (removed at the
end unless --keep), all started first and kept up for the whole run:
  ours         `mlflow-fcgi up` (nginx + 1 worker x 8 threads, release build, --workers to change; default
               durability FULL: an fsync of the WAL at every commit, --durability normal for the
               like-for-like comparison with FastTrackML, which does not sync per write; the
               durability the workers run with is read from their command line and reported)
  echo         nginx from our template + bench/echo/echo.c (libfcgi, 2 processes x 4
               FCGX_Accept_r threads, answers {} to everything; compiled with cc -O2 -lfcgi)
  fasttrackml  `fml server` 0.6.0 (Go) over SQLite (.venv-fasttrackml)
  mlflow       `mlflow server` 3.17.2 over SQLite, default workers (.venv-reference)

Workloads (data for W1-W4 is written through each server's own API, log-batch chunks of 1000):
  W1  POST runs/log-metric, one metric per request, spread over 64 runs, every request a
      different step and timestamp; wrk at 1, 8 and 32 connections: requests/s, p50, p99
      (echo answers the same requests: the ceiling)
  W2  POST runs/log-batch of 1000 metrics (8 runs), wrk at 1 and 8 connections: metrics/s
  W3  GET runs/get of a run holding 100 params, 100 tags and 100 metric keys, wrk at 8 connections
  W4  metrics/get-history of a 100,000-point metric: one GET without max_results (all points in
      one answer; seconds until the whole body arrived), and MlflowClient.get_metric_history
      (the client pages by 25,000)
  W6  the stock client (bench/perf_client.py): start_run, 20 log_param, 1000 synchronous
      log_metric, end_run: seconds (bounded by --w6-max-seconds, extrapolated past it)
  MEM peak resident memory during the whole run, sampled every 0.25 s: the sum of VmRSS over
      each server's process tree; for ours also the largest single worker and nginx + workers
      (PSS of the same processes alongside: shared libraries counted once)
Every wrk point runs --duration seconds (default 10) with a 30 s request timeout. The points are
run workload by workload, each against every server in turn, the order rotated from point to
point and pass to pass (so drift on a shared machine hits all alike); after each measurement the
next waits (at most 60 s) until the server just measured is idle. --repeat N makes N passes; the
table shows medians over the passes. Ratios: ×X is how many times ours is better than X
(throughput ours/X, time and memory X/ours); "of echo" is ours as a share of the ceiling.

Prints one table and writes everything (every sample, versions, load averages) to
bench/results/perf-<time>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import (FASTTRACKML_BIN, OUR_BINARY, QUIET_ENV, REFERENCE_MLFLOW, REPO, EchoServer,  # noqa: E402
                     FastTrackMLServer, OurServer, ReferenceServer, Server)

RESULTS = REPO / "bench" / "results"
LUA = REPO / "bench" / "wrk" / "perf.lua"
CLIENT = REPO / "bench" / "perf_client.py"
API = "/api/2.0/mlflow"
LABELS = {"ours": "mlflow-fcgi", "echo": "echo", "fasttrackml": "FastTrackML", "mlflow": "MLflow"}
W1_RUNS, W2_RUNS = 64, 8
W3_ITEMS = 100
W4_POINTS = 100_000
BATCH = 1000


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------------------- memory

class MemorySampler(threading.Thread):
    """Samples VmRSS (and, every fourth sample, PSS) of every server's process tree."""

    def __init__(self, servers: dict[str, Server], interval: float = 0.25):
        super().__init__(daemon=True)
        self.servers = servers
        self.interval = interval
        self.phase = "start"
        self.stop_event = threading.Event()
        self.peaks: dict[str, dict] = {k: {} for k in servers}
        self.by_phase: dict[str, dict[str, dict[str, int]]] = {k: {} for k in servers}  # kind -> phase -> key -> kb
        self.samples = 0
        self._cmdlines: dict[int, str] = {}

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            try:
                self.sample(with_pss=self.samples % 4 == 0)
            except Exception as e:  # a process vanishing mid-read; never kill the benchmark
                sys.stderr.write(f"memory sampler: {e}\n")
            self.samples += 1

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=5)

    @staticmethod
    def _children() -> dict[int, list[int]]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        return children

    @staticmethod
    def tree(root: int, children: dict[int, list[int]]) -> list[int]:
        out, todo = [], [root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def cmdline(self, pid: int) -> str:
        if pid not in self._cmdlines:
            try:
                self._cmdlines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                return ""
        return self._cmdlines[pid]

    @staticmethod
    def _kb(path: str, field: str) -> int:
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(field):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    def role(self, kind: str, pid: int) -> str:
        cmd = self.cmdline(pid)
        first = cmd.split(" ", 1)[0]
        if "nginx" in first:
            return "nginx"
        if kind == "ours" and " serve " in f" {cmd} ":
            return "worker"
        return "other"

    def sample(self, with_pss: bool) -> None:
        children = self._children()
        for kind, server in self.servers.items():
            if server.proc is None:
                continue
            pids = self.tree(server.proc.pid, children)
            rss = {pid: self._kb(f"/proc/{pid}/status", "VmRSS:") for pid in pids}
            roles = {pid: self.role(kind, pid) for pid in pids}
            values = {"tree_rss_kb": sum(rss.values()), "processes": len(pids)}
            workers = [rss[p] for p in pids if roles[p] == "worker"]
            nginx = [rss[p] for p in pids if roles[p] == "nginx"]
            if kind in ("ours", "echo"):
                values["nginx_rss_kb"] = sum(nginx)
            if kind == "ours":
                values["worker_max_rss_kb"] = max(workers, default=0)
                values["nginx_workers_rss_kb"] = sum(nginx) + sum(workers)
            if with_pss:
                pss = {pid: self._kb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids}
                values["tree_pss_kb"] = sum(pss.values())
                if kind == "ours":
                    values["worker_max_pss_kb"] = max((pss[p] for p in pids if roles[p] == "worker"), default=0)
                    values["nginx_workers_pss_kb"] = sum(pss[p] for p in pids if roles[p] in ("nginx", "worker"))
            peaks = self.peaks[kind]
            phase = self.by_phase[kind].setdefault(self.phase, {})
            for key, value in values.items():
                if key == "processes":
                    peaks["processes_max"] = max(peaks.get("processes_max", 0), value)
                    continue
                if value > peaks.get(key, {}).get("kb", -1):
                    peaks[key] = {"kb": value, "phase": self.phase}
                phase[key] = max(phase.get(key, 0), value)

    def peak_during(self, kind: str, key: str, phases) -> int:
        """The largest `key` seen while one of `phases` (a predicate on the phase name) ran."""
        return max((v.get(key, 0) for ph, v in self.by_phase.get(kind, {}).items() if phases(ph)), default=0)


# ----------------------------------------------------------------------------- API helpers

class Client:
    """A keep-alive session against one server's MLflow REST API (data preparation and W4)."""

    def __init__(self, uri: str):
        self.uri = uri
        self.session = requests.Session()

    def call(self, method: str, rpc: str, timeout: float = 300, **kw) -> dict:
        r = self.session.request(method, f"{self.uri}{API}/{rpc}", timeout=timeout, **kw)
        if r.status_code != 200:
            raise RuntimeError(f"{method} {rpc} -> {r.status_code}: {r.text[:300]}")
        return r.json() if r.content else {}

    def create_experiment(self, name: str) -> str:
        return self.call("POST", "experiments/create", json={"name": name})["experiment_id"]

    def create_run(self, experiment_id: str, name: str) -> str:
        body = {"experiment_id": experiment_id, "run_name": name, "user_id": "bench",
                "start_time": int(time.time() * 1000), "tags": [{"key": "mlflow.user", "value": "bench"}]}
        return self.call("POST", "runs/create", json=body)["run"]["info"]["run_id"]

    def log_batch(self, run_id: str, metrics=(), params=(), tags=()) -> None:
        self.call("POST", "runs/log-batch", json={"run_id": run_id, "metrics": list(metrics),
                                                    "params": list(params), "tags": list(tags)})


def prepare(kind: str, server: Server, folder: Path, only: set[str], fill_max_s: float) -> dict:
    """Experiment, runs and the W3/W4 data through the server's own API. Returns what was made."""
    c = Client(server.uri)
    out: dict = {}
    exp = c.create_experiment(f"perf-{int(time.time())}")
    out["experiment_id"] = exp
    if "W1" in only:
        runs = [c.create_run(exp, f"w1-{i}") for i in range(W1_RUNS)]
        (folder / "w1-runs.txt").write_text("\n".join(runs) + "\n")
        out["w1_runs_file"] = str(folder / "w1-runs.txt")
        out["w1_first_run"] = runs[0]
    if "W2" in only:
        runs = [c.create_run(exp, f"w2-{i}") for i in range(W2_RUNS)]
        (folder / "w2-runs.txt").write_text("\n".join(runs) + "\n")
        out["w2_runs_file"] = str(folder / "w2-runs.txt")
        out["w2_first_run"] = runs[0]
    if "W3" in only:
        run = c.create_run(exp, "w3")
        ts = int(time.time() * 1000)
        c.log_batch(run,
                    metrics=[{"key": f"metric_{k:03d}", "value": k * 0.5, "timestamp": ts, "step": k}
                             for k in range(W3_ITEMS)],
                    params=[{"key": f"param_{k:03d}", "value": f"value-{k}"} for k in range(W3_ITEMS)],
                    tags=[{"key": f"tag_{k:03d}", "value": f"tag value {k}"} for k in range(W3_ITEMS)])
        got = c.call("GET", "runs/get", params={"run_id": run})["run"]["data"]
        counts = {f: len(got.get(f, [])) for f in ("params", "tags", "metrics")}
        if counts["params"] != W3_ITEMS or counts["metrics"] != W3_ITEMS or counts["tags"] < W3_ITEMS:
            raise RuntimeError(f"{kind}: the W3 run holds {counts}, expected 100 each")
        out["w3_run"] = run
        out["w3_counts"] = counts
        out["w3_response_bytes"] = len(c.session.get(f"{server.uri}{API}/runs/get", params={"run_id": run}).content)
    if "W4" in only:
        run = c.create_run(exp, "w4")
        base = int(time.time() * 1000)
        t0 = time.monotonic()
        points = 0
        while points < W4_POINTS and time.monotonic() - t0 < fill_max_s:
            c.log_batch(run, metrics=[{"key": "loss", "value": 1.0 / (s + 1), "timestamp": base + s, "step": s}
                                      for s in range(points, points + BATCH)])
            points += BATCH
        fill_s = time.monotonic() - t0
        out.update(w4_run=run, w4_points=points, w4_fill_s=round(fill_s, 2),
                   w4_fill_metrics_per_s=round(points / fill_s))
        if points < W4_POINTS:
            log(f"  {kind}: W4 fill stopped at {points:,} points after {fill_s:.0f} s (--fill-max-seconds)")
    return out


# ----------------------------------------------------------------------------- measurements

def run_wrk(uri: str, connections: int, duration: float, args: list[str]) -> dict:
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "30s", "--latency",
           "-s", str(LUA), uri, "--", *args]
    if args and args[0] in ("log-metric", "log-batch"):
        cmd.append(str(threads))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 90, stdin=subprocess.DEVNULL)
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if p.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr[-500:]} {p.stdout[-500:]}")
    w = json.loads(line.split(" ", 1)[1])
    ok = w["requests"] - w["status_errors"]
    seconds = w["duration_us"] / 1e6
    return {"requests": w["requests"], "ok_requests": ok, "seconds": round(seconds, 3),
            "rps": round(ok / seconds, 1), "p50_ms": w["p50_us"] / 1000, "p90_ms": w["p90_us"] / 1000,
            "p99_ms": w["p99_us"] / 1000, "max_ms": w["max_us"] / 1000,
            "errors": {k: w[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")},
            "wrk_threads": threads, "connections": connections}


def measure_rest_history(uri: str, run_id: str, expect: int, repeat: int, max_s: float) -> dict:
    session = requests.Session()
    url = f"{uri}{API}/metrics/get-history"
    params = {"run_id": run_id, "run_uuid": run_id, "metric_key": "loss"}
    samples, size, count = [], 0, None
    deadline = time.monotonic() + max_s
    for _ in range(repeat + 1):  # the first call warms up (connection, caches) and is not counted
        t0 = time.perf_counter()
        r = session.get(url, params=params, timeout=600)
        body = r.content
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"get-history -> {r.status_code}: {r.text[:300]}")
        if count is None:
            data = json.loads(body)
            count = len(data.get("metrics", []))
            size = len(body)
            if data.get("next_page_token"):
                count = f"{count} + next_page_token"
        else:
            samples.append(elapsed)
        if time.monotonic() > deadline and samples:
            break
    session.close()
    return {"samples_s": samples, "points": count, "expected_points": expect, "response_bytes": size,
            "seconds": statistics.median(samples)}


def fsync_probe(folder: Path, count: int = 100) -> dict:
    """Latency of a 4 KiB write + fdatasync in `folder` (the disk under the databases), two ways:
    overwriting blocks already in the file, and appending (the file grows, so the filesystem must
    also commit the new size, as for a growing WAL). FULL durability pays one per commit, and
    commits are serialized, so one writer cannot commit faster than the inverse."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fsync-probe"
    out = {}
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        block = b"x" * 4096
        os.pwrite(fd, block * 64, 0)
        os.fsync(fd)
        for mode in ("overwrite", "append"):
            samples = []
            for i in range(count):
                offset = (i % 64) * 4096 if mode == "overwrite" else (64 + i) * 4096
                t0 = time.perf_counter()
                os.pwrite(fd, block, offset)
                os.fdatasync(fd)
                samples.append((time.perf_counter() - t0) * 1e6)
            samples.sort()
            out[mode] = {"count": count, "p50_us": round(samples[len(samples) // 2], 1),
                         "p90_us": round(samples[int(len(samples) * 0.9)], 1), "max_us": round(samples[-1], 1)}
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    return out


def run_client(cmd: list[str], timeout: float) -> dict:
    env = dict(os.environ, **QUIET_ENV)
    p = subprocess.run([sys.executable, str(CLIENT), *cmd], capture_output=True, text=True, timeout=timeout,
                       env=env, cwd=REPO, stdin=subprocess.DEVNULL)
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("CLIENT_JSON ")), None)
    if p.returncode != 0 or line is None:
        raise RuntimeError(f"client {cmd[0]} failed ({p.returncode}): {p.stderr[-800:]}")
    return json.loads(line.split(" ", 1)[1])


# The points, in order; each names the servers it runs against.
def plan(only: set[str]) -> list[dict]:
    pts = []
    if "W1" in only:
        pts += [{"id": f"W1 c={c}", "workload": "W1", "connections": c, "servers": ["ours", "echo", "fasttrackml", "mlflow"]}
                for c in (1, 8, 32)]
    if "W2" in only:
        pts += [{"id": f"W2 c={c}", "workload": "W2", "connections": c, "servers": ["ours", "fasttrackml", "mlflow"]}
                for c in (1, 8)]
    if "W3" in only:
        pts.append({"id": "W3 c=8", "workload": "W3", "connections": 8, "servers": ["ours", "fasttrackml", "mlflow"]})
    if "W4" in only:
        pts.append({"id": "W4 REST", "workload": "W4", "via": "rest", "servers": ["ours", "fasttrackml", "mlflow"]})
        pts.append({"id": "W4 client", "workload": "W4", "via": "client", "servers": ["ours", "fasttrackml", "mlflow"]})
    if "W6" in only:
        pts.append({"id": "W6", "workload": "W6", "servers": ["ours", "fasttrackml", "mlflow"]})
    return pts


def measure(point: dict, kind: str, server: Server, prep: dict, args, pass_no: int) -> dict:
    w = point["workload"]
    base_ts = int(time.time() * 1000) + pass_no  # distinct per pass: no point repeats an earlier one
    if w == "W1":
        runs_file = prep["ours"]["w1_runs_file"] if kind == "echo" else prep[kind]["w1_runs_file"]
        return run_wrk(server.uri, point["connections"], args.duration, ["log-metric", runs_file, str(base_ts)])
    if w == "W2":
        r = run_wrk(server.uri, point["connections"], args.duration, ["log-batch", prep[kind]["w2_runs_file"], str(base_ts)])
        r["metrics_per_s"] = round(r["rps"] * BATCH)
        return r
    if w == "W3":
        return run_wrk(server.uri, point["connections"], args.duration,
                       ["get", f"{API}/runs/get?run_id={prep[kind]['w3_run']}"])
    if w == "W4":
        p = prep[kind]
        if point["via"] == "rest":
            r = measure_rest_history(server.uri, p["w4_run"], p["w4_points"], args.w4_repeat, args.w4_max_seconds)
        else:
            r = run_client(["history", server.uri, p["w4_run"], "loss", "--repeat", str(args.w4_repeat),
                            "--max-seconds", str(args.w4_max_seconds)], timeout=args.w4_max_seconds * 4 + 300)
            r["seconds"] = statistics.median(r["samples_s"])
            r["client_cpu_median_s"] = statistics.median(r["client_cpu_s"])
        if p["w4_points"] < W4_POINTS:  # a fill bounded by time: scale linearly, and say so
            r["measured_seconds"] = r["seconds"]
            r["seconds"] = r["seconds"] * W4_POINTS / p["w4_points"]
            r["extrapolated"] = True
        return r
    if w == "W6":
        return run_client(["w6", server.uri, "--params", "20", "--metrics", "1000",
                           "--max-seconds", str(args.w6_max_seconds)], timeout=args.w6_max_seconds + 300)
    raise ValueError(w)


def summary_line(point: dict, r: dict) -> str:
    if "rps" in r:
        s = f"{r['rps']:,.0f} req/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms"
        if "metrics_per_s" in r:
            s += f", {r['metrics_per_s']:,} metrics/s"
        bad = {k: v for k, v in r["errors"].items() if v}
        return s + (f", ERRORS {bad}" if bad else "")
    s = f"{r['seconds']:.3f} s"
    if "points" in r:
        s += f" ({r['points']} points)"
    cpu = r.get("client_cpu_s")
    if cpu is not None:
        s += f", client CPU {statistics.median(cpu) if isinstance(cpu, list) else cpu:.2f} s"
    if r.get("extrapolated"):
        s += " (extrapolated)"
    return s


# ----------------------------------------------------------------------------- the table

# (row label, point id, field, unit, better: "high" | "low")
ROWS = [
    ("W1 log-metric c=1", "W1 c=1", "rps", "req/s", "high"),
    ("W1 c=1 p50", "W1 c=1", "p50_ms", "ms", "low"),
    ("W1 c=1 p99", "W1 c=1", "p99_ms", "ms", "low"),
    ("W1 log-metric c=8", "W1 c=8", "rps", "req/s", "high"),
    ("W1 c=8 p50", "W1 c=8", "p50_ms", "ms", "low"),
    ("W1 c=8 p99", "W1 c=8", "p99_ms", "ms", "low"),
    ("W1 log-metric c=32", "W1 c=32", "rps", "req/s", "high"),
    ("W1 c=32 p50", "W1 c=32", "p50_ms", "ms", "low"),
    ("W1 c=32 p99", "W1 c=32", "p99_ms", "ms", "low"),
    ("W2 log-batch 1000 c=1", "W2 c=1", "metrics_per_s", "metrics/s", "high"),
    ("W2 log-batch 1000 c=8", "W2 c=8", "metrics_per_s", "metrics/s", "high"),
    ("W3 runs/get 100/100/100 c=8", "W3 c=8", "rps", "req/s", "high"),
    ("W4 get-history 100k, REST", "W4 REST", "seconds", "s", "low"),
    ("W4 get-history 100k, client", "W4 client", "seconds", "s", "low"),
    ("W6 client 20 params+1000 metrics", "W6", "seconds", "s", "low"),
    # the client process's own CPU time in those two: a floor no server can go below
    ("  W4 client: the client's own CPU", "W4 client", "client_cpu_median_s", "s", "info"),
    ("  W6: the client's own CPU", "W6", "client_cpu_s", "s", "info"),
]


def median_of(results: list[dict], point_id: str, kind: str, field: str):
    vals = [r["result"][field] for r in results
            if r["point"] == point_id and r["server"] == kind and isinstance(r["result"].get(field), (int, float))]
    return statistics.median(vals) if vals else None


def fmt(v, unit: str) -> str:
    if v is None:
        return "-"
    if unit in ("req/s", "metrics/s"):
        return f"{v:,.0f}"
    if unit == "MB":
        return f"{v:.1f}"
    if unit == "ms":
        return f"{v:.2f}"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def ratio(ours, other, better: str):
    if ours is None or other is None or ours == 0 or other == 0:
        return None
    return ours / other if better == "high" else other / ours


def build_table(results: list[dict], memory: dict, kinds: list[str]) -> list[dict]:
    rows = []
    for label, pid, field, unit, better in ROWS:
        if not any(r["point"] == pid for r in results):
            continue
        vals = {k: median_of(results, pid, k, field) for k in kinds}
        rows.append({"row": label, "point": pid, "field": field, "unit": unit, "better": better, "medians": vals,
                     "extrapolated": {k: any(r["result"].get("extrapolated") for r in results
                                             if r["point"] == pid and r["server"] == k) for k in kinds}})
    # (label, key, which phases: None = the whole run, field); "load" = while W1-W3 ran (steady
    # request load, small answers); the whole run includes W4's answers of 100,000 points (MBs)
    load = lambda ph: ph.startswith(("W1", "W2", "W3"))  # noqa: E731
    mem_rows = [("peak RSS, whole process tree", "tree_rss_kb", None, "tree_rss_kb"),
                ("peak PSS, whole process tree", "tree_pss_kb", None, "tree_pss_kb"),
                ("peak RSS, one worker, W1-W3", "worker_max_rss_kb", load, "worker_load_rss_kb"),
                ("peak RSS, one worker, whole run", "worker_max_rss_kb", None, "worker_max_rss_kb"),
                ("peak PSS, one worker", "worker_max_pss_kb", None, "worker_max_pss_kb"),
                ("peak RSS, nginx + workers, W1-W3", "nginx_workers_rss_kb", load, "nginx_workers_load_rss_kb"),
                ("peak RSS, nginx + workers", "nginx_workers_rss_kb", None, "nginx_workers_rss_kb"),
                ("peak PSS, nginx + workers", "nginx_workers_pss_kb", None, "nginx_workers_pss_kb"),
                ("peak RSS, nginx", "nginx_rss_kb", None, "nginx_rss_kb")]
    peaks, by_phase = memory["peaks"], memory["by_phase"]
    for label, key, phases, field in mem_rows:
        if phases is None:
            vals = {k: (peaks.get(k, {}).get(key, {}).get("kb", 0) / 1024 or None) for k in kinds}
        else:
            vals = {k: (max((v.get(key, 0) for ph, v in by_phase.get(k, {}).items() if phases(ph)), default=0) / 1024
                        or None) for k in kinds}
        if any(v for v in vals.values()):
            rows.append({"row": label, "point": "MEM", "field": field, "unit": "MB", "better": "low", "medians": vals,
                         "phase_of_peak": {k: peaks.get(k, {}).get(key, {}).get("phase") for k in kinds}
                         if phases is None else None, "extrapolated": {}})
    for row in rows:
        m = row["medians"]
        row["ratios"] = {k: ratio(m.get("ours"), m.get(k), row["better"]) for k in kinds if k != "ours"} \
            if row["better"] != "info" else {}
        if row["point"].startswith("W1 ") and row["field"] == "rps" and m.get("echo"):
            row["share_of_echo"] = m["ours"] / m["echo"] if m.get("ours") else None
        if row["point"] == "MEM" and "tree" not in row["field"]:
            row["ratios"] = {}  # per-role figures exist for ours (and nginx for echo) only
    return rows


TARGETS = [
    # (description, point, field, predicate on the value of ours, or on the row)
    ("W1 c=8 >= 4,000 req/s", "W1 c=8", "rps", lambda v, row: v >= 4000),
    ("W1 c=8 >= 60% of the echo ceiling", "W1 c=8", "rps", lambda v, row: (row.get("share_of_echo") or 0) >= 0.6),
    ("W2 >= 100,000 metrics/s (c=8)", "W2 c=8", "metrics_per_s", lambda v, row: v >= 100_000),
    ("W3 >= 3,000 req/s", "W3 c=8", "rps", lambda v, row: v >= 3000),
    ("W4 REST <= 0.25 s for 100,000 points", "W4 REST", "seconds", lambda v, row: v <= 0.25),
    ("one worker <= 30 MB RSS under load (W1-W3)", "MEM", "worker_load_rss_kb", lambda v, row: v <= 30),
    ("one worker <= 30 MB RSS, whole run (W4 answers are 100k points)", "MEM", "worker_max_rss_kb",
     lambda v, row: v <= 30),
    ("nginx + two workers <= 80 MB RSS under load (W1-W3)", "MEM", "nginx_workers_load_rss_kb", lambda v, row: v <= 80),
    ("nginx + two workers <= 80 MB RSS, whole run", "MEM", "nginx_workers_rss_kb", lambda v, row: v <= 80),
]


def check_targets(rows: list[dict]) -> list[dict]:
    out = []
    for desc, pid, field, pred in TARGETS:
        row = next((r for r in rows if r["point"] == pid and r["field"] == field), None)
        if row is None or row["medians"].get("ours") is None:
            continue
        v = row["medians"]["ours"]
        out.append({"target": desc, "ours": v, "met": bool(pred(v, row))})
    for row in rows:
        if row["point"] == "MEM" or row["field"] in ("p50_ms", "p99_ms"):
            continue
        for k, need in (("fasttrackml", 5), ("mlflow", 50)):
            r = row["ratios"].get(k)
            if r is not None:
                out.append({"target": f"{row['row']}: >= {need}x {LABELS[k]}", "ours": round(r, 1), "met": r >= need})
    return out


def print_table(rows: list[dict], kinds: list[str]) -> None:
    others = [k for k in kinds if k not in ("ours",)]
    head = f"{'workload':<34} {'unit':<9}" + "".join(f" {LABELS[k]:>12}" for k in kinds) + \
        "".join(f" {'x' + LABELS[k]:>13}" for k in others if k != "echo") + (f" {'of echo':>8}" if "echo" in kinds else "")
    print(head)
    print("-" * len(head))
    for row in rows:
        m = row["medians"]
        cells = ""
        for k in kinds:
            c = fmt(m.get(k), row["unit"])
            if row["extrapolated"].get(k):
                c += "*"
            cells += f" {c:>12}"
        for k in others:
            if k == "echo":
                continue
            r = row["ratios"].get(k)
            cells += f" {('%.1fx' % r) if r else '-':>13}"
        if "echo" in kinds:
            s = row.get("share_of_echo")
            cells += f" {('%.0f%%' % (s * 100)) if s else '':>8}"
        print(f"{row['row']:<34} {row['unit']:<9}{cells}")
    print("(* extrapolated from a time-bounded part of the workload; x = how many times ours is better)")


# ----------------------------------------------------------------------------- main

def versions(kinds: list[str]) -> dict:
    def out(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            return (p.stdout + p.stderr).strip().splitlines()[0] if (p.stdout + p.stderr).strip() else ""
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
    v = {"wrk": out(["wrk", "-v"]), "nginx": out(["nginx", "-v"]), "python": platform.python_version(),
         "sqlite_python": sqlite3.sqlite_version,
         "ours_binary_sha256_16": hashlib.sha256(OUR_BINARY.read_bytes()).hexdigest()[:16],
         "ours_git_head": out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])}
    if "mlflow" in kinds:
        v["mlflow_reference"] = out([str(REFERENCE_MLFLOW), "--version"])
    if "fasttrackml" in kinds:
        v["fasttrackml"] = out([str(FASTTRACKML_BIN), "--version"])
    return v


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "platform": platform.platform()}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            info["mem_total_kb"] = int(line.split()[1])
    return info


def our_durability(server: OurServer) -> str:
    children = MemorySampler._children()
    for pid in MemorySampler.tree(server.proc.pid, children):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and b"--durability" in argv:
            return argv[argv.index(b"--durability") + 1].decode()
    return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="W1,W2,W3,W4,W6", help="workloads, comma-separated (default all)")
    ap.add_argument("--repeat", type=int, default=1, help="passes over every point (medians are reported)")
    ap.add_argument("--duration", type=float, default=10, help="seconds per wrk point (default 10)")
    ap.add_argument("--skip-reference", action="store_true", help="no reference `mlflow server`")
    ap.add_argument("--skip-fasttrackml", action="store_true", help="no FastTrackML")
    ap.add_argument("--skip-echo", action="store_true", help="no echo ceiling")
    ap.add_argument("--workers", type=int, default=1, help="mlflow-fcgi worker processes (default 1, as `mlflow-fcgi up`)")
    ap.add_argument("--durability", choices=["full", "normal"], default="full",
                    help="mlflow-fcgi's --durability (default full, its default; normal skips the fsync per "
                         "commit, as FastTrackML does, for a like-for-like comparison)")
    ap.add_argument("--w4-repeat", type=int, default=5, help="timed get-history calls per W4 point")
    ap.add_argument("--w4-max-seconds", type=float, default=60, help="time bound of one W4 point")
    ap.add_argument("--w6-max-seconds", type=float, default=120, help="time bound of one W6 metric loop")
    ap.add_argument("--fill-max-seconds", type=float, default=300, help="time bound of the W4 data fill per server")
    ap.add_argument("--keep", action="store_true", help="keep the databases (bench/results/perf-<time>/)")
    args = ap.parse_args()
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    unknown = only - {"W1", "W2", "W3", "W4", "W6"}
    if unknown:
        ap.error(f"unknown workloads {sorted(unknown)} (W1, W2, W3, W4, W6)")
    if args.repeat < 1 or args.duration <= 0:
        ap.error("--repeat and --duration must be positive")
    for tool in ("wrk", "nginx", "cc"):
        if shutil.which(tool) is None:
            ap.error(f"{tool} is not installed (apt-get install wrk nginx gcc libfcgi-dev)")

    kinds = ["ours"]
    if not args.skip_echo and "W1" in only:
        kinds.append("echo")
    if not args.skip_fasttrackml:
        kinds.append("fasttrackml")
    if not args.skip_reference:
        kinds.append("mlflow")
    points = [dict(p, servers=[k for k in p["servers"] if k in kinds]) for p in plan(only)]

    started = datetime.now(timezone.utc)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    data = RESULTS / f"perf-{stamp}"
    report: dict = {"started": started.isoformat(timespec="seconds"), "machine": machine(),
                    "load_avg_at_start": os.getloadavg(), "versions": versions(kinds),
                    "parameters": {"only": sorted(only), "repeat": args.repeat, "duration_s": args.duration,
                                   "workers_ours": args.workers, "threads_per_worker_ours": 8,
                                   "echo_layout": "2 processes x 4 FCGX_Accept_r threads",
                                   "servers": kinds, "w4_repeat": args.w4_repeat},
                    "results": []}
    log(f"servers: {', '.join(LABELS[k] for k in kinds)}; workloads {sorted(only)}; {args.repeat} pass(es); "
        f"load average {os.getloadavg()[0]:.2f}")

    report["fsync_at_start"] = fsync_probe(data)
    fs = report["fsync_at_start"]
    log(f"disk: 4 KiB write + fdatasync p50 {fs['overwrite']['p50_us']:.0f} us overwriting, "
        f"{fs['append']['p50_us']:.0f} us appending (p90 {fs['overwrite']['p90_us']:.0f} / {fs['append']['p90_us']:.0f} us)")
    servers: dict[str, Server] = {}
    sampler = None
    try:
        for k in kinds:
            folder = data / k
            s = {"ours": lambda: OurServer(folder, workers=args.workers, extra_args=["--durability", args.durability]), "echo": lambda: EchoServer(folder),
                 "fasttrackml": lambda: FastTrackMLServer(folder), "mlflow": lambda: ReferenceServer(folder)}[k]()
            log(f"starting {LABELS[k]}")
            s.start()
            servers[k] = s
        for k, s in servers.items():
            waited = s.wait_idle(window_s=1.0)
            log(f"{LABELS[k]} on {s.uri}, idle after {waited:.0f} s")
        if "ours" in servers:
            report["durability_ours"] = our_durability(servers["ours"])
            log(f"mlflow-fcgi durability: {report['durability_ours']}")

        sampler = MemorySampler(servers)
        sampler.start()
        time.sleep(1)
        report["memory_idle"] = json.loads(json.dumps(sampler.peaks))

        sampler.phase = "prepare"
        prep: dict[str, dict] = {}
        for k, s in servers.items():
            if k == "echo":
                continue
            t0 = time.monotonic()
            prep[k] = prepare(k, s, data / k, only, args.fill_max_seconds)
            log(f"{LABELS[k]}: data ready in {time.monotonic() - t0:.0f} s"
                + (f" (W4 fill: {prep[k]['w4_points']:,} points, {prep[k]['w4_fill_metrics_per_s']:,} metrics/s "
                   f"in serial batches of 1000)" if "w4_run" in prep[k] else ""))
            s.wait_idle(window_s=1.0, timeout_s=60)
        report["prepared"] = prep

        for pass_no in range(args.repeat):
            log(f"pass {pass_no + 1}/{args.repeat}, load average {os.getloadavg()[0]:.2f}")
            for i, point in enumerate(points):
                order = point["servers"]
                shift = (pass_no + i) % len(order)
                order = order[shift:] + order[:shift]
                for k in order:
                    sampler.phase = f"{point['id']}"
                    t0 = time.monotonic()
                    res = measure(point, k, servers[k], prep, args, pass_no)
                    report["results"].append({"pass": pass_no, "point": point["id"], "server": k, "result": res,
                                              "wall_s": round(time.monotonic() - t0, 1),
                                              "load_avg": os.getloadavg()[0]})
                    log(f"  {point['id']:<10} {LABELS[k]:<12} {summary_line(point, res)}")
                    sampler.phase = f"after {point['id']}"
                    servers[k].wait_idle(window_s=1.0, timeout_s=60)
        sampler.stop()
        report["memory_peaks"] = sampler.peaks
        report["memory_by_phase"] = sampler.by_phase
        report["memory_samples"] = sampler.samples
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        for k, s in servers.items():
            s.stop()

    report["load_avg_at_end"] = os.getloadavg()
    report["fsync_at_end"] = fsync_probe(data)
    table = build_table(report["results"], {"peaks": report["memory_peaks"], "by_phase": report["memory_by_phase"]},
                        kinds)
    report["table"] = table
    report["targets"] = check_targets(table)

    print()
    print(f"mlflow-fcgi {report['versions']['ours_git_head']} (durability {report.get('durability_ours', '?')}, "
          f"{args.workers} worker(s) x 8 threads) | {report['machine'].get('cpu', '?')}, nproc {report['machine']['nproc']} | "
          f"load average {report['load_avg_at_start'][0]:.2f} at start, {report['load_avg_at_end'][0]:.2f} at end | "
          f"{args.repeat} pass(es), medians, {args.duration:g} s per wrk point")
    fs0, fs1 = report["fsync_at_start"], report["fsync_at_end"]
    print(f"disk, 4 KiB write + fdatasync p50 (overwrite / append): {fs0['overwrite']['p50_us']:.0f} / "
          f"{fs0['append']['p50_us']:.0f} us at start, {fs1['overwrite']['p50_us']:.0f} / {fs1['append']['p50_us']:.0f} us at end")
    print()
    print_table(table, kinds)
    print()
    for t in report["targets"]:
        print(f"{'MET ' if t['met'] else 'MISS'} {t['target']} (ours: {t['ours']:,.2f})")
    errors = [r for r in report["results"] if any(r["result"].get("errors", {}).values())]
    for r in errors:
        print(f"note: {r['point']} {LABELS[r['server']]} pass {r['pass'] + 1}: errors {r['result']['errors']}")

    out = RESULTS / f"perf-{stamp}.json"
    out.write_text(json.dumps(report, indent=1, default=str))
    print(f"\nwritten {out.relative_to(REPO)}")
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
