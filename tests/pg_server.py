"""Run a command against a throwaway PostgreSQL server.

    python tests/pg_server.py -- pytest ...

initdb's a cluster in a temporary directory, starts it on a free port on 127.0.0.1,
runs the command with DATABASE_URL pointing at it, and stops the server and removes the
directory afterwards, whatever the command's outcome. PostgreSQL refuses to run as
root, so as root the server runs as the `postgres` user.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def postgres_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    sys.exit("PostgreSQL server binaries not found: apt-get install -y postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def main(command: list[str]) -> int:
    bindir = postgres_bin()
    tmp = tempfile.mkdtemp(prefix="carereview-pg-")
    data = os.path.join(tmp, "data")
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    port = free_port()
    pg_ctl = os.path.join(bindir, "pg_ctl")
    server = None
    try:
        subprocess.run(
            as_server_user(
                [
                    os.path.join(bindir, "initdb"),
                    "-D",
                    data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server = subprocess.run(
            as_server_user(
                [
                    pg_ctl,
                    "-D",
                    data,
                    "-l",
                    os.path.join(tmp, "server.log"),
                    "-w",
                    "start",
                    "-o",
                    (
                        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off"
                    ),
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # pg_ctl -w returns once the server accepts connections; a short wait
        # covers the rare gap before TCP is ready.
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/postgres")
        print(
            f"PostgreSQL {os.path.basename(os.path.dirname(bindir))} on 127.0.0.1:{port}",
            flush=True,
        )
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        if server is not None:
            subprocess.run(
                as_server_user([pg_ctl, "-D", data, "-m", "fast", "-w", "stop"]),
                # A server that will not stop must not hide the command's outcome.
                check=False,
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    sys.exit(main(args))
