"""The thin web layer: validate, call a service, respond.

Every route states who may call it: ``@requires("permission")`` or ``@public`` (``web/gate.py``).
"""
from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def register(app) -> None:
    from relief.web import (
        api_layers,
        errors,
        json,  # strict JSON both ways
        pages,
        params,  # bounded path ids and the request screen
        report_pages,
        sockets,
    )
    from relief.web.gate import public

    json.init_app(app)
    params.init_app(app)  # before any blueprint: its converter bounds every <int:…> path id
    errors.init_app(app)
    csrf.init_app(app)
    from relief.web import times  # the |local_time filter and time_zone() for every template
    times.init_app(app)
    if "static" in app.view_functions:
        public(app.view_functions["static"])  # the app's own scripts, styles and images
    for blueprint in (api_layers.bp, pages.bp, report_pages.bp):
        app.register_blueprint(blueprint)
    from relief.web import api_map  # the live map's reads and the situation-map download
    app.register_blueprint(api_map.bp)
    from relief.web import public_pages  # the public disclosure of donations (page and JSON)
    app.register_blueprint(public_pages.bp)
    from relief.web import api_guarantees, dashboard_pages  # verdict lists and counts; the dashboard page
    app.register_blueprint(api_guarantees.bp)
    app.register_blueprint(dashboard_pages.bp)
    from relief.web import cap_feed  # the public CAP feed (Atom) and its messages
    app.register_blueprint(cap_feed.bp)
    for module in _page_modules():
        csrf.exempt(module.bp)  # their few JSON writes are checked by web.gate.requires, as the API's are
        app.register_blueprint(module.bp)
    for module in _api_write_modules():
        csrf.exempt(module.bp)  # JSON writes check CSRF themselves for cookie sessions (web.gate.requires)
        app.register_blueprint(module.bp)
    from relief.web import api_docs  # the OpenAPI and AsyncAPI documents and the API reference page
    app.register_blueprint(api_docs.bp)
    sockets.init_app(app)


def _page_modules():
    """The role screens: server-rendered pages whose scripts write through the JSON API."""
    from relief.web import (
        admin_pages,
        aid_pages,
        assistance_pages,
        case_pages,
        dispatch_pages,
        household_pages,
        incident_pages,
        reconstruction_pages,
        site_pages,
        sitrep_pages,
        stock_pages,
        subscription_pages,
    )

    return [admin_pages, aid_pages, assistance_pages, case_pages, dispatch_pages, household_pages, incident_pages,
            reconstruction_pages, site_pages, sitrep_pages, stock_pages, subscription_pages]


def _api_write_modules():
    from relief.web import (
        api_admin,
        api_aid,
        api_assistance,
        api_dispatch,
        api_export,
        api_households,
        api_incidents,
        api_reconstruction,
        api_relocation,
        api_sms,
        api_stock,
        api_subscriptions,
    )

    return [api_admin, api_aid, api_assistance, api_dispatch, api_export, api_households, api_incidents,
            api_reconstruction, api_relocation, api_sms, api_stock, api_subscriptions]
