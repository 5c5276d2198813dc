"""The pages speak Chinese by default and English on request; the translation catalogues are complete."""

from io import BytesIO
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.web.page_steps import case_at_on_site_handling, client_of

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


def test_chinese_is_the_default_and_lang_switches_to_english_and_is_remembered(site):
    client = client_of(site, "sjm-squad")
    chinese = client.get("/inbox").get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "待办任务" in chinese and 'hreflang="en">English</a>' in chinese

    switched = client.get("/inbox?view=agency&lang=en")
    english = switched.get_data(as_text=True)
    assert '<html lang="en">' in english and "My agency&#39;s unclaimed" in english and "Log out" in english
    assert "lang=en" in switched.headers["Set-Cookie"] and "HttpOnly" in switched.headers["Set-Cookie"]
    assert 'href="/inbox?view=agency&amp;lang=zh"' in english  # the way back keeps the page
    assert "My tasks" in client.get("/inbox").get_data(as_text=True)  # remembered by the cookie
    assert "我的任务" in client.get("/inbox?lang=zh").get_data(as_text=True)


def test_an_unknown_language_is_ignored(site):
    response = client_of(site).get("/login?lang=fr")
    assert '<html lang="zh-CN">' in response.get_data(as_text=True) \
        and "lang=" not in response.headers.get("Set-Cookie", "")


def test_error_pages_and_form_messages_speak_english_too(site):
    _, task = case_at_on_site_handling()
    client = client_of(site, "sjm-squad", lang="en")
    missing = client.get("/cases/4242").get_data(as_text=True)
    assert "Not found (404)" in missing and "does not exist, or you may not see it" in missing
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Complete task" in page and "required" in page and "Case summary" in page
    login = client_of(site, lang="en").get("/login").get_data(as_text=True)
    assert "Username" in login and "Password" in login


def test_every_message_has_a_chinese_translation_and_the_compiled_catalogues_are_current():
    template = read_po((TRANSLATIONS / "messages.pot").open("rb"))
    for language in ("zh", "en"):
        folder = TRANSLATIONS / language / "LC_MESSAGES"
        catalogue = read_po((folder / "messages.po").open("rb"))
        assert {m.id for m in template if m.id} == {m.id for m in catalogue if m.id}, \
            f"{language}: run `make messages` and translate the new strings"
        if language == "zh":
            assert [m.id for m in catalogue if m.id and not m.string] == []
        compiled = BytesIO()
        write_mo(compiled, catalogue)
        compiled.seek(0)
        shipped = read_mo((folder / "messages.mo").open("rb"))
        assert {m.id: m.string for m in read_mo(compiled) if m.id} == {m.id: m.string for m in shipped if m.id}, \
            f"{language}: messages.mo is older than messages.po; run `make install` (pybabel compile)"
