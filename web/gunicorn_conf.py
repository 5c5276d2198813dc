"""gunicorn's settings for the web processes: `gunicorn -c python:web.gunicorn_conf web.wsgi:app`.

Everything comes from the environment (docs/deployment.md):
GONGZHI_BIND             where to listen, comma-separated (default 127.0.0.1:8000)
GONGZHI_WEB_WORKERS      worker processes (default 2 x CPU cores + 1, at most 12)
GONGZHI_WEB_THREADS      threads per worker (default 4; more than 1 uses gunicorn's gthread worker)
GONGZHI_WEB_TIMEOUT      seconds a request may take before its worker is restarted (default 60)
GONGZHI_FORWARDED_ALLOW_IPS  addresses of the proxies whose X-Forwarded-* gunicorn believes (default 127.0.0.1)
PROMETHEUS_MULTIPROC_DIR where the workers add up their metrics; a fresh directory under /tmp when unset

The workers' metrics are summed over that directory (prometheus_client's multiprocess mode), which must be
chosen before prometheus_client is first imported: this module sets it at once, the app is loaded later.
Logs go to stderr in GONGZHI_LOG_FORMAT (web/logs.py); gunicorn's own access log is off because the
platform writes one access line per request itself.
"""

import multiprocessing
import os
import shutil
import sys
import tempfile
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} is not a positive whole number")
    return int(value)


_OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(Path(tempfile.gettempdir()) / f"gongzhi-web-metrics-{os.getpid()}")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
if "prometheus_client" in sys.modules:
    raise RuntimeError("prometheus_client was imported before web.gunicorn_conf chose its multiprocess mode: "
                       "each worker would answer /metrics with its own counts only")

from web.logs import logging_config  # noqa: E402  (after the metrics directory is chosen)

wsgi_app = "web.wsgi:app"
proc_name = "gongzhi-web"
bind = [address.strip() for address in os.environ.get("GONGZHI_BIND", "127.0.0.1:8000").split(",") if address.strip()]
workers = _int("GONGZHI_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 12))
threads = _int("GONGZHI_WEB_THREADS", 4)
timeout = _int("GONGZHI_WEB_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5  # behind a load balancer that keeps connections open
forwarded_allow_ips = os.environ.get("GONGZHI_FORWARDED_ALLOW_IPS", "127.0.0.1")
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"  # the workers' heartbeat files stay off a slow or full disk
control_socket_disable = True  # systemd signals the master; several servers on a machine need no shared socket
accesslog = None
errorlog = "-"
logconfig_dict = logging_config()


def on_starting(server):
    """Start from an empty metrics directory: counts of an earlier run would be added to this one's."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """A worker that exits leaves its counts behind for the sums, and drops out of the live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(METRICS_DIR))


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
