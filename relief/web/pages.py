"""HTML pages: the map, login/logout and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from relief.errors import NotAuthenticated, Throttled
from relief.services import accounts
from relief.web import security
from relief.web.context import SESSION_KEY, base_context, current_actor, request_context, start_session
from relief.web.gate import actor_may, public

bp = Blueprint("pages", __name__)


class LoginForm(FlaskForm):
    name = StringField("name", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


def map_settings() -> dict:
    """What the map script needs from the server: tiles and who is looking."""
    config = current_app.config
    actor = current_actor()
    return {
        "tileUrl": config.get("TILE_URL"),
        "tileAttribution": config.get("TILE_ATTRIBUTION"),
        "user": {"name": actor.name, "role": actor.role} if actor.id else None,
    }


@bp.app_context_processor
def page_globals() -> dict:
    return {"current_actor": current_actor, "map_strings": map_strings, "get_locale": get_locale,
            "role_label": role_label, "may": actor_may}


def role_label(role: str) -> str:
    """A role's name in the user's language (role codes stay English in data and the API)."""
    labels = {
        "admin": _("administrator"), "commander": _("commander"), "verifier": _("verifier"),
        "field_reporter": _("field reporter"), "warehouse_keeper": _("warehouse keeper"),
        "site_manager": _("site manager"), "reconstruction_officer": _("reconstruction officer"),
        "viewer": _("viewer"),
    }
    labels.update({"village_committee": _("village committee"), "township_clerk": _("township clerk")})
    return labels.get(role, role)


def map_strings() -> dict[str, str]:
    """UI words the map script shows, translated on the server."""
    return {
        "areas": _("Administrative areas"), "incidents": _("Incidents"), "sites": _("Relocation sites"),
        "depots": _("Depots"), "facilities": _("Health facilities"), "households": _("Households"),
        "kind": _("Kind"), "status": _("Status"), "occurred_at": _("Occurred"), "description": _("Description"),
        "response_level": _("Response level"), "occupants": _("Occupants"), "capacity": _("Capacity"),
        "m2_per_person": _("m² per person"), "free_capacity": _("Free places"), "operating": _("Operating"),
        "items_in_stock": _("Items in stock"), "yes": _("yes"), "no": _("no"), "none": _("none"),
        "landslide": _("landslide"), "collapse": _("collapse"), "debris_flow": _("debris flow"),
        "flood": _("rainstorm / flood"), "snow_ice": _("snow / ice"), "hail": _("hail"),
        "earthquake": _("earthquake"), "drought": _("drought"), "other": _("other"),
        "reported": _("reported"), "verifying": _("verifying"), "verified": _("verified"),
        "responding": _("responding"), "stabilised": _("stabilised"), "closed": _("closed"),
        "rejected": _("rejected"), "duplicate": _("duplicate"),
        "school": _("school"), "gym": _("gym"), "tent_camp": _("tent camp"), "community_centre": _("community centre"),
    }


@bp.get("/")
@public
def map_page():
    return render_template("map.html", settings=map_settings())


def same_site_path(target: str | None) -> str | None:
    r"""``target`` if it is a path on this site (``/dashboard?x=1``), else None.

    Refused: absolute URLs, scheme-relative ``//host``, ``/\host`` (browsers read the backslash as a
    slash), any scheme (``javascript:``) and control characters (browsers drop tabs and newlines,
    which would turn ``/\t/host`` into ``//host``).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        try:
            security.check_login(name)
            logged_in = accounts.login(base_context(), name, form.password.data, address=security.client_address())
        except Throttled as throttled:
            minutes = max(1, -(-throttled.retry_after // 60))
            error = _("Too many failed attempts. Try again in %(minutes)d min.", minutes=minutes)
            status, headers = 429, {"Retry-After": str(throttled.retry_after)}
        except NotAuthenticated:
            security.login_failed(name)
            error, status = _("Wrong user name or password."), 401
        else:
            start_session(logged_in)
            return redirect(same_site_path(request.args.get("next")) or url_for("pages.map_page"))
    return render_template("login.html", form=form, error=error), status, headers


@bp.post("/logout")
@public
def logout():
    """End the session on the server too, so a copy of the cookie is worth nothing."""
    accounts.logout(request_context(), session.get(SESSION_KEY), address=security.client_address())
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("pages.map_page"))


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.referrer or url_for("pages.map_page")
    return redirect(target if target.startswith(request.host_url) else url_for("pages.map_page"))
