"""The platform's HMAC signature, one scheme both ways: our webhooks sign with it, the 110 intake checks it."""

import hashlib
import hmac


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `{timestamp}.{body}` under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_matches(given: str, secret: str, timestamp: str, body: bytes) -> bool:
    """Compare in constant time, so the check does not tell how much of a forged signature was right."""
    return hmac.compare_digest(given.encode(), signature(secret, timestamp, body).encode())
