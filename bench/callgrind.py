"""Instruction-level profile of one mlflow-fcgi worker under valgrind's callgrind, driven through
nginx by the bench/perf.py request shapes.

    .venv-reference/bin/python bench/callgrind.py                 # W1 log-metric, 1 connection, 20 s
    .venv-reference/bin/python bench/callgrind.py --point W3 --seconds 30    # or W2 (log-batch of 1000)

Creates a fresh database (`mlflow-fcgi migrate`), runs `valgrind --tool=callgrind mlflow-fcgi serve
--socket S --threads 1` behind nginx rendered from our template, writes the workload's data
through the API, zeroes the counters (callgrind_control -z), drives the worker with wrk at one
connection for --seconds, dumps the counters and prints the functions with the most inclusive
and self instructions (names demangled with `swift demangle --simplified`), and the instructions
per request. Instruction counts, not time: fsync and lock waits cost no instructions (see
bench/profile.py for wall-clock and kernel time). The callgrind.out file stays in the printed folder.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf  # noqa: E402
from servers import OUR_BINARY, REPO, NginxWorkerServer, OurServer  # noqa: E402


class CallgrindWorker(NginxWorkerServer):
    name = "callgrind-worker"
    health_timeout_s = 120.0

    def __init__(self, data_dir, durability: str):
        super().__init__(data_dir)
        self.durability = durability

    @property
    def out_file(self) -> Path:
        return self.data / "callgrind.out"

    def worker_command(self) -> list[str]:
        return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.out_file}", "--dump-instr=no",
                str(OUR_BINARY), "serve", "--socket", str(self.socket_path), "--threads", "1",
                "--database", str(self.database), "--durability", self.durability,
                "--artifacts-root", str(self.data / "artifacts"), "--log-level", "warning"]


def demangle(text: str) -> str:
    if shutil.which("swift") is None:
        return text
    p = subprocess.run(["swift", "demangle", "--simplified"], input=text, capture_output=True, text=True, timeout=120)
    return p.stdout if p.returncode == 0 else text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--point", choices=["W1", "W2", "W3"], default="W1")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--durability", choices=["full", "normal"], default="full")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        ap.error("valgrind is not installed (apt-get install valgrind)")

    folder = perf.RESULTS / f"callgrind-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True)
    server = CallgrindWorker(folder, args.durability)
    OurServer.migrate(server.database)
    with server:
        prep = perf.prepare("ours", server, folder, {args.point}, 300)
        worker = next(int(pid) for pid in subprocess.run(["pgrep", "-g", str(server.proc.pid), "-f", "callgrind"],
                                                         capture_output=True, text=True).stdout.split())
        subprocess.run(["callgrind_control", "-z", str(worker)], check=True, capture_output=True, timeout=60)
        if args.point == "W1":
            wrk_args = ["log-metric", prep["w1_runs_file"], str(int(time.time() * 1000))]
        elif args.point == "W2":
            wrk_args = ["log-batch", prep["w2_runs_file"], str(int(time.time() * 1000))]
        else:
            wrk_args = ["get", f"{perf.API}/runs/get?run_id={prep['w3_run']}"]
        res = perf.run_wrk(server.uri, 1, args.seconds, wrk_args)
        subprocess.run(["callgrind_control", "-d", str(worker)], check=True, capture_output=True, timeout=120)
    dumps = sorted(folder.glob("callgrind.out*"), key=lambda p: p.stat().st_mtime)
    dump = next((d for d in dumps if re.search(r"\.\d+$", d.name)), dumps[-1])
    requests_done = res["ok_requests"]
    print(f"{args.point} through nginx to one worker under callgrind (1 thread, durability {args.durability}): "
          f"{requests_done:,} requests in {args.seconds:g} s")
    for inclusive in (True, False):
        p = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", str(dump)],
                           capture_output=True, text=True, timeout=300)
        lines = p.stdout.splitlines()
        total = next((ln for ln in lines if "PROGRAM TOTALS" in ln), "")
        if inclusive and total:
            ir = int(total.split()[0].replace(",", ""))
            print(f"instructions: {ir:,} in total, {ir / max(requests_done, 1):,.0f} per request\n")
        start = next((i for i, ln in enumerate(lines) if ln.startswith("Ir") and "file:function" in ln), None)
        body = [ln for ln in lines[start + 1:] if ln.strip() and not ln.startswith("-")] if start is not None else lines
        print(f"== top {args.top} by {'inclusive' if inclusive else 'self'} instructions")
        print("\n".join(ln[:200] for ln in demangle("\n".join(body[:args.top])).splitlines()))
        print()
    print(f"callgrind data: {dump.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
