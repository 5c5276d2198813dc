"""Browser tests: a real server (SQLite file, migrated, demo loaded) in a thread, driven by Debian's Chromium.

Playwright's own browser download does not work here, so the tests use /usr/bin/chromium (`apt-get install
chromium`; .ci/run installs it) and skip, saying so, when it is absent.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from engine.db import db
from engine.demo.load import load_demo
from engine.workflow_cache import WORKFLOWS
from tests.web.page_steps import case_at_on_site_handling, case_for_the_grid_worker
from web.app import MIGRATIONS_DIR, create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Chromium at /usr/bin/chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@contextmanager
def serving(tmp_path_factory, setup: Callable[[], dict]) -> Iterator[dict]:
    """Serve a fresh app (SQLite file, migrated, demo loaded, then `setup()`); yield {"url": ..., **setup()}."""
    instance = tmp_path_factory.mktemp("browser-instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'gongzhi.db'}", "SECRET_KEY": "browser"},
                     instance_path=str(instance))
    WORKFLOWS.clear()  # case ids restart at 1 in this database
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        load_demo()
        found = setup()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", **found}
    server.shutdown()
    thread.join(timeout=10)
    WORKFLOWS.clear()
    with app.app_context():
        db.engine.dispose()


def _staff_cases() -> dict:
    grid_case, grid_task = case_for_the_grid_worker()
    squad_case, squad_task = case_at_on_site_handling("沿街店铺深夜噪声扰民")
    return {"grid_case": grid_case.id, "grid_task": grid_task.id, "squad_case": squad_case.id,
            "squad_task": squad_task.id}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The served app and the cases the tests work on: {"url": ..., "grid_case": ..., "squad_case": ...}."""
    with serving(tmp_path_factory, _staff_cases) as found:
        yield found


def watched_page(browser, viewport: dict):
    """A page on which a CSP violation, a script error or a missing asset is collected into `problems`."""
    context = browser.new_context(viewport=viewport, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    # A 4xx answer to a form is expected (an invalid form is a 422); a broken asset or script is not.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and "/static/" in response.url else None)
    return context, page, problems


@pytest.fixture
def desktop_page(browser, live):
    """A desktop-sized page (1280×900), watched like `page`."""
    context, page, problems = watched_page(browser, DESKTOP)
    yield page
    context.close()
    assert not problems, f"the browser reported errors: {problems}"


@pytest.fixture
def page(browser, live):
    """A phone-sized page (375×812); the test fails on a CSP violation, a script error or a missing asset."""
    context, page, problems = watched_page(browser, PHONE)
    yield page
    context.close()
    assert not problems, f"the browser reported errors: {problems}"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(page, live, username: str) -> None:
    page.goto(f"{live['url']}/login")
    page.fill("#username", username)
    page.fill("#password", "gongzhi-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live['url']}/")
