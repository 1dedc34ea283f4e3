"""The object-request flags of `mount` (--max-uploads, --max-downloads, --io-retries,
--upload-limit, --download-limit, --get-timeout, --put-timeout): accepted, in force as `.config`
shows them (JuiceFS's names and units), the volume's UploadLimit/DownloadLimit used when a
bandwidth flag is absent, and bad values refused in one line. The wrappers' behaviour itself
(retries, bounds, rates) is unit-tested on a fake clock (tests/object, tests/util)."""
from __future__ import annotations

import json
import os
import subprocess

from harness import Volume, assert_clear_error


def chunk_config(m) -> dict:
    return json.loads((m / ".config").read_text())["Chunk"]


def stats(m) -> dict[str, float]:
    out = {}
    for line in (m / ".stats").read_text().splitlines():
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def test_flags_are_in_force_as_config_shows(fs, workdir):
    vol = Volume(workdir, fs).format()
    m = vol.mount(workdir / "mnt", extra=[
        "--max-uploads", "7", "--max-downloads", "9", "--io-retries", "3",
        "--upload-limit", "800", "--download-limit", "1.5G",
        "--get-timeout", "5", "--put-timeout", "2500ms"])
    try:
        c = chunk_config(m)
        assert c["MaxUpload"] == 7 and c["MaxDownload"] == 9 and c["MaxRetries"] == 3, c
        assert c["UploadLimit"] == 100_000_000, c       # 800 Mbps in bytes/s
        assert c["DownloadLimit"] == 187_500_000, c     # 1.5 Gbps
        assert c["GetTimeout"] == 5_000_000_000, c      # Go durations: nanoseconds
        assert c["PutTimeout"] == 2_500_000_000, c
        data = os.urandom(3 << 20)
        (m / "f").write_bytes(data)
        assert (m / "f").read_bytes() == data
        s = stats(m)
        # The mount's store is metered: the block PUTs were counted, none is in flight now.
        assert s["tierfs_object_request_data_bytes_PUT"] >= len(data), s
        assert s["tierfs_object_request_durations_histogram_seconds_PUT_total"] >= 1, s
        assert s["tierfs_object_request_uploading"] == 0, s
        assert s["tierfs_object_request_errors"] == 0, s
    finally:
        m.umount()


def _set_format_field(db, field, value):
    subprocess.run(["sqlite3", str(db), f"UPDATE jfs_setting SET value = json_set(value, '$.{field}', "
                    f"{value}) WHERE name = 'format'"], check=True)


def test_volume_limits_apply_without_flags(fs, workdir):
    vol = Volume(workdir, fs, meta="sqlite3").format()
    _set_format_field(vol.db, "UploadLimit", 80)   # Mbps, as `juicefs config --upload-limit 80`
    _set_format_field(vol.db, "DownloadLimit", 40)
    m = vol.mount(workdir / "mnt")
    try:
        c = chunk_config(m)
        assert c["UploadLimit"] == 10_000_000 and c["DownloadLimit"] == 5_000_000, c
        assert c["MaxUpload"] == 20 and c["MaxDownload"] == 200 and c["MaxRetries"] == 10, c
        assert c["GetTimeout"] == c["PutTimeout"] == 60_000_000_000, c
    finally:
        m.umount()
    m = vol.mount(workdir / "mnt", extra=["--upload-limit", "0"])  # a flag wins, 0 lifts it
    try:
        c = chunk_config(m)
        assert c["UploadLimit"] == 0 and c["DownloadLimit"] == 5_000_000, c
    finally:
        m.umount()


def test_bad_flag_values_are_refused(fs, volume, workdir):
    mp = workdir / "mnt"
    mp.mkdir()
    for flags, why in [(["--upload-limit", "fast"], r"--upload-limit.*fast"),
                       (["--download-limit", "10MB"], r"--download-limit.*10MB"),
                       (["--get-timeout", "soon"], r"--get-timeout.*soon"),
                       (["--max-uploads", "0"], r"--max-uploads"),
                       (["--max-downloads", "0"], r"--max-downloads"),
                       (["--io-retries", "-1"], r"--io-retries")]:
        assert_clear_error(fs.run("mount", volume.meta_url, mp, "-d", *flags), why)
        assert not os.path.ismount(mp)
