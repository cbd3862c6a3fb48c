"""Debian's headless Chromium, driven by selenium through Debian's chromedriver.

No browser or driver is downloaded: both come from ``.ci/setup-chromium`` (``make test``).
When they are missing the test fails (never skips), naming that script. The browser runs
offline (the DevTools protocol's network emulation), so a page that needed the network
would show it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _first(paths: tuple[str, ...], name: str) -> str | None:
    found = next((p for p in paths if Path(p).is_file()), None)
    return found or shutil.which(name)


@contextmanager
def chromium(width: int = 1400, height: int = 1800) -> Iterator[object]:
    """A headless Chromium window of this size, offline; closed at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = _first(CHROMIUM, "chromium")
    driver_path = _first(CHROMEDRIVER, "chromedriver")
    if browser is None or driver_path is None:
        pytest.fail(
            "Chromium or chromedriver is not installed: run .ci/setup-chromium "
            "(or sudo apt-get install chromium chromium-driver)",
            pytrace=False,
        )
    # Selenium Manager would look for a driver online when none is given: it is given.
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI, where Chromium's sandbox will not start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
        )
        yield driver
    finally:
        driver.quit()
