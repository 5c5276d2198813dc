"""gongzhi worker / scheduler / sla / outbox / channel: the background work and its administration."""

import contextlib
import os
import sys
import tempfile
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine import outbox
from engine.channels import add_channel, deactivate_channel, list_channels
from engine.db import utcnow
from engine.sla import mark_breaches, send_due_supervision, supervision_chain
from integrations import setup_background
from integrations.broker import BrokerConfigError
from integrations.metrics import worker_metrics_address
from integrations.scheduler import run_forever, tick
from processes.supervision import ChainConfigError
from web.cli.output import engine_errors, local_time, print_json
from web.logs import LoggingConfigError, configure_logging, log_format, log_level


def _broker_url() -> str:
    url = current_app.config["BROKER_URL"]
    if not url:
        raise click.ClickException("set GONGZHI_BROKER_URL (redis://127.0.0.1:6379/0 or "
                                   "amqp://guest:guest@127.0.0.1:5672/): workers and schedulers of several "
                                   "processes meet at a broker; `gongzhi serve` alone needs none")
    return url


def _configure_logging(*, check_only: bool = False) -> None:
    """Log in the configured format from here on (GONGZHI_LOG_FORMAT, GONGZHI_LOG_LEVEL), or only check it."""
    try:
        if check_only:
            log_format(), log_level()
        else:
            configure_logging()
    except LoggingConfigError as error:
        raise click.ClickException(str(error)) from None


def _worker_metrics_dir() -> None:
    """With GONGZHI_WORKER_METRICS_PORT, give the worker processes a fresh directory to add their counts up in."""
    try:
        if worker_metrics_address() is None:
            return
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    directory = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or
                     Path(tempfile.gettempdir()) / f"gongzhi-worker-metrics-{os.getpid()}")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # counts of an earlier run would be added to this one's
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _background():
    try:
        supervision_chain()
        return setup_background(current_app._get_current_object(), broker_url=_broker_url(),
                                queue_name=current_app.config["QUEUE_NAME"])
    except (BrokerConfigError, ChainConfigError) as error:
        raise click.ClickException(str(error)) from None


@click.command("worker")
@with_appcontext
@click.option("--processes", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
def worker(processes, threads):
    """Run dramatiq worker processes for the background jobs (needs GONGZHI_BROKER_URL)."""
    _background()  # fail here, readably, rather than in every worker process
    _configure_logging(check_only=True)  # web.dramatiq_main sets it up in the processes to come
    _worker_metrics_dir()
    argv = [sys.executable, "-m", "web.dramatiq_main", "--skip-logging", "web.worker:broker",
            "--processes", str(processes), "--threads", str(threads)]
    os.execv(sys.executable, argv)


@click.command("scheduler")
@with_appcontext
@click.option("--interval", type=click.FloatRange(0.1), help="seconds between ticks (GONGZHI_TIMER_TICK_SECONDS)")
@click.option("--once", is_flag=True, help="send one round of due jobs and exit")
def scheduler(interval, once):
    """Send the due timer, SLA and delivery jobs to the workers, every few seconds."""
    _broker, actors = _background()
    _configure_logging()
    if once:
        sent = tick(actors)
        click.echo(f"已发送: 定时器 {sent['timers']} 个案件, 投递 {sent['outbox']} 条消息, SLA 巡检 1 次")
        return
    app = current_app._get_current_object()
    click.echo("调度器已启动 (Ctrl+C 退出)")
    with contextlib.suppress(KeyboardInterrupt):
        run_forever(app, actors, interval=interval or app.config["TIMER_TICK_SECONDS"], stop=threading.Event())


@click.group("sla")
def sla():
    """The SLA monitor: find breaches and send the supervision chain."""


@sla.command("scan")
@with_appcontext
@click.option("--json", "as_json", is_flag=True)
def sla_scan(as_json):
    """Run one monitor pass now, in this process."""
    try:
        now = utcnow()
        breaches = mark_breaches(now=now)
        notices = send_due_supervision(now=now)
    except ChainConfigError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        print_json({"breaches": breaches, "notices": notices})
    else:
        click.echo(f"新发现超时 {breaches} 项, 发出通知 {notices} 条")


@click.group("outbox")
def outbox_group():
    """Messages waiting for delivery, sent, or dead (failed for good)."""


@outbox_group.command("list")
@with_appcontext
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]))
@click.option("--json", "as_json", is_flag=True)
def outbox_list(status, as_json):
    """The latest messages with their attempts and last error."""
    messages = outbox.list_messages(status=status)
    if as_json:
        print_json(messages)
        return
    for m in messages:
        click.echo(f"{m['id']:>6}  {m['status']:<7} {m['topic']:<8} 尝试 {m['attempts']}  "
                   f"{local_time(m['created_at'])}  {m['last_error'] or ''}")
    if not messages:
        click.echo("(无消息)")


@outbox_group.command("retry")
@with_appcontext
@click.argument("message_id", type=int)
@engine_errors
def outbox_retry(message_id):
    """Give a dead message a fresh set of attempts."""
    outbox.retry_dead(message_id)
    click.echo(f"消息 {message_id} 已重新排队")


@click.group("channel")
def channel():
    """Where agencies and users hear of their notices (webhook, email, SMS)."""


@channel.command("add")
@with_appcontext
@click.option("--agency", "agency_code")
@click.option("--user", "username")
@click.option("--webhook", help="a partner system's https:// URL (signed with --secret)")
@click.option("--email", help="an email address (sent through GONGZHI_SMTP_URL)")
@click.option("--sms", help="a mobile number (sent through GONGZHI_SMS_GATEWAY_URL)")
@click.option("--secret", default="", help="the webhook's HMAC signing key, shared with the partner (16+ characters)")
@engine_errors
def channel_add(agency_code, username, webhook, email, sms, secret):
    """Send an agency's (or a user's) notices to a webhook, an email address or a mobile."""
    given = {kind: address for kind, address in (("webhook", webhook), ("email", email), ("sms", sms)) if address}
    if len(given) != 1:
        raise click.UsageError("give exactly one of --webhook, --email and --sms")
    [(kind, address)] = given.items()
    channel_id = add_channel(kind=kind, address=address, secret=secret, agency_code=agency_code, username=username)
    click.echo(f"通知渠道 {channel_id} 已添加")


@channel.command("list")
@with_appcontext
@click.option("--json", "as_json", is_flag=True)
def channel_list(as_json):
    """The notification channels, active or not."""
    channels = list_channels()
    if as_json:
        print_json(channels)
        return
    for c in channels:
        click.echo(f"{c['id']:>4}  {c['kind']}  {c['address']}  {'启用' if c['active'] else '停用'}")
    if not channels:
        click.echo("(无)")


@channel.command("remove")
@with_appcontext
@click.argument("channel_id", type=int)
@engine_errors
def channel_remove(channel_id):
    """Stop using a channel (it is kept, inactive, for the delivery history)."""
    deactivate_channel(channel_id)
    click.echo(f"通知渠道 {channel_id} 已停用")
