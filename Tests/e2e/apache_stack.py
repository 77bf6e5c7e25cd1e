"""A private Apache httpd for the end-to-end tests: its own main configuration file, run in the
foreground (`apache2 -f CONF -DFOREGROUND`) on 127.0.0.1, with its pid, logs, runtime and mod_fcgid
files in a temporary folder. The system Apache (its /etc/apache2 configuration, its service, port
80) is never used.

The main configuration written here plays the part of the machine's own httpd.conf (Debian's
apache2.conf + ports.conf + mods-enabled/): modules, Listen, logs, the user. The MLflow part is
the site file from deploy/apache/, filled in only with ports and paths, and Included.

Started as root (CI), Apache runs its children as www-data, as on a real server: it refuses to
serve as root. Everything Apache or its FastCGI programs must reach then lives in a folder made
by `web_folder()`: below /tmp, searchable by all, owned by www-data.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable
from e2e_helpers import AccessLogWatch

import requests

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "apache"
APACHE = shutil.which("apache2") or shutil.which("httpd") or "/usr/sbin/apache2"
MODULES = Path(os.environ.get("APACHE_MODULES_DIR", "/usr/lib/apache2/modules"))
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web_user() -> str | None:
    """The user Apache's children run as: www-data when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    for name in ("www-data", "apache", "daemon"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root, but no www-data/apache/daemon user for Apache's children")


def web_folder(prefix: str) -> Path:
    """A fresh folder below /tmp that Apache's children (www-data) can enter and write.

    pytest's own temporary folders are below a 0700 folder of the user running it: www-data cannot reach
    a socket, a database or a program there."""
    path = Path(tempfile.mkdtemp(prefix=f"mlflow-fcgi-{prefix}-"))
    path.chmod(0o755)
    give_to_web_user(path)
    return path


def give_to_web_user(path: Path) -> None:
    user = web_user()
    if user is None:
        return
    for p in [path, *path.rglob("*")]:
        shutil.chown(p, user, user)


def render(template: Path, **values: str) -> str:
    """A deploy/ template with its {{placeholders}} filled in; every placeholder must be known."""
    text = template.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    left = re.findall(r"\{\{\w+\}\}", text)
    assert not left, f"{template.name}: placeholders left unfilled: {sorted(set(left))}"
    return text


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return f"<{path.name}: not there>"


class Apache(AccessLogWatch):
    """One Apache httpd in the foreground with a generated main configuration that Includes a
    site file rendered from deploy/apache/ (`site(port)` returns its text)."""

    MODULES = [
        ("mpm_event_module", "mod_mpm_event.so"),
        ("authz_core_module", "mod_authz_core.so"),
        ("authz_host_module", "mod_authz_host.so"),
        ("authn_core_module", "mod_authn_core.so"),
        ("mime_module", "mod_mime.so"),
        ("alias_module", "mod_alias.so"),
        ("rewrite_module", "mod_rewrite.so"),
        ("headers_module", "mod_headers.so"),
        ("proxy_module", "mod_proxy.so"),
        ("proxy_fcgi_module", "mod_proxy_fcgi.so"),
        ("fcgid_module", "mod_fcgid.so"),
    ]

    def __init__(self, workdir: Path, site: Callable[[int], str], docroot: Path | None = None):
        self.workdir = workdir
        self.site = site
        self.docroot = docroot or (workdir / "htdocs")
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.conf = workdir / "httpd.conf"
        self.logs = workdir / "logs"

    @property
    def server_root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.logs / "access.log"

    @property
    def error_log(self) -> Path:
        return self.logs / "error.log"

    def main_config(self) -> str:
        user = web_user()
        loads = "\n".join(f"LoadModule {name} {MODULES / so}" for name, so in self.MODULES)
        user_lines = f"User {user}\nGroup {user}" if user else "# (not root: children run as the current user)"
        return f"""# Main configuration of a private, foreground Apache for the mlflow-fcgi end-to-end tests
# (written by Tests/e2e/apache_stack.py). It stands for the machine's own httpd.conf; the MLflow
# part is the site file Included at the end.
ServerRoot "{self.workdir}"
ServerName 127.0.0.1
# Loopback only, on a port picked free.
Listen 127.0.0.1:{self.port}
# Every file Apache writes stays below this test's folder.
PidFile "{self.workdir}/run/httpd.pid"
DefaultRuntimeDir "{self.workdir}/run"
ErrorLog "{self.error_log}"
LogLevel warn
{loads}
# mod_mime is here for AddHandler (.htaccess); nothing here serves files, so no types list.
TypesConfig /dev/null
# Started as root, the children switch to this user (Apache refuses to serve as root).
{user_lines}
# A small event MPM: the tests never need more than a few dozen connections at once.
StartServers 1
ServerLimit 4
ThreadsPerChild 25
MaxRequestWorkers 100
# One line per request with its status, read by the tests to catch any 5xx.
LogFormat "%h %l %u %t \\"%r\\" %>s %b %D" timed
CustomLog "{self.access_log}" timed
# mod_fcgid's server-wide files (sockets to its processes, shared process table), here rather
# than below /var/lib/apache2.
FcgidIPCDir "{self.workdir}/fcgid"
FcgidProcessTableFile "{self.workdir}/fcgid/table"
# Nothing is served outside the document root ...
<Directory />
    AllowOverride None
    Require all denied
</Directory>
DocumentRoot "{self.docroot}"
# ... where a shared host lets its customers use .htaccess files with FastCGI programs: handlers
# and rewrite rules (FileInfo), and Options (ExecCGI).
<Directory "{self.docroot}">
    AllowOverride FileInfo Options
    Require all granted
</Directory>
Include "{self.workdir / 'site.conf'}"
"""

    def start(self) -> None:
        for sub in ("run", "logs", "fcgid"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.docroot.mkdir(parents=True, exist_ok=True)
        give_to_web_user(self.workdir)
        last = ""
        for _attempt in range(3):  # a port picked free can be taken before Apache binds it
            self.port = free_port()
            (self.workdir / "site.conf").write_text(self.site(self.port))
            self.conf.write_text(self.main_config())
            check = subprocess.run([APACHE, "-t", "-f", str(self.conf)], capture_output=True, text=True, timeout=30)
            assert check.returncode == 0, f"apache2 -t rejects the configuration:\n{check.stderr}\n{self.conf.read_text()}"
            self.proc = subprocess.Popen(
                [APACHE, "-f", str(self.conf), "-DFOREGROUND"],
                stdin=subprocess.DEVNULL,
                stdout=open(self.workdir / "stdout", "ab"),
                stderr=open(self.workdir / "stderr", "ab"),
                start_new_session=True,  # own process group: stop() reaches mod_fcgid's children too
            )
            ok, last = self._wait_listening()
            if ok:
                return
            self.stop()
            if "address already in use" not in self.diagnostics().lower():
                break
        raise AssertionError(f"Apache did not start: {last}\n{self.diagnostics()}")

    def _wait_listening(self) -> tuple[bool, str]:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, f"apache2 exited with status {self.proc.returncode}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True, ""
            except OSError:
                time.sleep(0.05)
        return False, f"not listening after {START_TIMEOUT_S:.0f} s"

    def wait_healthy(self, uri: str) -> None:
        """Waits for `uri`/health to answer 200 (the first request may start a worker)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        last = ""
        while time.monotonic() < deadline:
            try:
                r = requests.get(uri + "/health", timeout=5)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:200]!r}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.1)
        raise AssertionError(f"{uri}/health never answered 200 (last: {last})\n{self.diagnostics()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # leftovers: children, mod_fcgid's workers
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def diagnostics(self) -> str:
        return (
            f"--- {self.conf} ---\n{_tail(self.conf)}\n"
            f"--- site.conf ---\n{_tail(self.workdir / 'site.conf')}\n"
            f"--- stderr ---\n{_tail(self.workdir / 'stderr')}\n"
            f"--- error.log ---\n{_tail(self.error_log)}"
        )

