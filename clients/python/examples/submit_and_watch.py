#!/usr/bin/env python3
"""Submits a workflow of two render tasks (see render_worker.py) and prints its events until it ends."""

from __future__ import annotations

import argparse
import json
from typing import Any

from weft.client import Client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--queue", default="render")
    args = parser.parse_args()
    greeting = {"files": [{"name": "hello.txt", "template": "Hello $name!\n", "values": {"name": "Ada"}}]}
    report = {"files": [{"name": "report.md", "template": "# $title\n\n$body\n",
                         "values": {"title": "Weft", "body": "Rendered by a Python worker."}}]}
    tasks: list[dict[str, Any]] = [
        {"id": "greeting", "type": "docs", "description": "render the greeting", "executor": f"queue:{args.queue}",
         "input": json.dumps(greeting)},
        {"id": "report", "type": "docs", "description": "render the report", "executor": f"queue:{args.queue}",
         "input": json.dumps(report), "depends_on": ["greeting"]},
    ]
    with Client(args.server) as client:
        submitted = client.submit(tasks, description="render two files")
        print(f"workflow {submitted.workflow_id}")
        for event in client.watch(submitted.workflow_id):
            kind = event.WhichOneof("payload")
            detail = ""
            if kind == "task_completed":
                detail = f"{event.task_completed.result.task_id}: {event.task_completed.result.output}"
            elif kind == "task_failed":
                detail = f"{event.task_failed.task_id}: {event.task_failed.error}"
            print(f"{event.sequence:3d} {kind} {detail}")


if __name__ == "__main__":
    main()
