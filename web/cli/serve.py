"""gongzhi serve: the web server, with an in-process worker and scheduler on the embedded default."""

import logging
import threading

import click
import dramatiq
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from integrations import setup_background
from integrations.scheduler import run_forever

log = logging.getLogger(__name__)


def start_in_process_worker(app) -> tuple[dramatiq.Worker, threading.Event]:
    """Run the actors on the stub broker in this process, and a scheduler thread that feeds them."""
    broker, actors = setup_background(app, broker_url=None, queue_name=app.config["QUEUE_NAME"])
    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.start()
    stop = threading.Event()
    threading.Thread(target=run_forever, name="scheduler", daemon=True,
                     kwargs={"app": app, "actors": actors, "interval": app.config["TIMER_TICK_SECONDS"],
                             "stop": stop}).start()
    return worker, stop


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host, port):
    """Run the web server; without GONGZHI_BROKER_URL, also the background worker and scheduler."""
    app = current_app._get_current_object()
    worker = stop = None
    if app.config["BROKER_URL"]:
        setup_background(app, broker_url=app.config["BROKER_URL"], queue_name=app.config["QUEUE_NAME"])
        click.echo("后台任务发往 GONGZHI_BROKER_URL；请另行运行 gongzhi worker 与 gongzhi scheduler。")
    else:
        worker, stop = start_in_process_worker(app)
    click.echo(f"共治 Gongzhi 已启动: http://{host}:{port}/  (Ctrl+C 退出)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if stop is not None:
            stop.set()
            worker.stop()
