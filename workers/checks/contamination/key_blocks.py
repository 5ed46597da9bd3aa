"""Whether a committed private key block is protected by a passphrase.

An encrypted key is key material, but not a usable key: what guards it is the passphrase,
which may be strong and elsewhere, or weak or beside it. So it is reported lower than a key
in plain text. Each format says so itself, in a few bytes read here rather than by a crypto
library (``cryptography`` reads no OpenPGP, and would parse and validate the whole key to
answer a yes/no question that its header or first packet answers):

* PEM: PKCS#8's ``ENCRYPTED PRIVATE KEY`` header, or OpenSSL's ``Proc-Type: 4,ENCRYPTED``
  header line (PKCS#1 keys); ``SSH2 ENCRYPTED PRIVATE KEY`` (ssh.com) says so by name.
* OpenSSH (``openssh-key-v1``): the cipher name right after the magic, ``none`` when the
  key is in the clear.
* OpenPGP (RFC 4880, section 5.5.3): the first packet is a secret key; after its public
  part comes the string-to-key usage octet, 0 when the secret part is in the clear.

Anything prgate cannot read this way (a truncated block, an unknown algorithm) answers None:
the block is taken for a key in plain text, as before.
"""

from __future__ import annotations

import base64
import binascii

_OPENSSH_MAGIC = b"openssh-key-v1\x00"
# OpenPGP public-key algorithms (RFC 4880 9.1, RFC 6637, RFC 9580) -> the public fields in
# their order: "m" an MPI, "o" an OID (one length octet), "k" ECDH's KDF parameters
_PGP_PUBLIC = {1: "mm", 2: "mm", 3: "mm", 16: "mmm", 17: "mmmm", 18: "omk", 19: "om", 22: "om"}


def encrypted(kind: str, lines: list[str]) -> bool | None:
    """Whether the block opened by a ``-----BEGIN <kind>PRIVATE KEY...`` header (``kind``:
    ``""``, ``"RSA "``, ``"OPENSSH "``, ``"PGP "``...) and continued by ``lines`` is
    encrypted; None when prgate cannot tell."""
    kind = kind.strip()
    if kind in ("ENCRYPTED", "SSH2 ENCRYPTED"):
        return True
    headers, body = _armor(lines)
    if any(h.replace(" ", "").upper() == "PROC-TYPE:4,ENCRYPTED" for h in headers):
        return True
    if kind in ("", "RSA", "DSA", "EC"):
        return False  # PKCS#8 and PKCS#1 without Proc-Type are in the clear
    data = _decode(body)
    if data is None:
        return None
    if kind == "OPENSSH":
        return _openssh(data)
    if kind == "PGP":
        return _pgp(data)
    return None


def _armor(lines: list[str]) -> tuple[list[str], list[str]]:
    """The header lines (``Name: value``) and the base64 lines of a block, up to its end."""
    headers: list[str] = []
    body: list[str] = []
    for raw in lines:
        line = raw.strip(" \t\r\"',;|\\")
        if line.startswith("-----END"):
            break
        if not body and ":" in line:
            headers.append(line)
        elif line.startswith("="):  # OpenPGP's checksum line ends the data
            break
        elif line:
            body.append(line)
    return headers, body


def _decode(body: list[str]) -> bytes | None:
    try:
        return base64.b64decode("".join(body), validate=True)
    except (binascii.Error, ValueError):
        return None


def _openssh(data: bytes) -> bool | None:
    if not data.startswith(_OPENSSH_MAGIC):
        return None
    at = len(_OPENSSH_MAGIC)
    size = int.from_bytes(data[at : at + 4], "big")
    cipher = data[at + 4 : at + 4 + size]
    if len(cipher) != size or not cipher:
        return None
    return cipher != b"none"


def _pgp(data: bytes) -> bool | None:
    """The first packet's string-to-key usage: a secret key (tag 5) or subkey (tag 7) of
    version 4 (versions 5 and 6 have a different layout: None)."""
    if not data or not data[0] & 0x80:
        return None
    if data[0] & 0x40:  # new format: the tag in six bits, then a length
        tag, at = data[0] & 0x3F, 1
        first = data[1] if len(data) > 1 else 0
        at += 1 if first < 192 else 2 if first < 224 else 5
    else:  # old format: four bits of tag, two of length type
        tag, at = (data[0] >> 2) & 0x0F, 1 + {0: 1, 1: 2, 2: 4, 3: 0}[data[0] & 0x03]
    if tag not in (5, 7) or len(data) < at + 6 or data[at] != 4:
        return None
    fields = _PGP_PUBLIC.get(data[at + 5])
    if fields is None:
        return None
    pos = at + 6
    for field in fields:
        if pos >= len(data):
            return None
        if field == "m":  # a two-octet bit count, then the bits
            pos += 2 + (int.from_bytes(data[pos : pos + 2], "big") + 7) // 8
        else:  # an OID, or KDF parameters: one length octet, then the bytes
            pos += 1 + data[pos]
    return data[pos] != 0 if pos < len(data) else None
