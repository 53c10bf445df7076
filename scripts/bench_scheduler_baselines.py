#!/usr/bin/env python3
"""Baselines and report for scripts/bench-scheduler.

`run`: schedules the DAG written by `weft-bench overhead` (dependencies by index, priorities) with
  * the original platform's algorithm as a plain asyncio loop: take the ready set, sort it by priority, cut it into
    batches of `max_parallel` (5), `asyncio.gather` each batch of no-op coroutines, repeat. Readiness is tracked by
    counting unmet dependencies (the generous version: rescanning every task each round would be quadratic);
  * Dask's local schedulers on the same graph of no-op functions: synchronous (`dask.get`) and threaded
    (`dask.threaded.get`, default pool);
  and writes wall time per task (median of `--runs`).

`report`: joins the Swift and Python results into a markdown table and `out/bench-scheduler.json`.
"""

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time


def load_dag(path):
    with open(path) as f:
        dag = json.load(f)
    return dag["tasks"], dag["deps"], dag["priority"], dag["max_parallel"]


async def noop(task):
    return task


async def batch_loop(n, deps, priority, batch_size):
    dependents = [[] for _ in range(n)]
    unmet = [0] * n
    for task, task_deps in enumerate(deps):
        unmet[task] = len(task_deps)
        for dep in task_deps:
            dependents[dep].append(task)
    ready = [task for task in range(n) if unmet[task] == 0]
    done = 0
    while ready:
        ready.sort(key=lambda task: (-priority[task], task))
        current, ready = ready, []
        for start in range(0, len(current), batch_size):
            for task in await asyncio.gather(*(noop(t) for t in current[start:start + batch_size])):
                done += 1
                for dependent in dependents[task]:
                    unmet[dependent] -= 1
                    if unmet[dependent] == 0:
                        ready.append(dependent)
    return done


def noop_fn(*_):
    return None


def dask_graph(n, deps):
    graph = {f"t{task}": (noop_fn, *[f"t{dep}" for dep in task_deps]) for task, task_deps in enumerate(deps)}
    has_dependent = [False] * n
    for task_deps in deps:
        for dep in task_deps:
            has_dependent[dep] = True
    sinks = [f"t{task}" for task in range(n) if not has_dependent[task]]
    return graph, sinks


def median_us_per_task(n, runs, body):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6 / n


def run(args):
    n, deps, priority, max_parallel = load_dag(args.dag)
    result = {"tasks": n, "runs": args.runs, "python": platform.python_version()}

    def asyncio_loop():
        done = asyncio.run(batch_loop(n, deps, priority, max_parallel))
        assert done == n, f"asyncio loop completed {done} of {n}"

    result["asyncio_batch_loop_us_per_task"] = median_us_per_task(n, args.runs, asyncio_loop)
    print(f"python asyncio batch loop: {result['asyncio_batch_loop_us_per_task']:.3f} µs/task", flush=True)

    try:
        import dask
        import dask.threaded
    except ImportError:
        print("dask is not installed: skipping the Dask baselines", file=sys.stderr)
    else:
        result["dask"] = dask.__version__
        # The graph is built once outside the timing, like the Swift graph.
        graph, sinks = dask_graph(n, deps)
        result["dask_sync_us_per_task"] = median_us_per_task(n, args.runs, lambda: dask.get(graph, sinks))
        print(f"dask sync: {result['dask_sync_us_per_task']:.3f} µs/task", flush=True)
        result["dask_threaded_us_per_task"] = median_us_per_task(
            n, args.runs, lambda: dask.threaded.get(graph, sinks))
        print(f"dask threaded: {result['dask_threaded_us_per_task']:.3f} µs/task", flush=True)

    with open(args.json, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)


def report(args):
    with open(args.overhead) as f:
        swift = json.load(f)
    with open(args.python) as f:
        python = json.load(f)
    with open(args.makespan) as f:
        makespan = json.load(f)

    loop = python["asyncio_batch_loop_us_per_task"]
    rows = [
        ("Weft EAGER (scheduler, inline driver)", swift["eager_us_per_task"]),
        ("Weft BATCH (scheduler, inline driver)", swift["batch_us_per_task"]),
        ("Weft EAGER (task group, one child task per task)", swift["eager_task_group_us_per_task"]),
        ("Weft BATCH (task group, one child task per task)", swift["batch_task_group_us_per_task"]),
        ("Weft plan (SubmitWorkflow), EAGER", swift["eager_plan_us_per_task"]),
        ("Weft validate + build graph (not scheduling; for scale)", swift["validate_and_build_us_per_task"]),
        ("Python asyncio batch loop (original algorithm)", loop),
    ]
    if "dask_sync_us_per_task" in python:
        rows += [
            (f"Dask {python['dask']} sync (dask.get)", python["dask_sync_us_per_task"]),
            (f"Dask {python['dask']} threaded", python["dask_threaded_us_per_task"]),
        ]
    lines = [
        f"### (a) Scheduler overhead: {swift['tasks']:,} no-op tasks, {swift['edges']:,} edges, "
        f"max_parallel {swift['max_parallel']}, median of {swift['runs']}",
        "",
        "| scheduler | µs/task | Python loop ÷ this |",
        "|---|---:|---:|",
    ]
    for name, value in rows:
        ratio = loop / value
        shown = f"{ratio:.1f}" if ratio >= 10 else f"{ratio:.2f}"
        lines.append(f"| {name} | {value:.3f} | {shown}× |")
    target_ok = max(swift["eager_us_per_task"], swift["batch_us_per_task"]) <= 3 and \
        loop / max(swift["eager_us_per_task"], swift["batch_us_per_task"]) >= 3
    verdict = "met" if target_ok else "NOT met"
    lines += ["", f"Target ≤ 3 µs/task and ≥ 3× faster than the Python loop: {verdict}.", ""]

    lines += [
        f"### (b) Makespan: {makespan['dags']:,} random layered DAGs (20–200 tasks), max_parallel "
        f"{makespan['max_parallel']}, virtual time",
        "",
        "| durations | EAGER/BATCH mean | median | worst | EAGER loses | EAGER/bound mean | EAGER/bound worst "
        "| BATCH/bound mean |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for model in ("lognormal", "pareto"):
        m = makespan[model]
        lines.append(
            f"| {model} | {m['eager_over_batch_mean']:.3f} | {m['eager_over_batch_median']:.3f} "
            f"| {m['eager_over_batch_worst']:.3f} | {m['eager_loses']}/{makespan['dags']} "
            f"| {m['eager_over_lower_bound_mean']:.3f} | {m['eager_over_lower_bound_worst']:.3f} "
            f"| {m['batch_over_lower_bound_mean']:.3f} |")
    search = makespan.get("anomaly_search")
    if search:
        lines += [
            "",
            f"Anomaly search: {search['dags']:,} small DAGs ({search['tasks']} tasks, max_parallel "
            f"{search['max_parallel']}): EAGER loses on {search['eager_loses']}, worst EAGER/BATCH "
            f"{search['worst_ratio']:.3f}.",
        ]
        if "worst_example" in search:
            lines += ["", "Why: " + search["worst_example"]["why"] + "."]
    text = "\n".join(lines)
    print(text)

    combined = {"overhead": {"swift": swift, "python": python}, "makespan": makespan, "markdown": text}
    with open(args.out, "w") as f:
        json.dump(combined, f, indent=2, sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run")
    run_parser.add_argument("--dag", required=True)
    run_parser.add_argument("--runs", type=int, default=3)
    run_parser.add_argument("--json", required=True)
    report_parser = commands.add_parser("report")
    report_parser.add_argument("--overhead", required=True)
    report_parser.add_argument("--python", required=True)
    report_parser.add_argument("--makespan", required=True)
    report_parser.add_argument("--out", required=True)
    args = parser.parse_args()
    run(args) if args.command == "run" else report(args)


if __name__ == "__main__":
    main()
