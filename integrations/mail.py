"""Email through an SMTP server: GONGZHI_SMTP_URL (smtp://[user:password@]host[:port], smtps:// for TLS,
smtp://...?starttls=1 to upgrade), from GONGZHI_MAIL_FROM."""

import os
import smtplib
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from engine.outbox import Message
from integrations.messages import outgoing

TIMEOUT_SECONDS = 10.0


def deliver_email(message: Message) -> None:
    """Send the message by email; raise on any SMTP failure (the outbox retries)."""
    url = os.environ.get("GONGZHI_SMTP_URL")
    if not url:
        raise RuntimeError("GONGZHI_SMTP_URL is not set: email cannot be sent")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise RuntimeError(f"GONGZHI_SMTP_URL={url!r} is not understood: use smtp://host:25 or smtps://host:465")
    out = outgoing(message)
    email = EmailMessage()
    email["From"] = os.environ.get("GONGZHI_MAIL_FROM") or "gongzhi@localhost"
    email["To"] = out.to
    email["Subject"] = out.subject
    # The same on every attempt: a mail system that keeps Message-IDs files a retried message once.
    email["Message-ID"] = f"<{message.dedupe_key.replace(':', '.')}@gongzhi>"
    email.set_content(out.text)
    client = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with client(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25),
                timeout=TIMEOUT_SECONDS) as smtp:
        if parse_qs(parts.query).get("starttls") == ["1"]:
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(email)
