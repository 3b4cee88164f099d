"""Child processes of a benchmark: started with a bounded wait for what they print, always ended."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60.0


class Child:
    """`python -m MODULE ARGS` with piped stdin/stdout; `expect(word)` reads `WORD value` lines."""

    def __init__(self, module: str, *args: str) -> None:
        self.name = module
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.seen: dict[str, str] = {}
        # A reader thread, so waiting for a line is bounded without racing the pipe's buffer.
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    @property
    def pid(self) -> int:
        return self.process.pid

    def readline(self, timeout: float = START_TIMEOUT_SECONDS) -> str:
        """One line of output, waiting at most `timeout` seconds."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"{self.name} printed nothing within {timeout:.0f} s") from None
        if line is None:
            raise RuntimeError(f"{self.name} exited ({self.process.poll()}) before answering")
        return line.strip()

    def expect(self, word: str, timeout: float = START_TIMEOUT_SECONDS) -> str:
        """The value of the first `WORD value` line (earlier lines are remembered)."""
        deadline = time.monotonic() + timeout
        while word not in self.seen:
            key, _, value = self.readline(max(0.1, deadline - time.monotonic())).partition(" ")
            self.seen[key] = value
        return self.seen[word]

    def ask_json(self, line: str = "counts", timeout: float = 10.0) -> dict:
        """Write a line, read one JSON line back."""
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return json.loads(self.readline(timeout))

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(5)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_load(config: dict, timeout: float) -> dict:
    """Run the load client in its own process on `config`; its one JSON line of results."""
    done = subprocess.run([sys.executable, "-m", "bench.loadclient"], cwd=ROOT,
                          input=json.dumps(config), capture_output=True, text=True,
                          timeout=timeout, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
