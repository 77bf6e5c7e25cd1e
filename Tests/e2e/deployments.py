"""MLflow behind a private Apache in each set-up of deploy/apache/, built from those files with only
ports and paths filled in:

  proxy-fcgi      mlflow-proxy-fcgi.conf.template; the workers are the pool of deploy/systemd/
                  (multiwatch, the exact ExecStart of mlflow-fcgi.service, socket on fd 0)
  fcgid           mlflow-fcgid.conf.template; Apache (mod_fcgid) starts the workers, configured
                  through FcgidInitialEnv
  fcgid-htaccess  htaccess-fcgid + mlflow.fcgi.template in a folder of the document root, as on
                  shared hosting; the virtual host has nothing for MLflow

each mounted at the root ("") or under a prefix ("/mlflow").
"""

from __future__ import annotations

import shutil
from pathlib import Path

from apache_stack import DEPLOY, Apache, give_to_web_user, render, web_folder
from systemd_pool import BINARY, UnitPool

VARIANTS = ("proxy-fcgi", "fcgid", "fcgid-htaccess")


class ApacheSite:
    def __init__(self, variant: str, prefix: str = ""):
        assert variant in VARIANTS, variant
        self.variant = variant
        self.prefix = prefix
        self.folder: Path | None = None
        self.apache: Apache | None = None
        self.pool: UnitPool | None = None

    @property
    def uri(self) -> str:
        """The tracking URI: Apache's root plus the mount point, no trailing slash."""
        return self.apache.server_root + self.prefix

    def start(self) -> "ApacheSite":
        self.folder = web_folder(self.variant)
        location = self.prefix + "/"
        try:
            if self.variant == "proxy-fcgi":
                pool_folder = self.folder / "pool"
                pool_folder.mkdir()
                self.pool = UnitPool(pool_folder, self.prefix)
                self.pool.start()
                socket_path = str(self.pool.socket_path)
                site = lambda port: render(
                    DEPLOY / "mlflow-proxy-fcgi.conf.template", port=str(port), socket=socket_path, location=location)
                self.apache = Apache(self.folder / "apache", site)
            else:
                # As a customer of a shared host would: the executable and the database outside the
                # web folders, in a folder the FastCGI programs' user (www-data here) may write.
                binary = self.folder / "bin" / "mlflow-fcgi"
                binary.parent.mkdir()
                shutil.copy(BINARY, binary)
                database = self.folder / "data" / "mlflow.db"
                database.parent.mkdir()
                artifacts = self.folder / "data" / "artifacts"
                if self.variant == "fcgid":
                    site = lambda port: render(
                        DEPLOY / "mlflow-fcgid.conf.template", port=str(port), location=location,
                        prefix=self.prefix, binary=str(binary), database=str(database), artifacts=str(artifacts))
                    self.apache = Apache(self.folder / "apache", site)
                else:
                    docroot = self.folder / "htdocs"
                    app = docroot / self.prefix.lstrip("/")
                    app.mkdir(parents=True)
                    shutil.copy(DEPLOY / "htaccess-fcgid", app / ".htaccess")
                    script = app / "mlflow.fcgi"
                    script.write_text(render(
                        DEPLOY / "mlflow.fcgi.template", binary=str(binary), database=str(database), artifacts=str(artifacts),
                        prefix=self.prefix))
                    script.chmod(0o755)
                    self.apache = Apache(
                        self.folder / "apache", lambda port: "# A shared host: nothing for MLflow here; see .htaccess.\n",
                        docroot=docroot)
            give_to_web_user(self.folder)
            self.apache.start()
            self.apache.wait_healthy(self.uri)
        except BaseException:
            self.stop()
            raise
        return self

    def diagnostics(self) -> str:
        text = self.apache.diagnostics() if self.apache else ""
        if self.pool is not None and self.pool.log.exists():
            text += f"\n--- worker pool log ---\n{self.pool.log.read_text(errors='replace')[-3000:]}"
        return text

    def stop(self) -> None:
        if self.apache is not None:
            self.apache.stop()
        if self.pool is not None:
            self.pool.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
