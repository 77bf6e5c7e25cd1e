"""Writers for the load, crash and restart tests: client threads that log metrics, params, tags and
log-batches over HTTP, remember every write the server acknowledged with a 200, and count every
answer; and the check that afterwards finds each acknowledged write in the server.

Every item a writer sends is unique to (client, sequence number), so that the check knows exactly
what must be there:
  metric     key m<c>, step = seq, on the run picked for seq
  param      key p<c>-<seq>
  tag        key t<c>-<seq>
  log-batch  metrics b<c> at steps seq*10 .. seq*10+4, params bp<c>-<seq>-0..2, tag bt<c>-<seq>:
             all of it or none of it may be stored, whether it was acknowledged or not
Writes are safe to repeat (an identical metric point or param is a no-op, a tag an upsert), so a
writer may retry one whose answer it never got.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from dataclasses import dataclass, field

import requests

BATCH_METRICS = 5
BATCH_PARAMS = 3
LOCK_WORDS = ("database is locked", "database table is locked", "sqlite_busy", "busy")


@dataclass
class Batch:
    run: str
    seq: int
    acknowledged: bool = False


@dataclass
class Tally:
    """What one writer saw."""

    statuses: collections.Counter = field(default_factory=collections.Counter)
    connection_errors: int = 0
    retries: int = 0
    lock_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # answers that are wrong whatever happens
    latencies: list[float] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.statuses.update(other.statuses)
        self.connection_errors += other.connection_errors
        self.retries += other.retries
        self.lock_errors += other.lock_errors
        self.failures += other.failures
        self.latencies += other.latencies


class Writer(threading.Thread):
    """One client: cycles metric, param, tag, log-batch over `runs` until `deadline` or
    `max_ops`, or until `stop` is set.

    retry=True: a 5xx or a broken connection is retried (the same write, after 20-50 ms) until it
    is acknowledged or `deadline` + 30 s passes, as the MLflow client does; retry=False: it is a
    failure."""

    def __init__(self, base_uri: str, index: int, runs: list[str], deadline: float, max_ops: int,
                 retry: bool = False, stop: threading.Event | None = None, timeout: float = 30):
        super().__init__(name=f"writer-{index}", daemon=True)
        self.api = base_uri.rstrip("/") + "/api/2.0/mlflow/"
        self.index = index
        self.runs = runs
        self.deadline = deadline
        self.max_ops = max_ops
        self.retry = retry
        self.stop_event = stop or threading.Event()
        self.timeout = timeout
        self.session = requests.Session()
        self.tally = Tally()
        self.metrics: dict[str, set[int]] = collections.defaultdict(set)  # run -> acknowledged steps of m<c>
        self.params: dict[str, set[str]] = collections.defaultdict(set)  # run -> acknowledged param keys
        self.tags: dict[str, dict[str, str]] = collections.defaultdict(dict)  # run -> acknowledged tags
        self.batches: list[Batch] = []
        self.ops = 0

    # -------------------------------------------------------------- one write
    def post(self, path: str, body: dict) -> bool:
        """True when the server acknowledged the write with a 200."""
        give_up = self.deadline + 30
        while True:
            started = time.monotonic()
            try:
                r = self.session.post(self.api + path, json=body, timeout=self.timeout)
            except requests.RequestException as e:
                self.tally.connection_errors += 1
                if not self.retry:
                    self.tally.failures.append(f"{path}: {type(e).__name__}: {e}")
                    return False
                r = None
            else:
                self.tally.latencies.append(time.monotonic() - started)
                self.tally.statuses[r.status_code] += 1
                text = r.text[:300]
                if r.status_code == 200:
                    return True
                if any(word in text.lower() for word in LOCK_WORDS) or "TEMPORARILY_UNAVAILABLE" in text:
                    self.tally.lock_errors.append(f"{path}: {r.status_code} {text}")
                if r.status_code < 500 or not self.retry:
                    self.tally.failures.append(f"{path}: {r.status_code} {text}")
                    return False
            if time.monotonic() > give_up:
                self.tally.failures.append(f"{path}: still failing 30 s after the deadline")
                return False
            self.tally.retries += 1
            time.sleep(random.uniform(0.02, 0.05))

    # -------------------------------------------------------------- the loop
    def run(self) -> None:
        c = self.index
        for seq in range(self.max_ops):
            if self.stop_event.is_set() or time.monotonic() > self.deadline:
                break
            run = self.runs[seq % len(self.runs)]
            kind = seq % 4
            self.ops += 1
            if kind == 0:
                body = {"run_id": run, "key": f"m{c}", "value": seq * 0.5, "timestamp": 1_700_000_000_000 + seq, "step": seq}
                if self.post("runs/log-metric", body):
                    self.metrics[run].add(seq)
            elif kind == 1:
                if self.post("runs/log-parameter", {"run_id": run, "key": f"p{c}-{seq}", "value": str(seq)}):
                    self.params[run].add(f"p{c}-{seq}")
            elif kind == 2:
                if self.post("runs/set-tag", {"run_id": run, "key": f"t{c}-{seq}", "value": str(seq)}):
                    self.tags[run][f"t{c}-{seq}"] = str(seq)
            else:
                batch = Batch(run, seq)
                self.batches.append(batch)
                body = {
                    "run_id": run,
                    "metrics": [
                        {"key": f"b{c}", "value": float(i), "timestamp": 1_700_000_000_000 + seq, "step": seq * 10 + i}
                        for i in range(BATCH_METRICS)
                    ],
                    "params": [{"key": f"bp{c}-{seq}-{i}", "value": str(i)} for i in range(BATCH_PARAMS)],
                    "tags": [{"key": f"bt{c}-{seq}", "value": str(seq)}],
                }
                batch.acknowledged = self.post("runs/log-batch", body)

    def acknowledged_writes(self) -> int:
        return (
            sum(len(s) for s in self.metrics.values())
            + sum(len(s) for s in self.params.values())
            + sum(len(t) for t in self.tags.values())
            + sum(1 for b in self.batches if b.acknowledged)
        )


def run_writers(writers: list[Writer], join_timeout: float) -> Tally:
    for w in writers:
        w.start()
    for w in writers:
        w.join(join_timeout)
    alive = [w.name for w in writers if w.is_alive()]
    assert not alive, f"writers still running after {join_timeout:.0f} s: {alive}"
    total = Tally()
    for w in writers:
        total.add(w.tally)
    return total


# ------------------------------------------------------------------ checking what is stored


def _history(session: requests.Session, api: str, run: str, key: str) -> set[int]:
    steps: set[int] = set()
    token = None
    while True:
        params = {"run_id": run, "metric_key": key, "max_results": 25000}
        if token:
            params["page_token"] = token
        r = session.get(api + "metrics/get-history", params=params, timeout=60)
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        steps |= {int(m["step"]) for m in body.get("metrics", [])}
        token = body.get("next_page_token")
        if not token:
            return steps


@dataclass
class Check:
    acknowledged: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged writes not stored
    half_applied: list[str] = field(default_factory=list)  # log-batches stored in part
    batches: int = 0
    batches_acknowledged: int = 0
    batches_stored_unacknowledged: int = 0


def check_stored(base_uri: str, writers: list[Writer]) -> Check:
    """Reads every run back and compares it with what the writers were told was stored."""
    api = base_uri.rstrip("/") + "/api/2.0/mlflow/"
    session = requests.Session()
    result = Check()
    runs = sorted({run for w in writers for run in w.runs})
    data: dict[str, tuple[set[str], dict[str, str]]] = {}
    for run in runs:
        r = session.get(api + "runs/get", params={"run_id": run}, timeout=60)
        assert r.status_code == 200, r.text[:300]
        d = r.json()["run"]["data"]
        data[run] = ({p["key"] for p in d.get("params", [])}, {t["key"]: t["value"] for t in d.get("tags", [])})
    for w in writers:
        c = w.index
        result.acknowledged += w.acknowledged_writes()
        for run in w.runs:
            params, tags = data[run]
            stored_steps = _history(session, api, run, f"m{c}")
            batch_steps = _history(session, api, run, f"b{c}")
            result.lost += [f"metric m{c} step {s} on {run}" for s in sorted(w.metrics[run] - stored_steps)]
            result.lost += [f"param {k} on {run}" for k in sorted(w.params[run] - params)]
            result.lost += [f"tag {k} on {run}" for k, v in w.tags[run].items() if tags.get(k) != v]
            for b in (b for b in w.batches if b.run == run):
                result.batches += 1
                parts = [b.seq * 10 + i in batch_steps for i in range(BATCH_METRICS)]
                parts += [f"bp{c}-{b.seq}-{i}" in params for i in range(BATCH_PARAMS)]
                parts += [tags.get(f"bt{c}-{b.seq}") == str(b.seq)]
                if any(parts) and not all(parts):
                    result.half_applied.append(f"log-batch {b.seq} of client {c} on {run}: {parts}")
                if b.acknowledged:
                    result.batches_acknowledged += 1
                    if not all(parts):
                        result.lost.append(f"log-batch {b.seq} of client {c} on {run}")
                elif all(parts):
                    result.batches_stored_unacknowledged += 1
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, tally: Tally, check: Check | None, seconds: float, **extra) -> str:
    """One line of numbers for the test log (pytest -s, or the junit XML's system-out)."""
    parts = [f"{name}: {seconds:.1f} s"]
    parts += [f"{k}={v}" for k, v in extra.items()]
    total = sum(tally.statuses.values())
    parts.append(f"responses={total} ({dict(sorted(tally.statuses.items()))})")
    parts.append(f"req/s={total / seconds:.0f}" if seconds else "")
    parts.append(f"p50={percentile(tally.latencies, 0.5) * 1000:.1f}ms p99={percentile(tally.latencies, 0.99) * 1000:.1f}ms")
    parts.append(f"connection_errors={tally.connection_errors} retries={tally.retries} lock_errors={len(tally.lock_errors)}")
    if check is not None:
        parts.append(
            f"acknowledged={check.acknowledged} lost={len(check.lost)} half_applied={len(check.half_applied)} "
            f"batches={check.batches} (acknowledged {check.batches_acknowledged}, "
            f"stored without acknowledgement {check.batches_stored_unacknowledged})"
        )
    return " ".join(p for p in parts if p)
