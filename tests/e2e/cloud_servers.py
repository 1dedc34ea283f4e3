"""Real emulators of the other object stores for end-to-end tests: Azurite (Azure Blob, npm
`azurite`, launcher `azurite-blob`) and fake-gcs-server (Cloud Storage's JSON API, `go install
github.com/fsouza/fake-gcs-server@latest` into /root/go/bin), both installed by
scripts/install-deps.sh. Each runs on a free 127.0.0.1 port with data of the test's own and is
stopped by its pid; without the binary a test fails with the install hint (never skips).
`storage_args(bucket)` gives `format`'s flags for a volume there."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

AZURITE_ACCOUNT = "devstoreaccount1"  # Azurite's well-known account and key (its docs)
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
FAKE_GCS_BIN = os.environ.get("FAKE_GCS_BIN", "/root/go/bin/fake-gcs-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: it serves
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


class _Server:
    name = ""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, cmd: list[str], probe: str, timeout: float = 60):
        from harness import wait_until
        self.root.mkdir(parents=True, exist_ok=True)
        log = open(self.root / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {(self.root / f'{self.name}.log').read_text()[-2000:]}")
            return _answers(probe)
        # Neither server announces readiness: poll an unauthenticated request until it answers.
        wait_until(up, timeout, f"{self.name} on port {self.port} to answer", interval=0.1)

    def stop(self):
        if self.proc is not None:
            from harness import terminate
            terminate(self.proc)
            self.proc = None


class AzuriteServer(_Server):
    name = "azurite"

    def start(self) -> "AzuriteServer":
        exe = shutil.which("azurite-blob")
        if exe is None:
            raise AssertionError("azurite-blob not installed (bash scripts/install-deps.sh, or npm install -g azurite)")
        self.port = _free_port()
        self._spawn([exe, "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location",
                     str(self.root / "data"), "--silent", "--skipApiVersionCheck", "--loose",
                     "--disableTelemetry"], f"{self.endpoint}/?comp=list")
        return self

    def storage_args(self, bucket: str) -> list[str]:
        return ["--storage", "wasb", "--bucket", f"{self.endpoint}/{AZURITE_ACCOUNT}/{bucket}",
                "--access-key", AZURITE_ACCOUNT, "--secret-key", AZURITE_KEY]


class FakeGcsServer(_Server):
    name = "fake-gcs-server"

    def start(self) -> "FakeGcsServer":
        if not os.access(FAKE_GCS_BIN, os.X_OK):
            raise AssertionError(f"fake-gcs-server not installed at {FAKE_GCS_BIN} (bash scripts/install-deps.sh, or "
                                 "go install github.com/fsouza/fake-gcs-server@latest)")
        self.port = _free_port()
        host = f"127.0.0.1:{self.port}"
        self._spawn([FAKE_GCS_BIN, "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port),
                     "-backend", "memory", "-public-host", host, "-external-url", self.endpoint,
                     "-log-level", "warn"], f"{self.endpoint}/storage/v1/b")
        return self

    def storage_args(self, bucket: str) -> list[str]:
        # A custom endpoint without --secret-key: unauthenticated requests (fake-gcs-server checks none).
        return ["--storage", "gs", "--bucket", f"{self.endpoint}/{bucket}"]

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object name under `prefix`, from the JSON API's objects.list (all pages)."""
        out, token = [], ""
        while True:
            q = {"prefix": prefix, "maxResults": "1000"} | ({"pageToken": token} if token else {})
            url = f"{self.endpoint}/storage/v1/b/{bucket}/o?" + urllib.parse.urlencode(q)
            with urllib.request.urlopen(url, timeout=10) as r:
                page = json.load(r)
            out += [o["name"] for o in page.get("items", [])]
            token = page.get("nextPageToken", "")
            if not token:
                return sorted(out)

    def cat(self, bucket: str, key: str) -> bytes:
        url = f"{self.endpoint}/storage/v1/b/{bucket}/o/{urllib.parse.quote(key, safe='')}?alt=media"
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read()
