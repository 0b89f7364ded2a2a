"""Encryption of the stored tokens at rest, with the key (or keys, while rotating) from ``LEDGERFLOW_TOKEN_KEY``."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

KEY_HELP = "generate one with `ledgerflow tokens key`"


class TokenKeyError(Exception):
    """The key is missing, malformed, or not the one the tokens were stored with."""


def new_key() -> str:
    return Fernet.generate_key().decode()


class TokenCipher:
    """Fernet (AES-128-CBC with HMAC-SHA256): a changed or truncated ciphertext is refused, never half-decrypted.

    With several keys, the first encrypts and each one decrypts, so that a new key can be rolled out before the
    rows are re-encrypted with it (``rotate``).
    """

    def __init__(self, key: SecretStr) -> None:
        keys = [part.strip() for part in key.get_secret_value().split(",") if part.strip()]
        if not keys:
            raise TokenKeyError(f"LEDGERFLOW_TOKEN_KEY is empty: {KEY_HELP}")
        try:
            self._fernet = MultiFernet([Fernet(part) for part in keys])
        except ValueError:
            # Fernet's message says what a key looks like; the key itself stays out of the error.
            raise TokenKeyError(
                f"LEDGERFLOW_TOKEN_KEY is not a key: each comma-separated part must be 32 url-safe base64-encoded "
                f"bytes; {KEY_HELP}"
            ) from None
        self._count = len(keys)

    def __repr__(self) -> str:
        return f"TokenCipher(keys={self._count})"

    def encrypt(self, token: SecretStr) -> bytes:
        return self._fernet.encrypt(token.get_secret_value().encode())

    def decrypt(self, sealed: bytes, what: str) -> SecretStr:
        try:
            return SecretStr(self._fernet.decrypt(sealed).decode())
        except InvalidToken:
            raise TokenKeyError(_wrong_key(what)) from None

    def rotate(self, sealed: bytes, what: str) -> bytes:
        """The same token, encrypted with the first key."""
        try:
            return self._fernet.rotate(sealed)
        except InvalidToken:
            raise TokenKeyError(_wrong_key(what)) from None


def _wrong_key(what: str) -> str:
    return (
        f"{what} cannot be decrypted with LEDGERFLOW_TOKEN_KEY: it was stored with another key (while rotating "
        "keys, list the new key first and the old one after it, comma-separated)"
    )
