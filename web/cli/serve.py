"""gongzhi serve: the web server, with an in-process timer worker on the embedded default."""

import logging
import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from engine import fire_due_timers
from engine.db import utcnow

log = logging.getLogger(__name__)


def tick(app) -> int:
    """Fire the timers that are due now; return how many cases moved on."""
    with app.app_context():
        try:
            fired = fire_due_timers(now=utcnow())
        except Exception:  # the ticker must outlive a bad tick; the next one retries
            log.exception("timer tick failed")
            return 0
    if fired:
        log.info("timers fired on %d case(s)", fired)
    return fired


def _tick_forever(app, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        tick(app)


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host, port):
    """Run the web server and an in-process worker that fires due BPMN timers."""
    app = current_app._get_current_object()
    stop = threading.Event()
    ticker = threading.Thread(target=_tick_forever, name="timer-ticker", daemon=True,
                              args=(app, app.config["TIMER_TICK_SECONDS"], stop))
    ticker.start()
    click.echo(f"共治 Gongzhi 已启动: http://{host}:{port}/  (Ctrl+C 退出)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
