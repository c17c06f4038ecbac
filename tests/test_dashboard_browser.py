"""The dashboard (/__mock/ui) in a real browser: Debian's chromium, driven by Selenium.

One ``mockserver run`` and one headless chromium serve the whole module (the browser is
Debian's ``chromium`` with its ``chromedriver``, which ``make test`` installs when missing;
nothing downloads a browser or a driver: the driver's path is given, so Selenium Manager
never runs). Requests are made by another client (``requests``) and must show up in the
page; waits are explicit (WebDriverWait), never sleeps. After every test the browser's
console must hold no error, and each test leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from apis import API_IDS
from servers import ROOT, cli_server, threaded_server

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never fetch a driver or browser

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts"
PDNS = {"X-Authentication": "dashboard-test-token"}
AWX = ("admin", "password")
REBIND_HOST = "rebind.test"  # mapped to 127.0.0.1 inside the browser only: a DNS-rebinding page
ADMIN_TOKEN = "dashboard-admin-s3cret"


def browser_options(profile: str) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--no-proxy-server", "--window-size=1400,900",
                 f"--host-resolver-rules=MAP {REBIND_HOST} 127.0.0.1", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture(scope="module")
def browser():
    for program in (CHROMIUM, CHROMEDRIVER):
        assert Path(program).exists(), f"{program} is missing: `make test` installs chromium and chromium-driver"
    profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=browser_options(profile))
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    with cli_server("--seed", "7") as (base, _):
        yield base


@pytest.fixture(autouse=True)
def console_stays_clean(request, browser):
    """No page may log an error to the console; every test leaves a screenshot."""
    browser.get_log("browser")  # start from an empty log
    yield
    browser.save_screenshot(str(ARTIFACTS / f"dashboard-{request.node.name}.png"))
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    expected = getattr(request.function, "expected_console_errors", ())
    errors = [e for e in errors if not any(text in e["message"] for text in expected)]
    assert not errors, f"console errors: {json.dumps(errors, indent=1)}"


@contextmanager
def own_server(browser, *args: str, env: dict | None = None):
    """A server of a test's own; the page leaves it before it stops (a poll to a stopped
    server would log a connection error into the next test's console)."""
    with cli_server(*args, env=env) as (base, _):
        try:
            yield base
        finally:
            browser.get("about:blank")


def wait(driver, condition, timeout: float = 10):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def open_dashboard(driver, base: str, tab: str = "requests") -> None:
    driver.get(f"{base}/__mock/ui#{tab}")
    wait(driver, ec.visibility_of_element_located((By.ID, "tabs")))
    driver.find_element(By.CSS_SELECTOR, f"#tabs button[data-tab={tab}]").click()
    wait(driver, ec.visibility_of_element_located((By.ID, f"tab-{tab}")))


def row_for(driver, text: str):
    """The first journal row whose text holds `text` (a locator function for WebDriverWait)."""
    def find(_):
        for row in driver.find_elements(By.CSS_SELECTOR, "#req-table tbody tr"):
            if text in row.text:
                return row
        return False
    return find


# --- Requests ------------------------------------------------------------------------------
def test_requests_made_by_another_client_appear_live(browser, server):
    open_dashboard(browser, server)
    browser.find_element(By.ID, "req-clear").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#req-table tbody tr"))
    assert browser.find_element(By.ID, "req-empty").is_displayed()  # says what to do, not a bare table
    answer = requests.get(f"{server}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
    assert answer.status_code == 200
    row = wait(browser, row_for(browser, "/pdnsmanager/records/2/credentials"), timeout=5)
    assert not browser.find_element(By.ID, "req-empty").is_displayed()
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1:6] == ["pdnsmanager", "listCredentials", "GET", "/pdnsmanager/records/2/credentials", "200"]
    # A second request arrives too, on top, without a reload.
    requests.get(f"{server}/pdnsmanager/records/3/credentials", headers=PDNS, timeout=10)
    wait(browser, lambda d: "/records/3/" in d.find_element(By.CSS_SELECTOR, "#req-table tbody tr").text, timeout=5)


def test_a_rejected_request_shows_its_violation_and_a_masked_curl(browser, server):
    open_dashboard(browser, server)
    secret = "visible-only-to-the-server-1"
    answer = requests.post(f"{server}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10,
                           json={"description": "rejected", "type": "bogus", "password": secret})
    assert answer.status_code == 400
    row = wait(browser, row_for(browser, "createCredential"), timeout=5)
    violations = row.find_elements(By.CSS_SELECTOR, "ul.violations li")
    assert violations and violations[0].text.startswith("body /type: 'bogus' is not one of"), row.text
    row.click()
    detail = wait(browser, ec.visibility_of_element_located((By.ID, "req-detail")))
    wait(browser, lambda d: "Violations" in detail.text)
    curl = browser.find_element(By.ID, "req-curl").text
    assert curl.startswith("curl -s -X POST '") and "/pdnsmanager/records/2/credentials'" in curl
    assert "x-authentication: ***" in curl.lower() and '"password":"***"' in curl
    assert secret not in browser.page_source and PDNS["X-Authentication"] not in browser.page_source


def test_filters_pick_an_api_a_status_class_and_unmatched_requests(browser, server):
    open_dashboard(browser, server)
    requests.get(f"{server}/pdnsmanager/records/2/credential", headers=PDNS, timeout=10)  # no such path: 404
    requests.get(f"{server}/awx/api/v2/credentials/", auth=AWX, timeout=10)
    wait(browser, row_for(browser, "/pdnsmanager/records/2/credential")).click()  # an open entry ...
    wait(browser, ec.visibility_of_element_located((By.ID, "req-detail")))
    Select(browser.find_element(By.ID, "req-api")).select_by_value("awx")
    wait(browser, ec.invisibility_of_element_located((By.ID, "req-detail")))  # ... closes with a new filter
    wait(browser, row_for(browser, "/awx/api/v2/credentials/"))
    assert all(row.find_elements(By.TAG_NAME, "td")[1].text == "awx"
               for row in browser.find_elements(By.CSS_SELECTOR, "#req-table tbody tr"))
    Select(browser.find_element(By.ID, "req-api")).select_by_value("")
    browser.find_element(By.ID, "req-unmatched").click()
    row = wait(browser, row_for(browser, "/pdnsmanager/records/2/credential"))
    assert "did you mean" in row.text or "no operation" in row.text.lower() or "—" in row.text
    assert not row_for(browser, "/awx/api/v2/credentials/")(browser)
    browser.find_element(By.ID, "req-unmatched").click()
    Select(browser.find_element(By.ID, "req-status")).select_by_value("2xx")
    wait(browser, row_for(browser, "/awx/api/v2/credentials/"))
    assert not row_for(browser, "/pdnsmanager/records/2/credential ")(browser)
    Select(browser.find_element(By.ID, "req-status")).select_by_value("")


# --- Scenarios -----------------------------------------------------------------------------
def test_loading_a_scenario_and_resetting(browser, server):
    open_dashboard(browser, server, "scenarios")
    row = wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, "#sc-table tr[data-name=empty]")))
    assert "not a single credential" in row.text
    row.find_element(By.TAG_NAME, "button").click()
    wait(browser, ec.text_to_be_present_in_element((By.ID, "sc-message"), "Loaded empty"))
    listing = requests.get(f"{server}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
    assert listing.json()["results"] == []
    browser.find_element(By.ID, "sc-reset").click()
    wait(browser, ec.text_to_be_present_in_element((By.ID, "sc-message"), "Reset"))
    listing = requests.get(f"{server}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
    assert listing.json()["results"]


# --- Faults --------------------------------------------------------------------------------
def test_a_fault_added_from_the_form_fires_and_is_counted(browser, server):
    requests.delete(f"{server}/__mock/faults", timeout=10)
    open_dashboard(browser, server, "faults")
    Select(browser.find_element(By.ID, "f-api")).select_by_value("awx")
    Select(browser.find_element(By.ID, "f-operation")).select_by_value("createUserCredential")
    browser.find_element(By.ID, "f-status").clear()
    browser.find_element(By.ID, "f-status").send_keys("503")
    browser.find_element(By.ID, "f-times").send_keys("2")
    browser.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
    rule = wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, "#f-table tbody tr")))
    assert "createUserCredential" in rule.text and "answer 503" in rule.text
    created = requests.post(f"{server}/awx/api/v2/users/2/credentials/", auth=AWX, timeout=10,
                            json={"name": "from the fault test", "credential_type": 1})
    assert created.status_code == 503
    wait(browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#f-table tbody tr td.fired"), "1"))
    browser.find_element(By.CSS_SELECTOR, "#f-table tbody tr button").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#f-table tbody tr"))
    assert requests.get(f"{server}/__mock/faults", timeout=10).json()["rules"] == []


def test_a_bad_rule_is_refused_with_the_servers_message(browser, server):
    open_dashboard(browser, server, "faults")
    browser.find_element(By.CSS_SELECTOR, "input[name=f-kind][value=latency]").click()
    latency = browser.find_element(By.ID, "f-latency")
    latency.clear()
    latency.send_keys("slow")
    browser.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
    wait(browser, ec.text_to_be_present_in_element((By.ID, "f-message"), "latency"))
# The refused POST is logged by the browser as a failed resource load: that one is expected.
test_a_bad_rule_is_refused_with_the_servers_message.expected_console_errors = ("/__mock/faults - Failed to load",)


# --- State ---------------------------------------------------------------------------------
def test_the_state_tab_pages_entities_with_secrets_masked(browser, server):
    awx_secret, pdns_secret, versori_secret = "awx-s3cret-in-state", "pdns-s3cret-in-state", "versori-s3cret-in-state"
    assert requests.post(f"{server}/awx/api/v2/users/2/credentials/", auth=AWX, timeout=10, json={
        "name": "state tab", "credential_type": 1, "inputs": {"username": "u", "password": awx_secret}}).status_code == 201
    assert requests.post(f"{server}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10, json={
        "description": "state tab", "type": "password", "password": pdns_secret}).status_code == 201
    org = "01J9ZK3B7Q8X2M4N6P0R5S1T3V"
    versori = requests.post(f"{server}/versori/o/{org}/credentials", cookies={"cookie": "t"}, timeout=10, json={
        "name": "state tab", "type": "basic-auth", "data": {"username": "u", "password": versori_secret}})
    assert versori.status_code in (200, 201), versori.text
    open_dashboard(browser, server, "state")
    pages = 0
    for api, collection in (("awx", "credentials"), ("pdnsmanager", "credentials"), ("versori", "credentials")):
        wait(browser, ec.element_to_be_clickable(
            (By.CSS_SELECTOR, f"#st-collections button[data-api={api}][data-collection={collection}]"))).click()
        wait(browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#st-page .toolbar"), f"{api} · {collection}"))
        while True:  # to the last page, where the new entity is
            table = browser.find_element(By.ID, "st-table").text
            assert awx_secret not in table and pdns_secret not in table and versori_secret not in table
            buttons = browser.find_elements(By.CSS_SELECTOR, "#st-page .toolbar button")
            if not buttons[1].is_enabled():
                break
            before = browser.find_element(By.CSS_SELECTOR, "#st-page .toolbar").text
            buttons[1].click()
            pages += 1
            wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#st-page .toolbar").text != before)
        assert "state tab" in table and "***" in table, (api, table)
    source = browser.page_source
    assert awx_secret not in source and pdns_secret not in source and versori_secret not in source


# --- Docs ----------------------------------------------------------------------------------
def test_every_apis_docs_render_with_its_mount(browser, server):
    open_dashboard(browser, server, "docs")
    for api_id in API_IDS:
        browser.switch_to.default_content()
        wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, f"#docs-apis button[data-api='{api_id}']"))).click()
        wait(browser, ec.text_to_be_present_in_element((By.ID, "docs-mount"), f"{server}/{api_id}"))
        wait(browser, ec.frame_to_be_available_and_switch_to_it((By.ID, "docs-frame")))
        wait(browser, lambda d: f"api={api_id}" in d.execute_script("return location.search"))
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 0, timeout=20)
        servers = browser.find_element(By.CSS_SELECTOR, ".servers select").text
        assert f"{server}/{api_id}" in servers
        browser.save_screenshot(str(ARTIFACTS / f"docs-{api_id}.png"))
    browser.switch_to.default_content()


# --- Safety --------------------------------------------------------------------------------
def test_a_page_of_another_origin_cannot_read_the_control_api(browser, server):
    browser.get("data:text/html,<title>elsewhere</title>")  # origin "null": not this machine's page
    outcome = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"fetch('{server}/__mock/apis').then(r => r.text()).then(t => done('read: ' + t), e => done('refused'));")
    assert outcome == "refused"
    assert requests.get(f"{server}/__mock/apis", headers={"Origin": "null"}, timeout=10).status_code == 403
    assert requests.get(f"{server}/__mock/ui", headers={"Origin": "https://evil.example"}, timeout=10).status_code == 403
test_a_page_of_another_origin_cannot_read_the_control_api.expected_console_errors = ("CORS policy", "Failed to load")


def test_a_rebinding_host_name_gets_no_dashboard(browser, server):
    port = server.rsplit(":", 1)[1]
    browser.get(f"http://{REBIND_HOST}:{port}/__mock/ui")
    assert "forbidden" in browser.page_source and "dashboard.js" not in browser.page_source
test_a_rebinding_host_name_gets_no_dashboard.expected_console_errors = ("403", "favicon.ico")


def test_with_an_admin_token_the_page_asks_for_it_once(browser):
    with own_server(browser, env={**os.environ, "MOCKSERVER_ADMIN_TOKEN": ADMIN_TOKEN}) as base:
        browser.get(f"{base}/__mock/ui")
        form = wait(browser, ec.visibility_of_element_located((By.ID, "login-token")))
        assert not browser.find_element(By.ID, "app").is_displayed()
        form.send_keys(ADMIN_TOKEN)
        browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
        wait(browser, ec.visibility_of_element_located((By.ID, "tabs")))
        requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
        wait(browser, row_for(browser, "/pdnsmanager/records/2/credentials"), timeout=5)
        assert ADMIN_TOKEN not in browser.current_url
        assert browser.execute_script("return sessionStorage.getItem('mockserver.adminToken')") == ADMIN_TOKEN
        browser.refresh()  # kept for the session: no second login
        wait(browser, ec.visibility_of_element_located((By.ID, "tabs")))
        assert not browser.find_element(By.ID, "login").is_displayed()
        browser.execute_script("sessionStorage.clear()")


def test_one_api_at_the_root_still_has_its_dashboard(browser):
    with own_server(browser, "--api", "pdnsmanager") as base:
        open_dashboard(browser, base)
        requests.get(f"{base}/records/2/credentials", headers=PDNS, timeout=10)
        row = wait(browser, row_for(browser, "/records/2/credentials"), timeout=5)
        assert "listCredentials" in row.text
        browser.find_element(By.CSS_SELECTOR, "#tabs button[data-tab=docs]").click()
        wait(browser, ec.text_to_be_present_in_element((By.ID, "docs-mount"), f"served at {base}/"))


def test_the_spec_watchers_errors_show_as_a_banner(browser, make_app):
    app = make_app(only=["pdnsmanager"])
    report = {"watching": True, "files": ["specs/pdnsmanager.yaml"], "last_reload": None,
              "errors": [{"file": "specs/pdnsmanager.yaml", "message": "line 3: mapping values are not allowed here",
                          "at": "2026-12-01T10:00:00Z"}]}
    # a --watch watcher, stood in for: GET /__mock/watch answers its status
    app.extensions["mockserver"].watcher = type("StandIn", (), {"status": lambda self: report})()
    with threaded_server(app) as base:
        open_dashboard(browser, base)
        banner = wait(browser, ec.visibility_of_element_located((By.ID, "watch-banner")))
        assert "specs/pdnsmanager.yaml" in banner.text and "mapping values" in banner.text
        report["errors"] = []
        wait(browser, ec.invisibility_of_element_located((By.ID, "watch-banner")))
        browser.get("about:blank")


def test_the_index_links_a_browser_to_the_dashboard(browser, server):
    browser.get(server + "/")
    link = wait(browser, ec.element_to_be_clickable((By.LINK_TEXT, "Open the dashboard")))
    link.click()
    wait(browser, ec.visibility_of_element_located((By.ID, "tabs")))
    browser.get(f"{server}/__mock/specs/pdnsmanager")  # shown inline as text, not downloaded
    assert "openapi:" in browser.find_element(By.TAG_NAME, "body").text

