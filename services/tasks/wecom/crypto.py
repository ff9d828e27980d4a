"""WeCom's callback protocol (企业微信回调加解密), pure.

``msg_signature`` = SHA1 of the sorted concatenation of token, timestamp, nonce and the
encrypted payload. AES key = base64-decode(EncodingAESKey + "="), 32 bytes; IV = its
first 16 bytes; AES-256-CBC with PKCS#7 padding to 32-byte blocks. Plaintext = 16
random bytes + 4-byte big-endian length + message + receive id (the corp id, checked).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from xml.etree import ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
MAX_BODY = 64 * 1024


class CallbackRejected(Exception):
    """The request is not a valid WeCom callback (signature, cipher, corp id, shape)."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


class CallbackCrypto:
    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        self.token = token
        try:
            self.key = base64.b64decode(encoding_aes_key + "=")
        except ValueError as e:
            raise ValueError("EncodingAESKey is not base64") from e
        if len(self.key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self.corp_id = corp_id

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, msg_signature or ""):
            raise CallbackRejected("bad msg_signature")

    def decrypt(self, encrypted: str) -> str:
        try:
            raw = base64.b64decode(encrypted)
            d = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
            plain = d.update(raw) + d.finalize()
            pad = plain[-1]
            if not 1 <= pad <= BLOCK:
                raise CallbackRejected("bad padding")
            plain = plain[:-pad]
            (length,) = struct.unpack(">I", plain[16:20])
            message = plain[20 : 20 + length]
            receive_id = plain[20 + length :].decode()
        except (ValueError, struct.error) as e:
            raise CallbackRejected(f"cannot decrypt: {e}") from e
        if receive_id != self.corp_id:
            raise CallbackRejected("corp id does not match")
        return message.decode()

    def encrypt(self, message: str) -> str:
        body = message.encode()
        plain = os.urandom(16) + struct.pack(">I", len(body)) + body + self.corp_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        e = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(e.update(plain) + e.finalize()).decode()

    def open(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> dict[str, str]:
        """Verify and decrypt a POSTed callback; the inner message's fields."""
        if len(body) > MAX_BODY:
            raise CallbackRejected("body too large")
        encrypted = xml_fields(body).get("Encrypt", "")
        if not encrypted:
            raise CallbackRejected("no Encrypt element")
        self.verify(msg_signature, timestamp, nonce, encrypted)
        return xml_fields(self.decrypt(encrypted).encode())


def xml_fields(body: bytes) -> dict[str, str]:
    """Top-level text fields of a WeCom XML message (no DTDs or entities accepted)."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise CallbackRejected("DTDs are not accepted")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as e:
        raise CallbackRejected(f"not XML: {e}") from e
    return {child.tag: (child.text or "").strip() for child in root}
