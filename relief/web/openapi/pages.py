"""The map page, the dashboard, login/logout and the language switch (``relief/web/pages.py``,
``relief/web/dashboard_pages.py``). Pages of an area are described in that area's module."""
from __future__ import annotations

from relief.web.openapi.parts import html, obj, op, query, redirect, text

TAG = "pages"

LOGIN_FORM = {"application/x-www-form-urlencoded": {"schema": obj(
    {"name": text(80), "password": text(200), "csrf_token": text(200)}, required=["name", "password"])}}

OPERATIONS = {
    "pages.map_page": op("The live situation map", tag=TAG, responses=html()),
    "dashboard_pages.dashboard": op("The dashboard: key figures for everyone", tag=TAG, responses=html()),
    "pages.login": {
        "GET": op("The login form", tag=TAG, params=[query("next", text(2000), "a path on this site to go back to")],
                  responses=html()),
        "POST": op("Log in (a browser session)", tag=TAG,
                   params=[query("next", text(2000), "a path on this site to go back to")],
                   requestBody={"required": True, "content": LOGIN_FORM},
                   responses={**redirect("logged in: to `next` or the map"),
                              **html("the form again (a field missing or the CSRF token absent)"),
                              "401": {"description": "wrong name or password: the form again",
                                      "content": {"text/html": {"schema": {"type": "string"}}}},
                              "429": {"description": "too many failed attempts: the form again",
                                      "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                                      "content": {"text/html": {"schema": {"type": "string"}}}}}),
    },
    "pages.logout": op("End the session (a form post with its CSRF token)", tag=TAG,
                       requestBody={"required": False, "content": {"application/x-www-form-urlencoded": {
                           "schema": obj({"csrf_token": text(200)})}}},
                       responses=redirect("to the map"), errors=[400]),
    "pages.set_language": op("Choose the pages' language (zh or en); back to the page it came from", tag=TAG,
                             responses=redirect("back to the referring page of this site, or the map")),
}
