"""Load-test carereview as it runs in production.

    python tests/load/loadtest.py --host http://127.0.0.1:8765 -- make serve PORT=8765

Starts the server command, waits until it answers, runs locust headless from this second
process (tests/load/locustfile.py) with the clients and duration given, and the slow
clients beside them, prints requests/s, the 50th/95th/99th percentile response times and
the errors per request kind, and the time carereview spent on each request (its
`Server-Timing`), each beside its target or reference; then stops the server. Exits
non-zero if any request failed.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER_START_TIMEOUT_S = 900
# locustfile.py's slow clients (their fixed_count), added to the clients asked for.
SLOW_CLIENTS = 4
# Server time per request on the main of issue 15 (2 workers, 200 organisations).
SERVER_MS_REFERENCE = 51


def wait_until_up(*, host: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"The server stopped before answering:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{host}/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    sys.exit(f"The server did not answer within {SERVER_START_TIMEOUT_S} s.")


def stop(server: subprocess.Popen) -> None:
    """Ctrl-C for the server's whole process group, as in a terminal, so a throwaway
    PostgreSQL server is stopped and removed; then wait for every process of it to end."""
    try:
        os.killpg(server.pid, signal.SIGINT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            server.poll()
            os.killpg(server.pid, 0)
            time.sleep(0.5)
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def report(stats_csv: Path) -> int:
    """Print the figures locust wrote, and return the number of failed requests."""
    with stats_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [
        ("Requests", "Request Count"),
        ("req/s", "Requests/s"),
        ("p50 ms", "50%"),
        ("p95 ms", "95%"),
        ("p99 ms", "99%"),
        ("errors", "Failure Count"),
    ]
    width = max(len(row["Name"]) for row in rows)
    print(f"\n{'request':<{width}}" + "".join(f"{title:>10}" for title, _ in columns))
    for row in rows:
        values = []
        for _, key in columns:
            value = row[key]
            values.append(f"{float(value):>10.1f}" if key == "Requests/s" else f"{value:>10}")
        print(f"{row['Name']:<{width}}" + "".join(values))
    return int(rows[-1]["Failure Count"])


def report_failures(failures_csv: Path, server_log: Path) -> None:
    """Say what failed: locust's error for each kind of request, and the server's own
    error lines, each with the traceback that follows it (up to the next dated line)."""
    with failures_csv.open(newline="") as f:
        for row in csv.DictReader(f):
            print(f"  {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
    errors, following = [], False
    for line in server_log.read_text(errors="replace").splitlines():
        dated = line[:4].isdigit()
        following = "ERROR" in line if dated else following
        if following:
            errors.append(line)
    if errors:
        print("The server's error lines:", *errors[-60:], sep="\n  ")


def report_server_times(path: Path) -> None:
    """Print what carereview spent on each request, queueing in front of it left out."""
    times = sorted(json.loads(path.read_text())) if path.exists() else []
    if not times:
        print("\nNo Server-Timing seen: is the server carereview?")
        return

    def at(share: float) -> float:
        return times[min(len(times) - 1, int(share * len(times)))]

    print(
        f"\nServer time per request ({len(times)} requests): mean "
        f"{sum(times) / len(times):.1f} ms, p50 {at(0.5):.1f} ms, p95 {at(0.95):.1f} ms, "
        f"p99 {at(0.99):.1f} ms (reference: about {SERVER_MS_REFERENCE} ms on the main of "
        "issue 15)."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("server", nargs=argparse.REMAINDER, help="-- the command that serves")
    args = parser.parse_args()
    command = args.server[1:] if args.server[:1] == ["--"] else args.server
    if not command:
        parser.error("give the command that starts the server after --")

    with tempfile.TemporaryDirectory(prefix="carereview-load-") as tmp:
        log = Path(tmp) / "server.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            print(f"Starting the server: {' '.join(command)}", flush=True)
            wait_until_up(host=args.host, server=server, log=log)
            server_times = Path(tmp) / "server-times.json"
            print(
                f"Load: {args.users} clients and {SLOW_CLIENTS} slow ones for {args.seconds} s "
                f"against {args.host}",
                flush=True,
            )
            locust = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(HERE / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users + SLOW_CLIENTS),
                    "--spawn-rate",
                    str(args.users + SLOW_CLIENTS),
                    "--run-time",
                    f"{args.seconds}s",
                    "--host",
                    args.host,
                    "--only-summary",
                    "--csv",
                    str(Path(tmp) / "locust"),
                    "--loglevel",
                    "WARNING",
                ],
                check=False,
                capture_output=True,
                text=True,
                env={**os.environ, "CAREREVIEW_SERVER_TIMES": str(server_times)},
            )
            # Locust exits 1 when requests failed, which the table shows; more is its own error.
            if locust.returncode not in (0, 1):
                sys.exit(f"locust failed:\n{locust.stderr[-3000:]}")
            failures = report(Path(tmp) / "locust_stats.csv")
            if failures:
                report_failures(Path(tmp) / "locust_failures.csv", log)
            report_server_times(server_times)
        finally:
            stop(server)
    print(f"\n{failures} failed requests (target 0).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
