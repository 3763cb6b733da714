"""The public CAP feed of current alerts (``relief/web/cap_feed.py``)."""
from __future__ import annotations

from relief.web.openapi.parts import download, op

TAG = "feeds"

OPERATIONS = {
    "cap_feed.feed": op("The Atom feed of current CAP alerts", tag=TAG,
                        responses=download("application/atom+xml", "the feed"), errors=[]),
    "cap_feed.message": op("One current alert as CAP 1.2", tag=TAG,
                           responses=download("application/cap+xml", "the alert")),
}
