"""Encryption at rest (SPEC §14): the state key, the key check, and sealed column values.

`ORCHC_STATE_KEY` is either 32 random bytes in base64 (used as the AES-256 key as is) or
a passphrase, stretched by scrypt with a random salt kept in the store. The store's
`meta` row `encryption` holds the KDF, its salt and parameters, and a *key check*: a
constant sealed with the key. Opening a store decrypts the check first, so a missing or
wrong key is refused before any other row is read or written.

Values are sealed with AES-256-GCM (the `cryptography` package, never home-made
crypto): `enc1:` + base64(12-byte random nonce + ciphertext + tag). The associated data
names the column and the (app, env, uid) of the row, so a sealed value copied into
another row or column does not open. Keys and passphrases never appear in a message.

>>> key = StateKey.from_text(base64.b64encode(bytes(32)).decode())
>>> cipher, meta = key.new_cipher()
>>> sealed = cipher.seal('{"password":"hunter2"}', b"secrets")
>>> sealed.startswith(SEALED_PREFIX), "hunter2" in sealed
(True, False)
>>> cipher.open(sealed, b"secrets")
'{"password":"hunter2"}'
>>> key.cipher_for(meta).open(sealed, b"secrets")
'{"password":"hunter2"}'
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass

from .errors import StateKeyError

__all__ = [
    "KEY_VARIABLE",
    "NEW_KEY_VARIABLE",
    "SEALED_PREFIX",
    "StateCipher",
    "StateKey",
    "key_from_environment",
]

KEY_VARIABLE = "ORCHC_STATE_KEY"
NEW_KEY_VARIABLE = "ORCHC_STATE_NEW_KEY"
SEALED_PREFIX = "enc1:"
KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
# scrypt cost: 2**15 x 8 x 128 bytes = 32 MiB and about 0.1 s per open, the interactive
# setting the scrypt paper and OWASP recommend; kept in the store so it can be raised.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_CHECK_PLAINTEXT = "orchc state key check"
_CHECK_CONTEXT = b"orchc-key-check"


class StateCipher:
    """Seals and opens column values with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        # Imported here: most states are not encrypted, and `cryptography` is a tenth of
        # the start-up of `orchc plan` (issue 16).
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def seal(self, text: str, context: bytes) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, text.encode(), context)
        return SEALED_PREFIX + base64.b64encode(sealed).decode("ascii")

    def open(self, text: str, context: bytes) -> str:
        """The plaintext of a sealed value; `StateKeyError` if it is not sealed with this
        key for this context."""
        from cryptography.exceptions import InvalidTag

        if not text.startswith(SEALED_PREFIX):
            raise StateKeyError("the encrypted state holds a value that is not encrypted")
        try:
            sealed = base64.b64decode(text.removeprefix(SEALED_PREFIX), validate=True)
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
        except (binascii.Error, InvalidTag, ValueError):
            raise StateKeyError("a value in the state does not decrypt with its key") from None
        return plain.decode()


@dataclass(frozen=True)
class StateKey:
    """The key text as given (a passphrase or base64 of 32 bytes); never printed."""

    text: str

    def __repr__(self) -> str:
        return "StateKey(***)"

    @classmethod
    def from_text(cls, text: str) -> StateKey:
        if not text:
            raise StateKeyError(f"{KEY_VARIABLE} is set but empty")
        return cls(text)

    def new_cipher(self) -> tuple[StateCipher, str]:
        """A cipher for a store being encrypted now, and the `meta` value to store: a new
        salt for a passphrase, and the key check."""
        raw = self._raw_key()
        if raw is not None:
            params: dict[str, object] = {"kdf": "none"}
        else:
            params = {
                "kdf": "scrypt",
                "salt": base64.b64encode(os.urandom(SALT_BYTES)).decode("ascii"),
                "n": SCRYPT_N,
                "r": SCRYPT_R,
                "p": SCRYPT_P,
            }
        cipher = StateCipher(self._derive(params))
        params["check"] = cipher.seal(_CHECK_PLAINTEXT, _CHECK_CONTEXT)
        return cipher, json.dumps(params, sort_keys=True, separators=(",", ":"))

    def cipher_for(self, meta: str) -> StateCipher:
        """The cipher of a store whose `meta` encryption value is `meta`, or
        `StateKeyError` when this key does not open the key check."""
        params = json.loads(meta)
        try:
            cipher = StateCipher(self._derive(params))
            if cipher.open(str(params["check"]), _CHECK_CONTEXT) == _CHECK_PLAINTEXT:
                return cipher
        except (StateKeyError, KeyError, ValueError, TypeError):
            pass
        raise StateKeyError(
            f"{KEY_VARIABLE} is not the key this state was encrypted with "
            "(nothing was read or changed)"
        )

    def _derive(self, params: dict[str, object]) -> bytes:
        if params["kdf"] == "none":
            raw = self._raw_key()
            if raw is None:
                raise StateKeyError("the state was encrypted with a 32-byte base64 key")
            return raw
        if params["kdf"] != "scrypt":
            raise StateKeyError(f"the state uses an unknown key derivation '{params['kdf']}'")
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        salt = base64.b64decode(str(params["salt"]))
        n, r, p = (int(str(params[name])) for name in ("n", "r", "p"))
        return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(self.text.encode())

    def _raw_key(self) -> bytes | None:
        """The key itself when the text is base64 of exactly 32 bytes, else None (a
        passphrase)."""
        try:
            raw = base64.b64decode(self.text, validate=True)
        except (binascii.Error, ValueError):
            return None
        return raw if len(raw) == KEY_BYTES else None


def key_from_environment(variable: str = KEY_VARIABLE) -> StateKey | None:
    """The key in `variable`, or None when it is not set."""
    text = os.environ.get(variable)
    if text is None:
        return None
    if not text:
        raise StateKeyError(f"{variable} is set but empty")
    return StateKey(text)
