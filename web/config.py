"""Configuration from the environment, with an embedded default that needs no set-up."""

import os
import secrets
from pathlib import Path


def database_url(instance_path: str) -> str:
    """Return the database URL: GONGZHI_DATABASE_URL, else an SQLite file under instance/."""
    url = os.environ.get("GONGZHI_DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'gongzhi.db'}"
    # psycopg 3 is the driver the project installs; plain postgresql:// would look for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key(instance_path: str) -> str:
    """Return GONGZHI_SECRET_KEY, else a key generated once and kept in instance/secret_key."""
    if os.environ.get("GONGZHI_SECRET_KEY"):
        return os.environ["GONGZHI_SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def build_config(instance_path: str) -> dict:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    url = database_url(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        # No pool_pre_ping: it costs a round trip per command. engine/db.py refuses at check-out a pooled
        # PostgreSQL connection the server has closed (restart, idle timeout), which is what the ping caught.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SECRET_KEY": secret_key(instance_path),
        # The scheduler's period: due timers, SLA passes and outbox sweeps are sent this often.
        "TIMER_TICK_SECONDS": float(os.environ.get("GONGZHI_TIMER_TICK_SECONDS", "30")),
        # redis://... or amqp://...; none: `gongzhi serve` runs a worker in-process on the stub broker.
        "BROKER_URL": os.environ.get("GONGZHI_BROKER_URL") or None,
        "QUEUE_NAME": os.environ.get("GONGZHI_QUEUE_NAME") or "gongzhi",
        # Where login attempts are counted: memory:// is per process; several servers share redis://...
        "RATELIMIT_STORAGE_URI": os.environ.get("GONGZHI_RATELIMIT_STORAGE_URL") or "memory://",
        "LOGIN_RATE_LIMIT": os.environ.get("GONGZHI_LOGIN_RATE_LIMIT") or "10 per minute",
    }
