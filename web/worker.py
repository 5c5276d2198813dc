"""The worker entry point: `dramatiq web.worker:broker` (what `gongzhi worker` runs).

A composition root like web.create_app: the app gives the database, integrations the actors.
"""

from integrations import setup_background
from web.app import create_app
from web.logs import configure_logging

# Each worker process logs in the configured format (GONGZHI_LOG_FORMAT) to the stderr dramatiq gave it.
configure_logging()
app = create_app()
if not app.config["BROKER_URL"]:
    raise SystemExit("gongzhi worker needs GONGZHI_BROKER_URL (redis://... or amqp://...): the stub broker "
                     "lives inside one process; `gongzhi serve` runs that one itself")
broker, actors = setup_background(app, broker_url=app.config["BROKER_URL"],
                                  queue_name=app.config["QUEUE_NAME"])
