"""The sitrep's answers: the JSON of ``GET /api/sitrep`` and the EDXL-SitRep 1.0 XML of its key figures.

The snapshot (``services.sitrep.snapshot``) is already plain JSON; the answer adds ``figures`` and
``deltas`` keyed by name for clients that want a figure without walking the list. The XML's report
types, namespace and field names are data (``edxl_sitrep`` in the standards document).
"""
from __future__ import annotations

from typing import Any, Mapping
from xml.etree import ElementTree as ET

from relief.jsonable import jsonable


def answer(snap: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot plus ``figures`` and ``deltas``: ``{name: value}`` / ``{name: Δ or null}``."""
    out = dict(snap)
    out["figures"] = {row["name"]: row["value"] for row in snap["key"]}
    out["deltas"] = {row["name"]: row["delta"] for row in snap["key"]}
    return jsonable(out)


def _number(value: Any) -> str:
    if value is None:
        return "0"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return str(int(value))


def edxl(snap: Mapping[str, Any], spec: Mapping[str, Any]) -> bytes:
    """The key figures as an EDXL-SitRep 1.0 document (UTF-8 XML), one report per section of ``spec``.

    Message header: ``MessageID`` (``relief-sitrep-<number>-<as_of>``), ``ReportNumber``,
    ``ReportVersion`` (first or later), ``ForTimePeriod`` (the period covered), ``ReportPurpose`` and
    ``ReportingLevel``; then each ``Report`` with its ``ReportType`` and one element per mapped figure
    (its change since the previous report in a ``change`` attribute when there is one).
    """
    ns = spec["namespace"]
    ET.register_namespace("", ns)

    def tag(name: str) -> str:
        return f"{{{ns}}}{name}"

    root = ET.Element(tag("SitRep"))
    as_of = snap["as_of"]
    ET.SubElement(root, tag("MessageID")).text = f"relief-sitrep-{snap['number']}-{as_of}"
    ET.SubElement(root, tag("ReportPurpose")).text = spec["report_purpose"]
    ET.SubElement(root, tag("ReportNumber")).text = str(snap["number"])
    ET.SubElement(root, tag("ReportVersion")).text = (
        spec["report_version_first"] if snap.get("previous") is None else spec["report_version_later"])
    period = ET.SubElement(root, tag("ForTimePeriod"))
    ET.SubElement(period, tag("FromDateTime")).text = snap["period"].get("from") or as_of
    ET.SubElement(period, tag("ToDateTime")).text = snap["period"]["to"]
    ET.SubElement(root, tag("ReportingLevel")).text = spec["reporting_level"]
    figures = {row["name"]: row for row in snap["key"]}
    for report_type, fields in spec["sections"].items():
        if report_type not in spec["report_types"]:
            raise ValueError(f"unknown EDXL-SitRep report type {report_type!r}")
        report = ET.SubElement(root, tag("Report"))
        ET.SubElement(report, tag("ReportType")).text = report_type
        for element, figure in fields.items():
            row = figures.get(figure) or {}
            node = ET.SubElement(report, tag(element))
            node.text = _number(row.get("value"))
            if row.get("delta") is not None:
                node.set("change", _number(row["delta"]) if row["delta"] >= 0 else "-" + _number(-row["delta"]))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
