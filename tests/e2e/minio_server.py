"""A real MinIO for end-to-end tests (no pytest dependency), and rclone as the third-party S3 client.

The binary is built by scripts/install-deps.sh (`go install github.com/minio/minio@latest`, kept in
/root/go/bin); without it the tests fail with that hint, never skip. The server runs on free
127.0.0.1 ports with a data directory of the test's own; `stop()` ends it by its pid, `start()`
again serves the same data on the same port (the outage tests).
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

MINIO_BIN = os.environ.get("MINIO_BIN", "/root/go/bin/minio")
USER, PASSWORD = "tierfsadmin", "tierfs-secret-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MinioServer:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.data = self.root / "minio-data"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.console_port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bucket_url(self, bucket: str) -> str:
        return f"{self.endpoint}/{bucket}"

    def start(self, timeout: float = 60) -> "MinioServer":
        if not os.access(MINIO_BIN, os.X_OK):
            raise AssertionError(f"minio not installed at {MINIO_BIN} (bash scripts/install-deps.sh, or "
                                 "go install github.com/minio/minio@latest)")
        self.data.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port, self.console_port = _free_port(), _free_port()
        env = {**os.environ, "MINIO_ROOT_USER": USER, "MINIO_ROOT_PASSWORD": PASSWORD,
               "MINIO_BROWSER": "off", "MINIO_UPDATE": "off",
               "MINIO_PROMETHEUS_AUTH_TYPE": "public"}
        log = open(self.root / "minio.log", "ab")
        self.proc = subprocess.Popen(
            [MINIO_BIN, "server", str(self.data), "--address", f"127.0.0.1:{self.port}",
             "--console-address", f"127.0.0.1:{self.console_port}", "--quiet"],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        _LIVE_MINIO.append(self)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float):
        """MinIO announces nothing we could wait on: poll (harness.wait_until) its health endpoint,
        then an S3 listing (it answers 503 XMinioServerNotInitialized for a moment after ready)."""
        from harness import wait_until

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"minio exited: {(self.root / 'minio.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/minio/health/ready", timeout=2) as r:
                    return r.status == 200 and self.rclone("lsd", "m:", check=False).returncode == 0
            except (urllib.error.URLError, ConnectionError, OSError):
                return False
        wait_until(ready, timeout, f"minio on port {self.port} to be ready", interval=0.1)

    PUT_APIS = ("PutObject", "PutObjectPart", "CopyObject", "CompleteMultipartUpload")

    def requests(self, apis=PUT_APIS) -> int:
        """S3 requests MinIO itself counted for the given APIs (its metrics v3 counter
        minio_api_requests_total{name=...}, current at once, unlike v2's cached cluster metrics;
        public metrics, set at start). PUTs by default."""
        with urllib.request.urlopen(f"{self.endpoint}/minio/metrics/v3/api/requests", timeout=10) as r:
            text = r.read().decode()
        total = 0
        for line in text.splitlines():
            if not line.startswith("minio_api_requests_total{"):
                continue
            labels, value = line.rsplit(" ", 1)
            name = labels.split('name="', 1)[1].split('"', 1)[0] if 'name="' in labels else ""
            if name in apis:
                total += int(float(value))
        return total

    def stop(self):
        if self.proc is not None:
            from harness import terminate
            terminate(self.proc)
        if self in _LIVE_MINIO:
            _LIVE_MINIO.remove(self)

    def assume_role(self, policy: dict) -> tuple[str, str, str]:
        """Temporary credentials (access key, secret key, session token) of the root user from
        MinIO's STS, restricted by the inline `policy` (an IAM policy document): AssumeRole, a
        form POST signed with AWS Signature Version 4 for service "sts" (AWS STS API reference,
        AssumeRole; MinIO docs/sts/assume-role.md). MinIO sets up its IAM a moment after S3
        answers: an "initialized" refusal is asked again (harness.wait_until) for up to 30 s."""
        from harness import wait_until
        form = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15",
                                       "DurationSeconds": "900", "Policy": json.dumps(policy)})
        got: dict = {}

        def ask():
            status, body = self._sts_post(form)
            if status == 200:
                got.update({k: re.search(f"<{k}>([^<]*)</{k}>", body)[1]
                            for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")})
                return True
            if "initialized" in body:
                return False
            raise AssertionError(f"AssumeRole: HTTP {status}: {body}")
        wait_until(ask, 30, "MinIO's STS to answer", interval=0.1)
        return got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"]

    def _sts_post(self, form: str) -> tuple[int, str]:
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(form.encode()).hexdigest()
        host = f"127.0.0.1:{self.port}"
        headers = {"content-type": "application/x-www-form-urlencoded", "host": host,
                   "x-amz-content-sha256": payload, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join(["POST", "/", "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "",
                               signed, payload])
        scope = f"{day}/us-east-1/sts/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = f"AWS4{PASSWORD}".encode()
        for part in (day, "us-east-1", "sts", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        req = urllib.request.Request(self.endpoint + "/", data=form.encode(), method="POST", headers={
            **{k: v for k, v in headers.items() if k != "host"},
            "Authorization": f"AWS4-HMAC-SHA256 Credential={USER}/{scope}, SignedHeaders={signed}, "
                             f"Signature={sig}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    # -- rclone, the third-party client
    def rclone_env(self) -> dict:
        if shutil.which("rclone") is None:
            raise AssertionError("rclone not installed (bash scripts/install-deps.sh)")
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}  # rclone 1.60 fails on it
        return {**env, "RCLONE_CONFIG_M_TYPE": "s3", "RCLONE_CONFIG_M_PROVIDER": "Minio",
                "RCLONE_CONFIG_M_ENDPOINT": self.endpoint, "RCLONE_CONFIG_M_ACCESS_KEY_ID": USER,
                "RCLONE_CONFIG_M_SECRET_ACCESS_KEY": PASSWORD, "RCLONE_CONFIG_M_REGION": "us-east-1"}

    def rclone(self, *args, check=True, text=True) -> subprocess.CompletedProcess:
        p = subprocess.run(["rclone", "--low-level-retries", "1", "--retries", "1", *map(str, args)],
                           capture_output=True, text=text, env=self.rclone_env(), timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"rclone {args} -> {p.returncode}: {p.stderr}")
        return p

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key under `prefix` in `bucket`, as rclone lists them."""
        out = self.rclone("lsf", "-R", "--files-only", f"m:{bucket}/{prefix}").stdout
        return sorted(prefix + k for k in out.splitlines() if k)

    def cat(self, bucket: str, key: str) -> bytes:
        return self.rclone("cat", f"m:{bucket}/{key}", text=False).stdout

    def make_bucket(self, bucket: str):
        self.rclone("mkdir", f"m:{bucket}")


_LIVE_MINIO: list[MinioServer] = []


def stop_minio_under(d: Path):
    for m in [m for m in _LIVE_MINIO if d == m.root or d in m.root.parents]:
        m.stop()
