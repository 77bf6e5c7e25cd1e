"""Client-library workloads of bench/perf.py, each in a fresh interpreter (the `mlflow` module keeps
global state: tracking URI, active run, cached HTTP sessions). Prints one JSON object.

    .venv-reference/bin/python bench/perf_client.py w6 URI --params 20 --metrics 1000 --max-seconds 180
    .venv-reference/bin/python bench/perf_client.py history URI RUN_ID KEY --repeat 3 --max-seconds 60

w6       the stock fluent client: start_run, PARAMS log_param, METRICS synchronous log_metric
         (step = i), end_run; seconds from start_run to the end of end_run (set_experiment is done
         before the clock starts), and the client process's own CPU seconds in that time. If the metric loop passes --max-seconds it stops early and the
         total is extrapolated from the time per log_metric (`extrapolated: true`).
history  MlflowClient().get_metric_history(run_id, key) (pages of 25,000 points as the client
         sends them), up to --repeat calls within --max-seconds (at least one); checks the count.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def cpu_seconds() -> float:
    """User + system CPU time of this (client) process so far: the client's own share of a workload."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def w6(args) -> dict:
    import mlflow

    mlflow.set_tracking_uri(args.uri)
    mlflow.set_experiment(f"perf-w6-{time.time_ns()}")
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    mlflow.start_run()
    t1 = time.perf_counter()
    for i in range(args.params):
        mlflow.log_param(f"param_{i}", i * 0.5)
    t2 = time.perf_counter()
    done = 0
    for i in range(args.metrics):
        if time.perf_counter() - t0 > args.max_seconds:
            break
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        done += 1
    t3 = time.perf_counter()
    mlflow.end_run()
    t4 = time.perf_counter()
    client_cpu = cpu_seconds() - c0
    per_metric = (t3 - t2) / done if done else float("nan")
    extrapolated = done < args.metrics
    total = (t1 - t0) + (t2 - t1) + per_metric * args.metrics + (t4 - t3) if extrapolated else t4 - t0
    return {"seconds": total, "measured_seconds": t4 - t0, "extrapolated": extrapolated,
            "metrics_logged": done, "params_logged": args.params, "start_run_s": t1 - t0,
            "log_params_s": t2 - t1, "log_metrics_s": t3 - t2, "end_run_s": t4 - t3,
            "per_log_metric_ms": per_metric * 1000, "client_cpu_s": client_cpu, "mlflow_client": mlflow.__version__}


def history(args) -> dict:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=args.uri)
    samples, cpu, count = [], [], None
    deadline = time.monotonic() + args.max_seconds
    for _ in range(args.repeat):
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        points = client.get_metric_history(args.run_id, args.key)
        samples.append(time.perf_counter() - t0)
        cpu.append(cpu_seconds() - c0)
        count = len(points)
        if time.monotonic() > deadline:
            break
    return {"samples_s": samples, "client_cpu_s": cpu, "points": count, "mlflow_client": mlflow.__version__}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("w6")
    a.add_argument("uri")
    a.add_argument("--params", type=int, default=20)
    a.add_argument("--metrics", type=int, default=1000)
    a.add_argument("--max-seconds", type=float, default=180)
    h = sub.add_parser("history")
    h.add_argument("uri")
    h.add_argument("run_id")
    h.add_argument("key")
    h.add_argument("--repeat", type=int, default=3)
    h.add_argument("--max-seconds", type=float, default=60)
    args = ap.parse_args()
    out = w6(args) if args.cmd == "w6" else history(args)
    print("CLIENT_JSON " + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
