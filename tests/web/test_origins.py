"""Which origins' pages may use the session cookie on the live socket (``relief.web.origins``)."""
from __future__ import annotations

import pytest

from relief.web.origins import cookie_counts, parse_allowed

DIRECT = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5000"}
PROXIED = {"wsgi.url_scheme": "http", "HTTP_HOST": "relief.example.org"}  # TLS ended at the proxy, Host kept
FORWARDED = {"wsgi.url_scheme": "http", "HTTP_HOST": "10.0.0.5:5001", "HTTP_X_FORWARDED_HOST": "relief.example.org"}


@pytest.mark.parametrize("origin, environ, counts", [
    (None, DIRECT, True),
    ("http://127.0.0.1:5000", DIRECT, True),
    ("http://127.0.0.1:5001", DIRECT, False),
    ("http://127.0.0.1", DIRECT, False),
    ("https://relief.example.org", PROXIED, True),
    ("https://relief.example.org:443", PROXIED, True),
    ("https://relief.example.org.evil.example", PROXIED, False),
    ("https://relief.example.org", FORWARDED, True),
    ("https://evil.example", FORWARDED, False),
    ("null", DIRECT, False),
    ("not an origin", DIRECT, False),
    ("http://127.0.0.1:5000/path", DIRECT, False),
])
def test_own_host_counts_and_nothing_else(origin, environ, counts):
    assert cookie_counts(origin, environ, frozenset()) is counts


def test_listed_origins_count_exactly():
    allowed = parse_allowed("https://Command.example.org, https://screen.example.org:8443 http://wall.example:80")
    assert allowed == {"https://command.example.org", "https://screen.example.org:8443", "http://wall.example"}
    assert cookie_counts("https://command.example.org", DIRECT, allowed) is True
    assert cookie_counts("http://command.example.org", DIRECT, allowed) is False
    assert cookie_counts("https://screen.example.org", DIRECT, allowed) is False
    assert parse_allowed(["https://a.example"]) == {"https://a.example"} and parse_allowed(None) == frozenset()


@pytest.mark.parametrize("bad", ["*", "command.example.org", "ftp://files.example", "https://a.example/path"])
def test_a_malformed_setting_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="RELIEF_ALLOWED_ORIGINS"):
        parse_allowed(bad)


def test_the_app_does_not_start_with_a_malformed_setting(database_url, tmp_path):
    from relief import create_app

    with pytest.raises(ValueError, match="RELIEF_ALLOWED_ORIGINS"):
        create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
                    "SECRET_KEY": "test-secret", "TESTING": True, "REDIS_URL": None, "ALLOWED_ORIGINS": "*"})
