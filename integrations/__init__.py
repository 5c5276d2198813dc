"""The outside world: the dramatiq broker and actors, webhooks, and (to come) intake and notifications."""

import dramatiq
from flask import Flask

from engine import outbox
from integrations.actors import Actors, declare_actors
from integrations.broker import AppContext, make_broker
from integrations.metrics import JobMetrics


def setup_background(app: Flask, *, broker_url: str | None, queue_name: str = "gongzhi"
                     ) -> tuple[dramatiq.Broker, Actors]:
    """Create the broker, run each message in an app context, declare the actors and have every
    committed outbox message sent to them at once."""
    broker = make_broker(broker_url)
    broker.add_middleware(AppContext(app))
    broker.add_middleware(JobMetrics())
    dramatiq.set_broker(broker)
    actors = declare_actors(broker, queue_name=queue_name)
    outbox.on_enqueued(lambda ids: [actors.deliver_message.send(message_id) for message_id in ids])
    return broker, actors
