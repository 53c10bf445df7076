"""A Python worker process for test_workers.py: `python3 worker_proc.py SERVER QUEUE JOURNAL [SLOTS]`.

Uses the `weft` package as users do (installed with pip, or on PYTHONPATH). Each task's JSON input says what the
attempt does; every step is appended to JOURNAL as one JSON line {"pid", "task", "attempt", "event", ...}, so the
tests can see which process ran which attempt:

    sleep_s       work this long (checking for cancellation every 10 ms); default 0
    sleep_attempts only attempts 1..N work that long; default all
    details       heartbeat these details first
    fail_attempts attempts 1..N raise RuntimeError (retryable) after their work
    raise         the name of a builtin exception every attempt raises (e.g. "ValueError")
    non_retryable raise NonRetryableError instead
    output        the result (default "<task> by <pid>"); "{details}" is replaced by the previous attempt's details
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import threading
import time

from weft.worker import Activity, ActivityCancelled, NonRetryableError, Worker

SERVER, QUEUE, JOURNAL = sys.argv[1], sys.argv[2], sys.argv[3]
SLOTS = int(sys.argv[4]) if len(sys.argv) > 4 else 1
_lock = threading.Lock()


def journal(activity: Activity, event: str, **extra: object) -> None:
    line = json.dumps({"pid": os.getpid(), "task": activity.task_id, "attempt": activity.attempt, "event": event,
                       **extra})
    with _lock, open(JOURNAL, "a") as f:
        f.write(line + "\n")
        f.flush()


def handle(activity: Activity) -> str:
    spec = activity.input_json() or {}
    journal(activity, "started", previous_details=activity.heartbeat_details)
    try:
        if "details" in spec:
            activity.heartbeat(spec["details"])
        sleeps = activity.attempt <= int(spec.get("sleep_attempts", activity.attempt))
        end = time.monotonic() + (float(spec.get("sleep_s", 0)) if sleeps else 0.0)
        while time.monotonic() < end:
            activity.heartbeat()
            time.sleep(0.01)
    except ActivityCancelled as cancelled:
        journal(activity, "cancelled", reason=str(cancelled))
        raise
    if spec.get("non_retryable"):
        raise NonRetryableError(f"attempt {activity.attempt} refuses")
    if "raise" in spec:
        raise getattr(builtins, spec["raise"])(f"attempt {activity.attempt} raised")
    if activity.attempt <= int(spec.get("fail_attempts", 0)):
        journal(activity, "failing")
        raise RuntimeError(f"attempt {activity.attempt} failed on purpose")
    output = str(spec.get("output", f"{activity.task_id} by {os.getpid()}")).replace("{details}",
                                                                                     activity.heartbeat_details)
    journal(activity, "completed", output=output)
    return output


if __name__ == "__main__":
    journal_ready = open(JOURNAL, "a")
    journal_ready.close()
    Worker(SERVER, queue=QUEUE, handler=handle, slots=SLOTS, heartbeat_interval=0.1).run()
