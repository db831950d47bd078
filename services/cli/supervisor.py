"""``maillage run``: the whole stack on one machine, on the embedded default.

Starts an embedded nats-server (JetStream, store under the data directory), the demo feed
server when asked, and every service as its own process (``python -m services.<name>``).
A service that dies is restarted (with a growing pause), and so is the nats-server, on the
same port and JetStream store: the services reconnect by themselves and go on. Ctrl-C or
SIGTERM stops everything, children first, and leaves no process behind (children also get
SIGTERM if this process dies).

The URL of the NATS server is written to ``<data dir>/nats.url`` while the stack runs, and
where the services keep their state to ``<data dir>/stack.json``, so that ``maillage sources
...``, ``maillage reindex`` or ``maillage reference fetch`` in another terminal act on this
stack (its registry, its search store, its reference data).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from services.cli.opstools import STACK_SETTINGS, remove_stack_files, write_stack_files
from shared.errors import ConfigError
from shared.natsserver import NatsServer
from shared.process import die_with_parent
from shared.reference import reference_dir
from shared.settings import COMMON, Setting, Settings, as_bool, as_int, as_port

SERVICES = ("indexer", "query", "ingest", "monitor", "harvester")
#: /metrics listeners of the services that have no HTTP server of their own.
METRICS_PORTS = {"harvester": 9101, "indexer": 9102}

SETTINGS: tuple[Setting, ...] = COMMON + (
    Setting("MAILLAGE_SOURCES", "sources.toml",
            "TOML sources file brought into the registry of sources at start-up and at each "
            "edit (optional: sources can also be added with 'maillage sources add')."),
    Setting("MAILLAGE_HTTP_PORT", "8080", "Port of the query service (API and web page).", as_port),
    Setting("MAILLAGE_INGEST_PORT", "8081", "Port of the ingest (push) service.", as_port),
    Setting("MAILLAGE_MONITOR_PORT", "8082", "Port of the monitor dashboard.", as_port),
    Setting("MAILLAGE_NATS_PORT", "4222", "Port of the embedded nats-server.", as_port),
    Setting("MAILLAGE_DEMO_PORT", "8090", "Port of the demo feed server.", as_port),
    Setting("MAILLAGE_DEMO_INTERVAL", "60", "Seconds between two harvests of a demo source.",
            as_int),
    Setting(
        "MAILLAGE_EMBEDDED_NATS",
        "true",
        "Start an embedded nats-server (false: use MAILLAGE_NATS_URL).",
        as_bool,
    ),
)

@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, env=self.env, preexec_fn=die_with_parent)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()

    def wait_or_kill(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Supervisor:
    def __init__(self, settings: Settings, demo: bool, services: tuple[str, ...] = SERVICES):
        self.settings = settings
        self.demo = demo
        self.services = services
        self.data_dir = Path(settings.data_dir).resolve()
        self.nats: NatsServer | None = None
        self.children: list[Child] = []
        self.nats_restarts: list[float] = []
        self.stop_requested = threading.Event()

    @property
    def stopping(self) -> bool:
        return self.stop_requested.is_set()

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["MAILLAGE_DATA_DIR"] = str(self.data_dir)
        env["MAILLAGE_HTTP_PORT"] = str(self.settings.http_port)
        env["MAILLAGE_INGEST_PORT"] = str(self.settings.ingest_port)
        env["MAILLAGE_MONITOR_PORT"] = str(self.settings.monitor_port)
        env["MAILLAGE_DEMO_PORT"] = str(self.settings.demo_port)
        env["PYTHONUNBUFFERED"] = "1"
        # links in feeds and pages point here, whatever Host a request names
        env.setdefault("MAILLAGE_PUBLIC_URL", f"http://127.0.0.1:{self.settings.http_port}")
        if self.nats is not None:
            env["MAILLAGE_NATS_URL"] = self.nats.url
        env.setdefault("MAILLAGE_MONITOR_PASSWORD", self.monitor_password())
        if not os.environ.get("MAILLAGE_REFERENCE_DIR"):
            env["MAILLAGE_REFERENCE_DIR"] = str(self.reference_dir())
        if self.demo:
            from demo.generate import generate

            base_url = f"http://127.0.0.1:{self.settings.demo_port}"
            sources = generate(
                self.data_dir / "demo", date.today(), base_url, self.settings.demo_interval
            )
            env["MAILLAGE_SOURCES"] = str(sources)
            env["MAILLAGE_ALLOW_PRIVATE"] = "true"
            env["MAILLAGE_PUSH_SECRETS"] = self.demo_push_secrets(env.get("MAILLAGE_PUSH_SECRETS"))
            env["MAILLAGE_DEMO"] = "true"  # demo associations, mail kept in var/outbox
            env.setdefault("MAILLAGE_MIN_INTERVAL", str(min(10, self.settings.demo_interval)))
        else:
            env["MAILLAGE_SOURCES"] = str(Path(self.settings.sources).resolve())
            if not Path(env["MAILLAGE_SOURCES"]).exists():
                if os.environ.get("MAILLAGE_SOURCES"):  # named explicitly: surely a mistake
                    raise ConfigError(f"sources file not found: {env['MAILLAGE_SOURCES']}")
                print(f"maillage: no sources file ({env['MAILLAGE_SOURCES']}); add sources "
                      "with 'maillage sources add ID URL' or 'maillage sources import FILE' "
                      "(or try 'maillage run --demo')", file=sys.stderr)
        return env

    def demo_push_secrets(self, configured: str | None) -> str:
        """``MAILLAGE_PUSH_SECRETS`` with the demo publisher (the City of Rennes of the demo)
        and its secret, made on first run and kept under the data directory."""
        from demo.calls import PUBLISHER
        from services.ingest.signatures import new_secret

        path = self.data_dir / "demo" / "push-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_secret())
            path.chmod(0o600)
        pair = f"{PUBLISHER}={path.read_text().strip()}"
        return f"{configured},{pair}" if configured else pair

    def reference_dir(self) -> Path:
        """The reference data the services read: what ``maillage reference fetch`` stored
        under the data directory, else the development copy beside the repository, else
        the former (the indexer reads it as soon as it is fetched)."""
        fetched = self.data_dir / "reference"
        for directory in (fetched, reference_dir({})):
            if (directory / "rennes_quartiers.geojson").is_file():
                return directory
        print("maillage: no reference data: events will not be placed in quartiers; get it "
              "with 'maillage reference fetch' (or 'make reference')", file=sys.stderr)
        return fetched

    def monitor_password(self) -> str:
        """The operator password kept under the data directory, made on first run."""
        path = self.data_dir / "monitor-password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        return path.read_text().strip()

    @staticmethod
    def stack_settings(env: dict[str, str]) -> dict[str, str]:
        """The settings the operator commands share with this stack (paths made absolute,
        so that a command run from any directory finds the same files)."""
        settings = {name: env[name] for name in STACK_SETTINGS if env.get(name)}
        for name in ("MAILLAGE_DATA_DIR", "MAILLAGE_SQLITE_PATH", "MAILLAGE_CALLS_SQLITE_PATH"):
            if name in settings:
                settings[name] = str(Path(settings[name]).resolve())
        if "MAILLAGE_REFERENCE_DIR" in settings:  # relative to the repository, as it is read
            settings["MAILLAGE_REFERENCE_DIR"] = str(reference_dir(settings))
        return settings

    def start_nats(self) -> None:
        assert self.nats is not None
        self.nats.start(log_file=self.data_dir / "nats.log", preexec_fn=die_with_parent)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.settings.embedded_nats:
            self.nats = NatsServer(self.data_dir / "nats", self.settings.nats_port)
            self.start_nats()
        env = self.child_env()
        write_stack_files(self.data_dir, self.nats.url if self.nats else self.settings.nats_url,
                          self.stack_settings(env))
        names = (("demo",) if self.demo else ()) + self.services
        for name in names:
            module = "demo.server" if name == "demo" else f"services.{name}"
            child_env = env
            if name in METRICS_PORTS and "MAILLAGE_METRICS_PORT" not in os.environ:
                child_env = {**env, "MAILLAGE_METRICS_PORT": str(METRICS_PORTS[name])}
            child = Child(name, [sys.executable, "-m", module], child_env)
            child.start()
            self.children.append(child)

    def banner(self) -> str:
        s = self.settings
        lines = [
            "",
            "Maillage tourne. Où regarder :",
            f"  agenda (page web)   http://127.0.0.1:{s.http_port}/",
            f"  API de recherche    http://127.0.0.1:{s.http_port}/v1/events",
            f"  description OpenAPI http://127.0.0.1:{s.http_port}/openapi.json",
            f"  ingest (push)       http://127.0.0.1:{s.ingest_port}/healthz",
            f"  monitor (opérateurs) http://127.0.0.1:{s.monitor_port}/  (identifiant "
            f"{os.environ.get('MAILLAGE_MONITOR_USER', 'operateur')}, mot de passe dans "
            f"{self.data_dir / 'monitor-password'})",
        ]
        if self.demo:
            lines.append(f"  se connecter        http://127.0.0.1:{s.http_port}/connexion "
                         f"(courrier : http://127.0.0.1:{s.http_port}/demo/courrier)")
            lines.append(f"  sources de démo     http://127.0.0.1:{s.demo_port}/")
            lines.append(
                f"  (modifiez {self.data_dir / 'demo' / 'site'} : "
                "les changements sont moissonnés en une minute)"
            )
        lines += [f"  données             {self.data_dir}", "Ctrl-C pour tout arrêter.", ""]
        return "\n".join(lines)

    def watch_nats(self) -> None:
        """Reap a nats-server that died and start it again on its port and store."""
        if self.nats is None or self.stopping:
            return
        process = self.nats.process
        if process is not None and process.poll() is None:
            return
        code = process.returncode if process is not None else None
        self.nats.process = None
        self.nats_restarts = [t for t in self.nats_restarts if time.monotonic() - t < 60]
        self.nats_restarts.append(time.monotonic())
        pause = min(0.5 * 2 ** (len(self.nats_restarts) - 1), 30)
        print(f"maillage: nats-server exited ({code}); restart in {pause:g} s on its "
              "JetStream store (the services reconnect by themselves)", file=sys.stderr)
        if self.stop_requested.wait(pause):
            return
        try:
            self.start_nats()
        except (OSError, TimeoutError) as exc:
            print(f"maillage: nats-server did not start again ({exc}); retrying",
                  file=sys.stderr)

    def watch(self) -> None:
        """Restart children that die, until asked to stop."""
        while not self.stopping:
            self.watch_nats()
            for child in self.children:
                if self.stopping or child.alive():
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < 60] + [now]
                pause = min(2 ** (len(child.restarts) - 1), 30)
                code = child.process.returncode if child.process else None
                print(
                    f"maillage: {child.name} exited ({code}); restart in {pause} s", file=sys.stderr
                )
                if not self.stop_requested.wait(pause):
                    child.start()
            self.stop_requested.wait(0.5)

    def stop(self) -> None:
        self.stop_requested.set()
        for child in reversed(self.children):
            child.stop()
        deadline = time.monotonic() + 10
        for child in self.children:
            child.wait_or_kill(deadline)
        if self.nats is not None:
            self.nats.stop()
        remove_stack_files(self.data_dir)


def run(settings: Settings, demo: bool) -> int:
    supervisor = Supervisor(settings, demo)

    def on_signal(signum: int, frame: object) -> None:
        supervisor.stop_requested.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        supervisor.start()
        print(supervisor.banner(), flush=True)
        supervisor.watch()
    finally:
        supervisor.stop()
        print("maillage: stopped.", file=sys.stderr)
    return 0
