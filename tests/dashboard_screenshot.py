"""Make the README's screenshot of the dashboard: ``python tests/dashboard_screenshot.py docs/dashboard.png``.

Starts ``mockserver run``, sends a few requests as an app would (one rejected), opens the
Requests tab in Debian's headless chromium with the rejected request selected, and saves
the window. (Not a test: the browser tests live in test_dashboard_browser.py.)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).parent))
from servers import cli_server  # noqa: E402
from test_dashboard_browser import CHROMEDRIVER, browser_options  # noqa: E402

PDNS = {"X-Authentication": "my-token"}


def main(target: str) -> None:
    profile = tempfile.mkdtemp(prefix="dashboard-shot-")
    with cli_server("--seed", "42") as (base, _):
        requests.get(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10)
        requests.post(f"{base}/pdnsmanager/records/2/credentials", headers=PDNS, timeout=10,
                      json={"description": "from the app", "type": "password", "password": "s3cret"})
        requests.get(f"{base}/awx/api/v2/credentials/?page_size=5", auth=("admin", "password"), timeout=10)
        requests.post(f"{base}/apinizer/apiops/projects/petstore/credentials/", headers={"Authorization": "t"},
                      json={"username": "partner", "enabled": "maybe"}, timeout=10)
        requests.get(f"{base}/versori/o/01J9ZK3B7Q8X2M4N6P0R5S1T3V/credentials", cookies={"cookie": "x"}, timeout=10)
        requests.get(f"{base}/pdnsmanager/records/2/credential", headers=PDNS, timeout=10)
        options = browser_options(profile)
        options.arguments[:] = [a for a in options.arguments if not a.startswith("--window-size")]
        options.add_argument("--window-size=1280,640")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            driver.get(f"{base}/__mock/ui")
            wait = WebDriverWait(driver, 10)
            row = wait.until(lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#req-table tbody tr")
                                             if "createCredential" in r.text and "apinizer" not in r.text), False))
            row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "#req-table tbody tr") if "400" in r.text)
            row.click()
            wait.until(lambda d: "Copy as curl" in d.find_element(By.ID, "req-detail").text)
            driver.save_screenshot(target)
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    print(f"{target}: {Path(target).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png")
