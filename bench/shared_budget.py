"""``python -m bench.shared_budget``: N worker processes, one API limited to 10 requests/s.

Each worker is its own interpreter running ``restsync.sync`` of the ``crm`` connector (into
its own DuckDB file) against one emulator that answers 429 + Retry-After beyond
``--rate`` requests/s. With ``client.limits.shared_budget`` every worker asks the same Redis
for its tokens and in-flight slots, so together they should use most of the allowed rate and
almost never be told off. ``--no-share`` runs the same workers each with the rate to itself.

Reported, from the emulator's side: requests answered 2xx per second between the first and
the last request, as a share of the allowed rate; 429s as a share of all requests; and the
rows each worker loaded against the emulator's records.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

WORKER = """
import json, sys
import restsync

config, secrets, db = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
restsync.tune_process()
result = restsync.sync(config, secrets=secrets, duckdb_file=db, pipelines_dir=db + ".dlt")
print(json.dumps(dict(result.tables)))
"""


class _Timed:
    """ASGI middleware noting when each request arrived and what it was answered."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.answers: list[tuple[float, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()

        async def noting(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.answers.append((arrived, message["status"]))
            await send(message)

        await self.app(scope, receive, noting)


def measure(
    *, workers: int, rate: float, records: int, share: bool, redis_url: str
) -> dict[str, Any]:
    from restsync import connectors, load_config
    from restsync.emulator import Emulator, options_for, serve_app

    secrets = {key: f"demo-{key}" for key in connectors.get("crm").secrets}
    config = load_config("crm", secrets=secrets)
    options = options_for("crm", records=records, rate_limit=rate)
    emulator = Emulator(config, options)
    timed = _Timed(emulator.app)
    with serve_app(timed) as port:
        raw = dict(connectors.get("crm").config)
        client = dict(raw["client"])
        client["base_url"] = urlunsplit(
            urlsplit(client["base_url"])._replace(scheme="http", netloc=f"127.0.0.1:{port}")
        )
        limits = {"requests_per_second": rate, "max_in_flight_per_host": 4}
        if share:
            limits["shared_budget"] = redis_url
        client["limits"] = limits
        raw["client"] = client
        with tempfile.TemporaryDirectory() as folder:
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        WORKER,
                        json.dumps(raw),
                        json.dumps(secrets),
                        str(Path(folder) / f"worker{i}.duckdb"),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for i in range(workers)
            ]
            outputs = [proc.communicate(timeout=1800)[0] for proc in procs]
    expected = {r.name: len(emulator.records(r.name)) for r in config.resources}
    loaded = [json.loads(out.strip().splitlines()[-1]) if out.strip() else {} for out in outputs]
    answers = sorted(timed.answers)
    ok = sum(1 for _, status in answers if 200 <= status < 300)
    throttled = sum(1 for _, status in answers if status == 429)
    span = answers[-1][0] - answers[0][0] if len(answers) > 1 else 0.0
    used = ok / span / rate if span else 0.0
    return {
        "workers": workers,
        "shared": share,
        "allowed_rate": rate,
        "requests": len(answers),
        "answered_2xx": ok,
        "answered_429": throttled,
        "seconds": round(span, 2),
        "rate_used_pct": round(100 * used, 1),
        "429_pct": round(100 * throttled / len(answers), 2) if answers else 0.0,
        "all_rows": all(rows == expected for rows in loaded),
        "exit_codes": [proc.returncode for proc in procs],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.shared_budget", description=__doc__)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s the API allows")
    parser.add_argument("--records", type=int, default=1200, help="records per crm resource")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-share", action="store_true", help="each worker keeps its own")
    args = parser.parse_args(argv)
    report = measure(
        workers=args.workers,
        rate=args.rate,
        records=args.records,
        share=not args.no_share,
        redis_url=args.redis,
    )
    print(json.dumps(report, indent=2))
    passed = report["all_rows"] and report["rate_used_pct"] >= 90 and report["429_pct"] <= 1
    return 0 if passed or args.no_share else 1


if __name__ == "__main__":
    sys.exit(main())
