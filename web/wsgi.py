"""The WSGI entry point for production servers: `gunicorn -c python:web.gunicorn_conf web.wsgi:app`
(see docs/deployment.md).

With GONGZHI_BROKER_URL set, each committed outbox message is sent to the dramatiq workers at once;
without it, the web processes only write the outbox and `gongzhi scheduler` sweeps it to the workers.
"""

import logging

from integrations import setup_background
from web.app import create_app
from web.logs import configure_logging

if not logging.getLogger().handlers:  # a server started without web.gunicorn_conf still logs as configured
    configure_logging()
app = create_app()
if app.config["BROKER_URL"]:
    setup_background(app, broker_url=app.config["BROKER_URL"], queue_name=app.config["QUEUE_NAME"])
