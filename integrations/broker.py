"""The dramatiq broker: Redis or RabbitMQ from GONGZHI_BROKER_URL, else the in-process stub broker."""

import threading

import dramatiq
import pika
import pika.exceptions
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from flask import Flask


class BrokerConfigError(ValueError):
    pass


def make_broker(url: str | None) -> dramatiq.Broker:
    """A broker for `url` (redis://, rediss://, amqp://, amqps://); the stub broker when there is none."""
    if not url:
        return StubBroker()
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("redis", "rediss"):
        return RedisBroker(url=url)
    if scheme in ("amqp", "amqps"):
        return RabbitmqBroker(url=url)
    raise BrokerConfigError(f"GONGZHI_BROKER_URL={url!r} is not understood: use redis://host:6379/0 or "
                            "amqp://user:password@host:5672/")


class AppContext(dramatiq.Middleware):
    """Run every message inside its own Flask app context, so actors reach the database."""

    def __init__(self, app: Flask):
        self.app = app
        self._local = threading.local()

    def before_process_message(self, broker, message):
        context = self.app.app_context()
        context.push()
        self._local.context = context

    def after_process_message(self, broker, message, *, result=None, exception=None):
        context = self._local.__dict__.pop("context", None)
        if context is not None:
            context.pop()

    after_skip_message = after_process_message


def broker_problem(url: str, *, timeout: float = 2.0) -> str | None:
    """Connect to the broker at `url` and let go: None when it answers, else what went wrong (for /ready)."""
    scheme = url.split("://", 1)[0].lower()
    try:
        if scheme in ("redis", "rediss"):
            client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
            try:
                client.ping()
            finally:
                client.close()
        elif scheme in ("amqp", "amqps"):
            parameters = pika.URLParameters(url)
            parameters.socket_timeout = parameters.stack_timeout = parameters.blocked_connection_timeout = timeout
            parameters.connection_attempts, parameters.retry_delay = 1, 0
            pika.BlockingConnection(parameters).close()
        else:
            return f"GONGZHI_BROKER_URL has the unknown scheme {scheme!r}"
    except (redis.RedisError, pika.exceptions.AMQPError, OSError) as error:
        return f"unreachable: {type(error).__name__}: {error}".rstrip(": ")
    return None
