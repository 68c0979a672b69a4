"""What the Python throughput drivers share: the payments to refund, failures on stderr, and
the timed run with its one JSON result line (see README.md)."""
import csv
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

env = os.environ.get
MAX_ERRORS_SHOWN = 5

_errors_shown = 0
_errors_lock = threading.Lock()


def payments():
    """PAYMENTS_FILE's rows (payment, order_ref, total_minor, currency), the first LIMIT only."""
    with open(env("PAYMENTS_FILE"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows[: int(env("LIMIT"))] if env("LIMIT") else rows


def complain(what):
    """Failures go to stderr (stdout carries only the result line), the first few only."""
    global _errors_shown
    with _errors_lock:
        _errors_shown += 1
        if _errors_shown <= MAX_ERRORS_SHOWN:
            print(what, file=sys.stderr, flush=True)


def run(sdk, version, refund_one):
    """Refunds every payment with THREADS threads, `refund_one(refund_id, row) -> bool` each, the
    refund ids <RUN_TAG>-<row index>; prints the result line and exits 0 only if all were
    accepted. Only the refunds are timed: the caller builds its client before."""
    threads = int(env("THREADS", "1"))
    tag = env("RUN_TAG", "sdk")
    rows = payments()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda job: refund_one(f"{tag}-{job[0]}", job[1]),
                                enumerate(rows)))
    seconds = time.perf_counter() - started
    ok = sum(results)
    print(json.dumps({"sdk": sdk, "version": version, "threads": threads,
                      "refunds": len(rows), "ok": ok, "seconds": round(seconds, 3),
                      "per_second": round(ok / seconds, 1) if seconds else 0.0}), flush=True)
    sys.exit(0 if rows and ok == len(rows) else 1)
