"""Key material for generated data: real, parseable keys made from a seed, so a fixture
seed repeats them byte for byte. Imported only when a template makes keys (cryptography
is slow to import)."""

from __future__ import annotations

import base64
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def pem_public_key(seed: bytes) -> str:
    """An ed25519 public key in PEM (SubjectPublicKeyInfo) from a 32-byte seed."""
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def openssh_ed25519_key(seed: bytes, checkint: int, comment: str) -> str:
    """An unencrypted OpenSSH ed25519 private key, built byte for byte so a seed repeats it."""
    private = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public_blob = _ssh_string(b"ssh-ed25519") + _ssh_string(public)
    secret = (struct.pack(">II", checkint, checkint) + _ssh_string(b"ssh-ed25519") + _ssh_string(public)
              + _ssh_string(seed + public) + _ssh_string(comment.encode()))
    pad = 1
    while len(secret) % 8:
        secret += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + _ssh_string(b"none") + _ssh_string(b"none") + _ssh_string(b"")
            + struct.pack(">I", 1) + _ssh_string(public_blob) + _ssh_string(secret))
    text = base64.b64encode(blob).decode()
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----\n"
