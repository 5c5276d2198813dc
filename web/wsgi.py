"""The WSGI entry point for production servers: `gunicorn web.wsgi:app` (see docs/deployment.md).

With GONGZHI_BROKER_URL set, each committed outbox message is sent to the dramatiq workers at once;
without it, the web processes only write the outbox and `gongzhi scheduler` sweeps it to the workers.
"""

from integrations import setup_background
from web.app import create_app

app = create_app()
if app.config["BROKER_URL"]:
    setup_background(app, broker_url=app.config["BROKER_URL"], queue_name=app.config["QUEUE_NAME"])
