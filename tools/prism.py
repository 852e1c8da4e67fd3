"""Find, install, start and stop the Prism mock server of the OpenAI spec.

Prism (``@stoplight/prism-cli@5``, a Node program) serves
``../shared/openapi/openai-openapi.prism.yaml``: it validates each request against the
spec and answers with the spec's example. The conformance tests
(``tests/conformance/``) and ``.ci/run`` use this module; by hand::

    python tools/prism.py install   # npm install into the cache folder, print the binary
    python tools/prism.py path      # print the binary that would be used
    python tools/prism.py serve     # run it on 127.0.0.1 until Ctrl-C

Where Prism comes from, first match wins:

1. ``$TRIO_OPENAI_PRISM``: path to a ``prism`` binary (``.ci/run`` sets it).
2. ``<cache>/node_modules/.bin/prism`` with ``<cache>`` =
   ``${XDG_CACHE_HOME:-~/.cache}/trio-openai/prism`` (``install`` puts it there).

The server listens on 127.0.0.1 only, on a free port. Its base URL has no ``/v1``
(Prism routes the spec's raw paths), and every request needs an ``Authorization``
header. Its log goes to a file rather than a pipe: Prism logs every request, and a pipe
nobody drains would block it once full.

Design decisions:

- Readiness: an HTTP request that Prism (and only Prism) answers, polled until
  ``timeout`` (120 s: Prism needs 20-30 s to compile the 3 MB spec on an idle 2-core
  machine, and up to 50 s was seen while other test runs shared it).
- Prism runs in its own session, so ``stop()`` terminates the whole process group;
  on Linux it also gets ``SIGTERM`` if its parent dies, so a killed test run leaves no
  server behind.
- Only the standard library: this runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "DEFAULT_SPEC",
    "PRISM_PACKAGE",
    "PrismServer",
    "PrismStartError",
    "PrismUnavailableError",
    "cache_dir",
    "find_prism",
    "free_port",
    "install_prism",
    "running_prism",
    "start_prism",
    "start_prism_ready",
]

PRISM_PACKAGE = "@stoplight/prism-cli@5"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "openapi" / "openai-openapi.prism.yaml"
HOST = "127.0.0.1"
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
_PORT_ATTEMPTS = 3


class PrismUnavailableError(RuntimeError):
    """Prism, or the Node, npm or spec it needs, is missing here; the message says what to do."""


class PrismStartError(PrismUnavailableError):
    """Prism is installed but did not come up: it exited, or did not answer in time."""


def cache_dir() -> Path:
    """Return Prism's install folder, ``${XDG_CACHE_HOME:-~/.cache}/trio-openai/prism``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trio-openai" / "prism"


def _cached_binary(folder: Path) -> Path:
    return folder / "node_modules" / ".bin" / "prism"


def find_prism() -> Path:
    """Return the ``prism`` binary to run, without installing anything.

    Raises:
        PrismUnavailableError: no usable binary, or no ``node`` to run it.
    """
    configured = os.environ.get("TRIO_OPENAI_PRISM")
    if configured:
        binary = Path(configured)
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise PrismUnavailableError(f"TRIO_OPENAI_PRISM={configured} is not an executable file")
    else:
        binary = _cached_binary(cache_dir())
        if not binary.is_file():
            raise PrismUnavailableError(
                f"Prism is not installed in {cache_dir()}. Install Node.js 20+ and npm, then run "
                f"`python tools/prism.py install` (or set TRIO_OPENAI_PRISM to a prism binary)"
            )
    if shutil.which("node") is None:
        raise PrismUnavailableError(f"`node` is not on PATH; Prism ({binary}) needs Node.js 20+")
    return binary


def install_prism(folder: Path | None = None) -> Path:
    """Install Prism with npm into ``folder`` (default: `cache_dir()`) unless it is there already.

    Returns:
        The path of the ``prism`` binary.

    Raises:
        PrismUnavailableError: npm is missing or the install failed.
    """
    folder = cache_dir() if folder is None else folder
    binary = _cached_binary(folder)
    if binary.is_file():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise PrismUnavailableError("`npm` is not on PATH; install Node.js 20+ with npm")
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), PRISM_PACKAGE]
    # npm's chatter goes to stderr: stdout of `prism.py install` is only the binary's path.
    result = subprocess.run(cmd, check=False, stdout=sys.stderr)
    if result.returncode != 0 or not binary.is_file():
        raise PrismUnavailableError(f"`{' '.join(cmd)}` failed (exit {result.returncode})")
    return binary


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _parent_death_signal() -> Callable[[], None] | None:
    """Return a pre-exec hook that makes Linux SIGTERM the child when its parent dies.

    The C function is looked up here, in the parent: between fork and exec the child
    only makes one system call (no dlopen, which could deadlock in a threaded parent).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


class PrismServer:
    """One Prism process: `start_prism` launches it, `wait_ready` waits, `stop` ends it.

    Attributes:
        url: ``http://127.0.0.1:<port>`` (no ``/v1``).
        log_path: file with Prism's stdout and stderr.
    """

    def __init__(self, binary: Path, spec: Path, port: int) -> None:
        self.binary = binary
        self.spec = spec
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.started_at = time.monotonic()
        self.ready_after: float | None = None
        log_fd, log_name = tempfile.mkstemp(prefix="prism-", suffix=".log")
        self.log_path = Path(log_name)
        cmd = [str(binary), "mock", str(spec), "-h", HOST, "-p", str(port)]
        try:
            self.process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_parent_death_signal(),  # noqa: PLW1509 (one syscall, no locks)
            )
        finally:
            os.close(log_fd)

    def log_tail(self, lines: int = 20) -> str:
        """Return the last lines of Prism's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _answers(self) -> bool:
        # Prism answers an unknown path with its own problem+json 404. Checking for it
        # means that another server which won the free-port race is never taken for
        # Prism (Prism then exits with EADDRINUSE, and `start_prism_ready` retries).
        conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            conn.request("GET", "/__trio_openai_ready__")
            body = conn.getresponse().read()
        except OSError:
            return False
        finally:
            conn.close()
        return b"stoplight.io/prism" in body

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Poll until Prism answers; return the seconds since it was launched.

        Raises:
            PrismStartError: Prism exited, or did not answer within ``timeout`` s of this call.
        """
        if self.ready_after is not None:
            return self.ready_after
        deadline = time.monotonic() + timeout  # from now: it may have been launched early
        while True:
            if self.process.poll() is not None:
                raise PrismStartError(
                    f"Prism exited with code {self.process.returncode} before it was ready;"
                    f" log {self.log_path}:\n{self.log_tail()}"
                )
            if self._answers():
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            if time.monotonic() > deadline:
                self.stop(keep_log=True)
                raise PrismStartError(
                    f"Prism did not answer on {self.url} within {timeout:.0f} s;"
                    f" log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def port_conflict(self) -> bool:
        """Return whether Prism exited because its port was taken (the free-port race)."""
        return self.process.poll() is not None and "EADDRINUSE" in self.log_tail(200)

    def rss_bytes(self) -> int | None:
        """Return Prism's resident memory in bytes (Linux; None elsewhere or once it exited)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def stop(self, *, keep_log: bool = False) -> None:
        """Terminate Prism's process group (SIGTERM, then SIGKILL after 10 s); idempotent."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if not keep_log:
            self.log_path.unlink(missing_ok=True)


def start_prism(
    binary: Path | None = None, spec: Path | None = None, port: int | None = None
) -> PrismServer:
    """Launch Prism without waiting for it; call `PrismServer.wait_ready` next.

    Args:
        binary: the ``prism`` binary; default `find_prism()`.
        spec: the spec to serve; default ``$TRIO_OPENAI_PRISM_SPEC`` or `DEFAULT_SPEC`.
        port: the port on 127.0.0.1; default a free one.

    Raises:
        PrismUnavailableError: no Prism, no Node or no spec.
    """
    binary = find_prism() if binary is None else binary
    if spec is None:
        spec = Path(os.environ.get("TRIO_OPENAI_PRISM_SPEC") or DEFAULT_SPEC)
    if not spec.is_file():
        raise PrismUnavailableError(
            f"spec {spec} not found: the conformance tests need ../shared/openapi beside the repo"
        )
    return PrismServer(binary, spec, free_port() if port is None else port)


def start_prism_ready(
    binary: Path | None = None,
    spec: Path | None = None,
    port: int | None = None,
    timeout: float = READY_TIMEOUT,
) -> PrismServer:
    """Launch Prism and wait until it answers; on a lost free-port race, retry on another port.

    Raises:
        PrismUnavailableError: as `start_prism` and `PrismServer.wait_ready`.
    """
    for attempt in range(_PORT_ATTEMPTS):
        server = start_prism(binary, spec, port)
        try:
            server.wait_ready(timeout)
        except PrismStartError:
            retry = port is None and server.port_conflict() and attempt + 1 < _PORT_ATTEMPTS
            server.stop(keep_log=not retry)
            if retry:
                continue
            raise
        except BaseException:  # Ctrl-C, SIGTERM: leave nothing behind
            server.stop()
            raise
        return server
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def running_prism(
    binary: Path | None = None, spec: Path | None = None, port: int | None = None
) -> Iterator[PrismServer]:
    """Run a ready Prism for the ``with`` block and stop it afterwards."""
    server = start_prism_ready(binary, spec, port)
    try:
        yield server
    finally:
        server.stop()


def _mib(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**20:.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``install``, ``path`` or ``serve``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help=f"npm install {PRISM_PACKAGE} into {cache_dir()}")
    sub.add_parser("path", help="print the prism binary that would be used")
    serve = sub.add_parser("serve", help="run Prism on 127.0.0.1 until Ctrl-C")
    serve.add_argument("--port", type=int, default=4010, help="0 picks a free port")
    serve.add_argument("--spec", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(install_prism())
        elif args.command == "path":
            print(find_prism())
        else:
            # Stop cleanly on SIGTERM too, and on SIGINT even when started in the background.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            signal.signal(signal.SIGINT, signal.default_int_handler)
            with running_prism(spec=args.spec, port=args.port or None) as server:
                print(
                    f"Prism ready on {server.url} after {server.ready_after:.1f} s"
                    f" (RSS {_mib(server.rss_bytes())}); no /v1 prefix; send an"
                    f" Authorization header. Log: {server.log_path}. Ctrl-C stops it.",
                    flush=True,
                )
                with contextlib.suppress(KeyboardInterrupt):
                    server.process.wait()
    except PrismUnavailableError as exc:
        print(f"prism: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
