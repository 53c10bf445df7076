#!/usr/bin/env python3
"""A Weft worker that renders files from templates: tasks with executor "queue:render".

Task input (JSON):
    {"files": [{"name": "hello.txt", "template": "Hello $name!", "values": {"name": "Ada"}}, ...]}

Each file is rendered with `string.Template` (missing values fail the task without retry) into the directory given
by --out; the result is a JSON list of {name, bytes, sha256}. The worker heartbeats after each file with the
number of files done, so a retry (after a crash, say) skips the files an earlier attempt already rendered.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import string
from pathlib import Path

from weft.worker import Activity, NonRetryableError, Worker


def make_handler(out_dir: Path):
    def render(activity: Activity) -> list[dict[str, object]]:
        spec = activity.input_json() or {}
        files = spec.get("files")
        if not isinstance(files, list) or not files:
            raise NonRetryableError('input needs "files": a non-empty list of {name, template, values}')
        done = int(activity.heartbeat_details or 0)  # files an earlier attempt finished
        results = []
        for index, item in enumerate(files):
            name = str(item.get("name", ""))
            target = (out_dir / name).resolve()
            if not name or out_dir.resolve() not in target.parents:
                raise NonRetryableError(f"file name {name!r} is not a plain name inside the output directory")
            if index >= done:
                try:
                    text = string.Template(str(item.get("template", ""))).substitute(item.get("values", {}))
                except (KeyError, ValueError) as error:
                    raise NonRetryableError(f"{name}: template needs value {error}") from None
                target.write_text(text)
            data = target.read_bytes()
            results.append({"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            activity.heartbeat(str(index + 1))  # progress; raises ActivityCancelled if the workflow was cancelled
        return results

    return render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--queue", default="render")
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--out", type=Path, required=True, help="directory the files are rendered into")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    Worker(args.server, queue=args.queue, handler=make_handler(args.out), slots=args.slots).run()


if __name__ == "__main__":
    main()
