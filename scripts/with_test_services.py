"""Run a command with Redis and PostgreSQL answering on their standard loopback ports.

A server already answering is used as it is. One that does not answer is started from the server
binaries on PATH (redis-server; PostgreSQL's initdb and pg_ctl, also looked for under
/usr/lib/postgresql/*/bin) in a temporary folder for this run only, and stopped afterwards.

    python scripts/with_test_services.py -- pytest -q
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REDIS_PORT = 6379
POSTGRES_PORT = 5432
HOST = "127.0.0.1"


def answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(port: int, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start on {HOST}:{port} within {seconds:.0f} s")


def postgres_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        raise SystemExit(
            f"PostgreSQL is not answering on {HOST}:{POSTGRES_PORT} and '{name}' is not on PATH: "
            "install the PostgreSQL server (e.g. apt-get install postgresql) or start one."
        )
    return candidates[0]


def as_postgres_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; a root shell runs them as the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def start_redis(workdir: Path) -> subprocess.Popen:
    redis = shutil.which("redis-server")
    if not redis:
        raise SystemExit(
            f"Redis is not answering on {HOST}:{REDIS_PORT} and redis-server is not on PATH: "
            "install it (e.g. apt-get install redis-server) or start one."
        )
    process = subprocess.Popen(
        [redis, "--bind", HOST, "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    wait_for(REDIS_PORT, "Redis")
    return process


def start_postgres(workdir: Path) -> Path:
    data = workdir / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(
        as_postgres_user([postgres_binary("initdb"), "-D", str(data), "-U", "postgres",
                          "--auth=trust"]),
        check=True, stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        as_postgres_user([postgres_binary("pg_ctl"), "-D", str(data), "-l", str(workdir / "pg.log"),
                          "-o", f"-p {POSTGRES_PORT} -k {workdir} -c listen_addresses={HOST}",
                          "start"]),
        check=True, stdout=subprocess.DEVNULL,
    )
    wait_for(POSTGRES_PORT, "PostgreSQL")
    return data


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print(__doc__)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="clinops-test-services-"))
    os.chmod(workdir, 0o755)
    redis_process = None
    postgres_data = None
    try:
        if not answers(REDIS_PORT):
            print(f"starting Redis for this run on {HOST}:{REDIS_PORT}", flush=True)
            redis_process = start_redis(workdir)
        if not answers(POSTGRES_PORT):
            print(f"starting PostgreSQL for this run on {HOST}:{POSTGRES_PORT}", flush=True)
            postgres_data = start_postgres(workdir)
        return subprocess.call(argv)
    finally:
        if postgres_data is not None:
            subprocess.run(as_postgres_user([postgres_binary("pg_ctl"), "-D", str(postgres_data),
                                             "-m", "fast", "stop"]), stdout=subprocess.DEVNULL)
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
