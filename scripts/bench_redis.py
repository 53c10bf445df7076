"""Redis mode against in-memory mode, same machine, same run (scripts/bench-redis drives it).

Measures, for each mode:
  * events/s: one workflow of TASKS zero-duration sim tasks (max_parallel 50) watched by one gRPC watcher, from the
    first event to the terminal one (appended and delivered, through Redis in Redis mode);
  * delivery latency: for every event of LATENCY_RUNS workflows of 100 sim tasks of 5 ms run one at a time (events
    a few ms apart), the watcher's receive time minus the event's time_unix_ms (set when the engine created it;
    millisecond resolution, so figures are ±1 ms): p50 and p99;
  * submits/s: SUBMITTERS threads submitting 20-task workflows (sim tasks of 0 ms) for SECONDS seconds;
and in Redis mode the Redis commands per task (INFO commandstats around one workflow, no watcher, cache off),
by command.

Prints a markdown table and writes out/bench-redis.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "clients" / "python"))

import grpc  # noqa: E402

from weft.v1 import workflow_pb2 as pb  # noqa: E402
from weft.v1 import workflow_pb2_grpc as pbg  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(port), *args], check=True, capture_output=True, text=True).stdout


class Weftd:
    def __init__(self, binary: str, redis_url: str | None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="weft-bench-redis-"))
        port_file = self.dir / "port"
        args = [binary, "--listen", "127.0.0.1:0", "--port-file", str(port_file), "--cache", "false",
                "--log-level", "warning"]
        if redis_url:
            args += ["--redis-url", redis_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_") and k != "REDIS_URL"}
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(self.dir / "log", "wb"), env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = port_file.read_text() if port_file.exists() else ""
            if text.endswith("\n"):
                self.address = f"127.0.0.1:{int(text)}"
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("weftd did not start")
        self.channel = grpc.insecure_channel(self.address)
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.stub = pbg.WorkflowServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()
        self.proc.terminate()
        self.proc.wait(timeout=60)


def workflow(tasks: int, parallel: int, duration_ms: int = 0) -> pb.SubmitWorkflowRequest:
    return pb.SubmitWorkflowRequest(
        description="bench", tasks=[pb.TaskSpec(id=f"t{i}", executor="sim", input=json.dumps({"duration_ms": duration_ms}))
                                    for i in range(tasks)],
        options=pb.ExecutionOptions(max_parallel=parallel, cache=pb.CacheOptions(disabled=True)))


def watched_run(server: Weftd, tasks: int, parallel: int = 50, duration_ms: int = 0) -> tuple[int, float, list[float]]:
    """Submits and watches one workflow: (events, seconds first→last event, per-event latency in ms)."""
    wid = server.stub.SubmitWorkflow(workflow(tasks, parallel, duration_ms), timeout=30).workflow_id
    latencies: list[float] = []
    first = last = 0.0
    count = 0
    for event in server.stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid), timeout=600):
        now = time.time()
        if count == 0:
            first = now
        last = now
        count += 1
        latencies.append(now * 1000 - event.time_unix_ms)
    return count, last - first, latencies


def submits_per_second(server: Weftd, seconds: float, submitters: int) -> float:
    stop = time.monotonic() + seconds
    counts = [0] * submitters
    request = workflow(20, 5)

    def submit(index: int) -> None:
        while time.monotonic() < stop:
            server.stub.SubmitWorkflow(request, timeout=30)
            counts[index] += 1

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(submitters)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started)


def wait_idle(server: Weftd, timeout: float = 120) -> None:
    """Waits until no workflow is running (so one measurement does not load the next)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = server.stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=1000,
                                                                 status=pb.WORKFLOW_STATUS_RUNNING), timeout=30)
        if not page.workflows:
            return
        time.sleep(0.2)


def commands_per_task(server: Weftd, redis_port: int, tasks: int) -> dict[str, float]:
    wait_idle(server)
    redis_cli(redis_port, "CONFIG", "RESETSTAT")
    wid = server.stub.SubmitWorkflow(workflow(tasks, 5), timeout=30).workflow_id
    while server.stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=30).status in (
            pb.WORKFLOW_STATUS_PENDING, pb.WORKFLOW_STATUS_RUNNING):
        time.sleep(0.05)
    time.sleep(0.3)  # the writer's last batch
    calls: dict[str, int] = {}
    for line in redis_cli(redis_port, "INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_"):].split(":", 1)
            fields = dict(item.split("=") for item in rest.split(","))
            if name not in ("ping", "config", "info"):
                calls[name] = int(fields["calls"])
    result = {name: count / tasks for name, count in sorted(calls.items())}
    result["total"] = sum(calls.values()) / tasks
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weftd", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--latency-runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--submitters", type=int, default=8)
    args = parser.parse_args()

    results: dict[str, dict[str, float]] = {}
    per_task: dict[str, float] = {}
    for mode in ("memory", "redis"):
        server = Weftd(args.weftd, f"redis://127.0.0.1:{args.redis_port}" if mode == "redis" else None)
        try:
            watched_run(server, 50)  # warm-up
            events, seconds, _ = watched_run(server, args.tasks)
            latencies: list[float] = []
            for _ in range(args.latency_runs):
                # Events a few ms apart (one 5 ms task at a time), so latency is the path, not a backlog.
                latencies += watched_run(server, 100, parallel=1, duration_ms=5)[2]
            wait_idle(server)
            submits = submits_per_second(server, args.seconds, args.submitters)
            results[mode] = {"events": events, "events_per_s": events / seconds,
                             "latency_p50_ms": statistics.median(latencies), "latency_p99_ms": pct(latencies, 0.99),
                             "latency_max_ms": max(latencies), "latency_events": len(latencies),
                             "submits_per_s": submits}
            if mode == "redis":
                per_task = commands_per_task(server, args.redis_port, 200)
        finally:
            server.close()

    memory, redis = results["memory"], results["redis"]
    print("| measure | in-memory | Redis | Redis / in-memory |")
    print("|---|---:|---:|---:|")
    print(f"| events/s appended and delivered to a watcher ({memory['events']:.0f} events) | "
          f"{memory['events_per_s']:,.0f} | {redis['events_per_s']:,.0f} | "
          f"{redis['events_per_s'] / memory['events_per_s']:.0%} |")
    for key, label in (("latency_p50_ms", "creation → delivery p50 (ms)"),
                       ("latency_p99_ms", "creation → delivery p99 (ms)"),
                       ("latency_max_ms", "creation → delivery max (ms)")):
        print(f"| {label} | {memory[key]:.1f} | {redis[key]:.1f} | +{redis[key] - memory[key]:.1f} ms |")
    print(f"| submits/s of a 20-task workflow ({args.submitters} submitters) | {memory['submits_per_s']:,.0f} | "
          f"{redis['submits_per_s']:,.0f} | {redis['submits_per_s'] / memory['submits_per_s']:.0%} |")
    print()
    print("Redis commands per task (one 200-task workflow, no watcher, cache off): " +
          ", ".join(f"{name} {value:.2f}" for name, value in per_task.items()))
    out = REPO / "out"
    out.mkdir(exist_ok=True)
    (out / "bench-redis.json").write_text(json.dumps({"modes": results, "commands_per_task": per_task}, indent=2))


if __name__ == "__main__":
    main()
