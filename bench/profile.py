"""Where the time goes: a system-wide CPU profile (perf, cpu-clock) of one bench/perf.py workload
against our stack.

    .venv-reference/bin/python bench/profile.py                          # W1 log-metric, 8 connections
    .venv-reference/bin/python bench/profile.py --point W3 --durability normal

Starts `mlflow-fcgi up` (1 worker x 8 threads, as `up` by default) on a fresh database, writes the workload's data
through the API (as perf.py does), warms up for 2 s, then runs wrk for --duration seconds while
`perf record -e cpu-clock -a` samples both cores (kernel and user space; `apt-get install
linux-perf`; hardware counters are not needed). Prints wrk's result and:
  1. the share of all CPU samples per command: `swapper` is idle time. A capped throughput with
     idle CPUs means the requests wait (fsync, the write lock), not compute;
  2. per shared object (libsqlite3, libswiftCore, Foundation, the kernel, ...) for our workers;
  3. the top symbols of our workers, of nginx, and of the whole machine.
The perf.data file stays in the printed folder (bench/results/profile-<time>/) for `perf report`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf  # noqa: E402
from servers import REPO, OurServer  # noqa: E402


def report(data: Path, *extra: str, lines: int = 40) -> str:
    p = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--percent-limit", "0.5",
                        *extra], capture_output=True, text=True, timeout=300)
    out = [ln for ln in p.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    return "\n".join(out[:lines])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--point", choices=["W1", "W2", "W3"], default="W1")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--durability", choices=["full", "normal"], default="full")
    ap.add_argument("--top", type=int, default=25, help="symbols per list")
    ap.add_argument("--call-graph", action="store_true",
                    help="record call chains (frame pointers) and add the inclusive time of our workers' functions")
    args = ap.parse_args()

    folder = perf.RESULTS / f"profile-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    server = OurServer(folder / "ours", extra_args=["--durability", args.durability])
    with server:
        server.wait_idle(window_s=1.0)
        prep = perf.prepare("ours", server, folder / "ours", {args.point}, 300)
        if args.point == "W1":
            wrk_args = ["log-metric", prep["w1_runs_file"]]
        elif args.point == "W2":
            wrk_args = ["log-batch", prep["w2_runs_file"]]
        else:
            wrk_args = ["get", f"{perf.API}/runs/get?run_id={prep['w3_run']}"]
        stamp = lambda: [str(int(time.time() * 1000))] if args.point != "W3" else []  # noqa: E731
        perf.run_wrk(server.uri, args.connections, 2, wrk_args + stamp())  # warm-up
        data = folder / "perf.data"
        rec = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-a", "-o", str(data),
                                *(["--call-graph", "fp"] if args.call_graph else []), "--",
                                "sleep", str(args.duration)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        res = perf.run_wrk(server.uri, args.connections, args.duration, wrk_args + stamp())
        rec.wait(timeout=args.duration + 60)
    print(f"{args.point} at {args.connections} connections, durability {args.durability}, load average "
          f"{perf.os.getloadavg()[0]:.2f}: {perf.summary_line({}, res)}")
    print(f"per request: {2 * args.duration / max(res['ok_requests'], 1) * 1e6:.0f} us of CPU time available "
          f"(2 cores), {res['ok_requests']:,} requests\n")
    print("== share of all CPU samples per command (swapper = idle)")
    print(report(data, "--sort", "comm", lines=15))
    print("\n== our workers, per shared object")
    print(report(data, "--comms", "mlflow-fcgi", "--sort", "dso", lines=15))
    print(f"\n== our workers, top {args.top} symbols")
    print(report(data, "--comms", "mlflow-fcgi", "--sort", "dso,sym", lines=args.top))
    print(f"\n== nginx, top {min(args.top, 15)} symbols")
    print(report(data, "--comms", "nginx", "--sort", "dso,sym", lines=min(args.top, 15)))
    if args.call_graph:
        print(f"\n== our workers, inclusive time (children), top {args.top} functions of the mlflow-fcgi binary")
        p = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--children", "--comms", "mlflow-fcgi",
                            "--dsos", "mlflow-fcgi", "--sort", "sym", "-g", "none", "--percent-limit", "0.5"],
                           capture_output=True, text=True, timeout=300)
        print("\n".join([ln[:160] for ln in p.stdout.splitlines() if ln.strip() and not ln.startswith("#")][:args.top]))
    print(f"\n== whole machine, top {args.top} symbols")
    print(report(data, "--sort", "comm,dso,sym", lines=args.top))
    print(f"\nperf data: {data.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
