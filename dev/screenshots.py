"""Take the README's phone screenshots (390×844, zh) of the incident, household and warehouse pages.

Usage: python dev/screenshots.py [--chromium /usr/bin/chromium]
Builds a small demo in a temporary folder, serves it, signs in as an admin and writes
``docs/screenshot-{incident,household,stock}-phone.png``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.web.servers import relief_env, run, serving  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = relief_env(f"sqlite:///{folder}/relief.db", Path(folder) / "instance")
        env["RELIEF_DEFAULT_LOCALE"] = "zh"
        run(env, "demo", "--households", "2000")
        token = run(env, "users", "create", "shots", "--role", "admin", "--password", "pw-shots").strip()
        headers = {"Authorization": f"Bearer {token.splitlines()[-1]}"}
        with serving(env) as base:
            incidents = requests.get(base + "/api/incidents", headers=headers, timeout=30).json()["features"]
            incident = next((f["id"] for f in incidents if f["properties"].get("status") == "responding"),
                            incidents[0]["id"])
            found = requests.get(base + "/api/guarantees?status=unmet&limit=1", headers=headers, timeout=60).json()
            household = found["households"][0]["household_id"]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium)
                context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                              locale="zh-CN", timezone_id="Asia/Shanghai")
                page = context.new_page()
                page.goto(base + "/login")
                page.fill("input[name=name]", "shots")
                page.fill("input[name=password]", "pw-shots")
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                for name, path in (("incident", f"/incidents/{incident}"), ("household", f"/households/{household}"),
                                   ("stock", "/stock")):
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(800)
                    page.screenshot(path=str(ROOT / "docs" / f"screenshot-{name}-phone.png"))
                    print(f"docs/screenshot-{name}-phone.png")
                browser.close()


if __name__ == "__main__":
    main()
