"""Encryption at rest (`format --encrypt-rsa-key`), byte-compatible with JuiceFS both ways, with
its compression (lz4, zstd): one client formats and writes, the other reads every byte and
writes, the first reads that back, `juicefs fsck` is clean. Plus the passphrase rules, a flipped
bit read as EIO, and the key never printed.

These fail (not skip) when juicefs is missing and TIERFS_REQUIRE_JUICEFS=1 (CI sets it).
"""
from __future__ import annotations

import hashlib
import os
import random
import subprocess
import time

import pytest

from harness import Volume, assert_clear_error, tree_fingerprint

MiB = 1 << 20
MARKER = b"tierfs-plaintext-marker "  # must appear in no stored object


def make_key(path, *openssl_args):
    subprocess.run(["openssl", "genrsa", "-out", str(path), *openssl_args, "2048"], check=True,
                   capture_output=True)
    return path


def write_corpus(root, seed: int) -> dict:
    """A few MB that cross 1 MiB blocks, overwrite in place, compress well and not at all."""
    rng = random.Random(seed)
    big = bytearray(rng.randbytes(3 * MiB + 12345))
    with open(root / "big", "wb") as f:
        f.write(big)
    with open(root / "big", "r+b") as f:  # a second slice across the block boundary
        patch = rng.randbytes(MiB + 7)
        f.seek(MiB - 3)
        f.write(patch)
        big[MiB - 3:2 * MiB + 4] = patch
    (root / "text").write_bytes((MARKER * 70_000)[: 3 * MiB // 2])
    (root / "small.txt").write_bytes(MARKER + b"small\n")
    (root / "empty").write_bytes(b"")
    os.makedirs(root / "dir", exist_ok=True)
    for i in range(20):
        (root / "dir" / f"f{seed}-{i}").write_bytes(rng.randbytes(rng.randrange(0, 70_000)))
    return contents(root)


def contents(root) -> dict:
    """Relative path -> sha256 of every regular file (the virtual files in the root excluded)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.samefile(dirpath, root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            filenames = [f for f in filenames if not f.startswith(".")]
        for name in filenames:
            p = os.path.join(dirpath, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


OVERHEAD = 3 + 256 + 12 + 16  # header, wrapped 2048-bit key, nonce, tag


def assert_objects_encrypted(vol: Volume, compressed: bool):
    """Every block object has the JuiceFS header (u16 BE 256 = a 2048-bit wrapped key, u8 12 =
    the nonce) and no plaintext shows through; uncompressed, it is the block plus OVERHEAD."""
    objs = vol.chunk_objects()
    assert objs, "no block objects were written"
    for o in objs:
        data = o.read_bytes()
        assert data[:3] == b"\x01\x00\x0c", f"{o}: not an encrypted object: {data[:8].hex()}"
        assert MARKER not in data, f"{o} holds plaintext"
        plain_len = int(o.name.rsplit("_", 1)[1])  # {id}_{indx}_{len}
        assert len(data) > OVERHEAD, o
        if not compressed:
            assert len(data) == plain_len + OVERHEAD, o
    uuid = (vol.bucket / vol.name / "juicefs_uuid").read_bytes()
    assert len(uuid) == 36 + OVERHEAD, "juicefs_uuid is not stored encrypted"


def session(vol: Volume, mp, binary, expect: dict | None = None, write_seed: int | None = None) -> dict:
    """One mount by `binary`: it must see exactly `expect` (when given), then writes a corpus
    (into dir/ when there is data already); returns what it sees at the end."""
    m = vol.mount(mp, binary=binary)
    try:
        if expect is not None:
            assert contents(m.path) == expect
        if write_seed is not None:
            write_corpus(m.path if expect is None else m.path / "dir", seed=write_seed)
        return contents(m.path)
    finally:
        m.umount()


def fsck_clean(jfs, vol: Volume):
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stderr
    assert "lost" not in p.stderr.lower() and "broken" not in p.stderr.lower(), p.stderr


@pytest.mark.parametrize("algo,compress,key_form", [
    ("aes256gcm-rsa", "zstd", []),
    ("aes256gcm-rsa", "lz4", []),
    ("chacha20-rsa", "none", ["-traditional"]),  # and a PKCS#1 key
], ids=["aes256gcm-zstd", "aes256gcm-lz4", "chacha20-none"])
@pytest.mark.parametrize("formatter", ["juicefs", "tierfs"])
def test_encrypted_volume_both_ways(fs, jfs, workdir, formatter, algo, compress, key_form):
    bins = {"tierfs": fs, "juicefs": jfs}
    writer = bins[formatter]
    reader = jfs if writer is fs else fs
    key = make_key(workdir / "key.pem", *key_form)
    vol = Volume(workdir, writer).format("--encrypt-rsa-key", key, "--encrypt-algo", algo,
                                      "--compress", compress, "--block-size", "1M")
    setting = vol.status(binary=jfs)["Setting"]
    assert setting["EncryptAlgo"] == algo and setting["Compression"] == compress
    assert setting["EncryptKey"] == "removed"
    mp = workdir / "mnt"

    written = session(vol, mp, writer, write_seed=1)
    assert_objects_encrypted(vol, compress != "none")
    written = session(vol, mp, reader, expect=written, write_seed=2)
    assert_objects_encrypted(vol, compress != "none")
    session(vol, mp, writer, expect=written)
    fsck_clean(jfs, vol)


def test_passphrase_protected_key(fs, jfs, workdir, monkeypatch):
    """An encrypted PEM needs JFS_RSA_PASSPHRASE at format and at mount: without it both fail
    with JuiceFS's one-line message and change nothing; with it juicefs reads what tierfs wrote."""
    key = make_key(workdir / "key.pem", "-aes256", "-passout", "pass:open sesame")
    vol = Volume(workdir / "v", fs, meta="sqlite3")
    vol.root.mkdir()
    args = ["format", vol.meta_url, vol.name, "--storage", "file", "--bucket", f"{vol.bucket}/",
            "--trash-days", "0", "--encrypt-rsa-key", key]
    monkeypatch.delenv("JFS_RSA_PASSPHRASE", raising=False)
    assert_clear_error(fs.run(*args), r"passphrase is required.*JFS_RSA_PASSPHRASE")
    assert tree_fingerprint(vol.root) == {}, "a failed format left files behind"
    monkeypatch.setenv("JFS_RSA_PASSPHRASE", "not it")
    assert_clear_error(fs.run(*args), r"password incorrect")
    assert tree_fingerprint(vol.root) == {}

    monkeypatch.setenv("JFS_RSA_PASSPHRASE", "open sesame")
    fs.run(*args, check=True)
    mp = workdir / "mnt"
    written = session(vol, mp, fs, write_seed=3)

    monkeypatch.delenv("JFS_RSA_PASSPHRASE")
    mp.mkdir(exist_ok=True)
    before = tree_fingerprint(vol.bucket)
    assert_clear_error(fs.run("mount", vol.meta_url, mp, "-d"), r"JFS_RSA_PASSPHRASE")
    assert not os.path.ismount(mp)
    assert tree_fingerprint(vol.bucket) == before

    monkeypatch.setenv("JFS_RSA_PASSPHRASE", "open sesame")
    session(vol, mp, jfs, expect=written)


def test_flipped_bit_reads_eio_naming_the_object(fs, jfs, workdir):
    """A changed bit in an object JuiceFS encrypted: tierfs's read fails with EIO (never other
    bytes) and its log names the object; the file's other blocks and other files still read."""
    key = make_key(workdir / "key.pem")
    vol = Volume(workdir, jfs).format("--encrypt-rsa-key", key, "--block-size", "1M")
    mp = workdir / "mnt"
    data = random.Random(5).randbytes(2 * MiB)
    m = vol.mount(mp, binary=jfs)
    try:
        (m / "f").write_bytes(data)
        (m / "g").write_bytes(b"intact\n")
    finally:
        m.umount()
    victim = next(o for o in vol.chunk_objects() if o.name.endswith(f"_1_{MiB}"))
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0x04
    victim.write_bytes(bytes(raw))

    m = vol.mount(mp, binary=fs)  # the default --io-retries 10: corrupt data is not retried
    try:
        with open(m / "f", "rb") as f:
            assert f.read(MiB) == data[:MiB]
            f.seek(MiB)
            start = time.monotonic()
            with pytest.raises(OSError) as e:
                f.read(MiB)
            took = time.monotonic() - start
        assert e.value.errno == 5, e.value
        assert (m / "g").read_bytes() == b"intact\n"
        # The failed GETs were counted (one per fetch of the block: the read's FUSE requests,
        # maybe read-ahead), none was retried (11 tries, ~16 s of back-off, each).
        errors = next(int(line.split()[1]) for line in (m / ".stats").read_text().splitlines()
                      if line.startswith("tierfs_object_request_errors "))
        assert errors >= 1, errors
        assert took < 5, f"the read of a corrupt block took {took:.1f} s"
    finally:
        m.umount()
    rel = victim.relative_to(vol.bucket / vol.name).as_posix()
    log = m.log.read_text(errors="replace")
    assert any("EIO" in line and rel in line for line in log.splitlines()), log[-3000:]
    assert not [line for line in log.splitlines() if "retrying" in line], log[-3000:]


def test_key_is_never_printed(fs, workdir):
    key = make_key(workdir / "key.pem")
    pem = key.read_text()
    body = pem.splitlines()[1]  # a line of the key's base64
    vol = Volume(workdir, fs)
    p = fs.run("format", vol.meta_url, vol.name, "--storage", "file", "--bucket", f"{vol.bucket}/",
               "--encrypt-rsa-key", key, check=True)
    assert body not in p.stdout + p.stderr
    st = fs.run("status", vol.meta_url, check=True)
    assert body not in st.stdout and '"EncryptKey": "removed"' in st.stdout
    m = vol.mount(workdir / "mnt")
    try:
        config = (m / ".config").read_text()
    finally:
        m.umount()
    assert body not in config and "PRIVATE KEY" not in config
    assert '"EncryptKey": "removed"' in config
    assert body not in m.log.read_text(errors="replace")


@pytest.mark.parametrize("case", ["missing-file", "not-rsa", "unknown-algo", "sm4gcm"])
def test_bad_encryption_flags_change_nothing(fs, workdir, case):
    key = workdir / "k.pem"
    if case == "not-rsa":
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", str(key)], check=True, capture_output=True)
    elif case != "missing-file":
        make_key(key)
    algo = {"unknown-algo": "rot13", "sm4gcm": "sm4gcm"}.get(case, "aes256gcm-rsa")
    vol = Volume(workdir / "v", fs, meta="sqlite3")
    vol.root.mkdir()
    p = fs.run("format", vol.meta_url, vol.name, "--storage", "file", "--bucket", f"{vol.bucket}/",
               "--encrypt-rsa-key", key, "--encrypt-algo", algo)
    pattern = {"missing-file": r"load RSA key from .*k\.pem", "not-rsa": r"only RSA",
               "unknown-algo": r"encrypt-algo.*rot13", "sm4gcm": r"sm4gcm.*not supported"}[case]
    assert_clear_error(p, pattern)
    assert tree_fingerprint(vol.root) == {}
