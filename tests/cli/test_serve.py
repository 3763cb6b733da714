"""``relief serve`` itself: what its server answers before the app sees a request."""
from __future__ import annotations

import requests

from tests.web.servers import relief_env, run, serving


def test_a_request_line_over_the_servers_limit_is_answered_in_json(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance", RELIEF_SCHEDULER="off")
    run(env, "init-db")
    with serving(env) as base:
        too_long = requests.get(f"{base}/api/health?x={'a' * 9000}", timeout=10)
        assert too_long.status_code == 414
        assert too_long.headers["Content-Type"] == "application/json"
        assert too_long.json()["error"]["code"] == "request_uri_too_long"
        assert requests.get(f"{base}/api/health", timeout=10).status_code == 200  # and the server serves on
