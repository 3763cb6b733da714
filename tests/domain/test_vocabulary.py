"""Each word relief stores or compares is defined once, in ``relief.domain.vocabulary``.

The tables name the words a column holds (``info={"choices": …}``) with the
vocabulary's own tuples, the register specification checks the same tuples,
and no module spells a vocabulary set out again as a literal.
"""
from __future__ import annotations

import ast
import inspect
from enum import StrEnum
from pathlib import Path

import pytest

import relief
from relief.domain import registers, vocabulary
from relief.store.tables import Base

ROOT = Path(relief.__file__).resolve().parent.parent
#: Migrations are history: a revision keeps the words of its day.
NOT_SCANNED = ("relief/store/migrations/", "relief/domain/vocabulary.py")

#: (table, column) → the vocabulary tuple its values come from.
COLUMN_WORDS = {
    ("areas", "level"): vocabulary.AREA_LEVELS,
    ("sites", "kind"): vocabulary.SITE_KINDS,
    ("sites", "status"): vocabulary.SITE_STATUSES,
    ("households", "house_damage"): vocabulary.HOUSE_DAMAGE,
    ("households", "shelter"): vocabulary.SHELTERS,
    ("households", "dispersed_kind"): vocabulary.DISPERSED_KINDS,
    ("households", "assistance_category"): vocabulary.ASSISTANCE_CATEGORIES,
    **{("guarantee_status", g): vocabulary.GUARANTEE_STATUSES for g in vocabulary.GUARANTEES},
    ("incidents", "kind"): vocabulary.INCIDENT_KINDS,
    ("incidents", "status"): vocabulary.INCIDENT_STATUSES,
    ("incident_transitions", "from_status"): vocabulary.INCIDENT_STATUSES,
    ("incident_transitions", "to_status"): vocabulary.INCIDENT_STATUSES,
    ("statutory_reports", "kind"): vocabulary.REPORT_KINDS,
    ("items", "guarantee"): vocabulary.ITEM_GUARANTEES,
    ("stock_movements", "kind"): vocabulary.MOVEMENT_KINDS,
    ("stock_movements", "source"): vocabulary.RECEIPT_SOURCES,
    ("stock_movements", "holder_kind"): vocabulary.HOLDER_KINDS,
    ("stock_balances", "holder_kind"): vocabulary.HOLDER_KINDS,
    ("donations", "kind"): vocabulary.DONATION_KINDS,
    ("donations", "destination_kind"): vocabulary.HOLDER_KINDS,
    ("dispatch_plans", "status"): vocabulary.DISPATCH_PLAN_STATUSES,
    ("houses", "damage"): vocabulary.RECONSTRUCTION_DAMAGE,
    ("houses", "stage"): vocabulary.HOUSE_STAGES,
    ("houses", "rebuild_mode"): vocabulary.REBUILD_MODES,
    ("house_transitions", "from_stage"): vocabulary.HOUSE_STAGES,
    ("house_transitions", "to_stage"): vocabulary.HOUSE_STAGES,
    ("assistance_programmes", "purpose"): vocabulary.PURPOSE_CLASSES,
    ("assistance_cases", "stage"): vocabulary.CASE_STAGES,
    ("assistance_case_transitions", "action"): vocabulary.CASE_ACTIONS,
    ("assistance_case_transitions", "from_stage"): vocabulary.CASE_STAGES,
    ("assistance_case_transitions", "to_stage"): vocabulary.CASE_STAGES,
    ("assistance_objections", "outcome"): vocabulary.OBJECTION_OUTCOMES,
    ("assistance_payout_lines", "status"): vocabulary.PAYOUT_STATUSES,
    ("inspections", "milestone"): vocabulary.HOUSE_STAGES,
    ("inspections", "result"): vocabulary.INSPECTION_RESULTS,
    ("subscriptions", "mode"): vocabulary.DELIVERY_MODES,
    ("webhook_deliveries", "status"): vocabulary.DELIVERY_STATUSES,
    ("sms_subscriptions", "mode"): vocabulary.DELIVERY_MODES,
    ("sms_messages", "mode"): vocabulary.DELIVERY_MODES,
    ("sms_messages", "status"): vocabulary.SMS_STATUSES,
    ("sms_messages", "kind"): vocabulary.SMS_KINDS,
    ("partner_aid", "purpose"): vocabulary.PURPOSE_CLASSES,
    ("partner_aid", "match_verdict"): vocabulary.MATCH_VERDICTS,
    ("aid_flags", "kind"): vocabulary.AID_FLAG_KINDS,
    ("aid_flags", "purpose"): vocabulary.PURPOSE_CLASSES,
    ("aid_flags", "status"): vocabulary.AID_FLAG_STATUSES,
    ("aid_flag_steps", "from_status"): vocabulary.AID_FLAG_STATUSES,
    ("aid_flag_steps", "to_status"): vocabulary.AID_FLAG_STATUSES,
}


def _vocabulary_sets() -> dict[str, frozenset[str]]:
    """Every tuple or set of two or more words the vocabulary exports, by name."""
    found = {}
    for name, value in vars(vocabulary).items():
        if name.isupper() and isinstance(value, (tuple, frozenset)) and len(value) >= 2:
            found[name] = frozenset(str(word) for word in value)
    return found


def test_the_tables_name_their_words_with_the_vocabulary_tuples():
    named = {(table.name, column.name): column.info["choices"]
             for table in Base.metadata.tables.values() for column in table.columns if "choices" in column.info}
    assert set(named) == set(COLUMN_WORDS)
    for key, words in COLUMN_WORDS.items():
        assert named[key] is words, key  # the vocabulary's own tuple, not a copy that could drift


def test_column_defaults_are_words_of_their_column():
    for table in Base.metadata.tables.values():
        for column in table.columns:
            words = column.info.get("choices")
            if words is not None and column.default is not None:
                assert column.default.arg in words, (table.name, column.name)


def test_the_table_check_constraints_speak_only_of_the_vocabulary():
    """A CHECK constraint that names words names each word of a vocabulary tuple, or none."""
    sets = _vocabulary_sets()
    for table in Base.metadata.tables.values():
        for constraint in getattr(table, "constraints", ()):
            text = str(getattr(constraint, "sqltext", ""))
            for name, words in sets.items():
                named = {w for w in words if f"'{w}'" in text}
                assert not named or named == words, (table.name, constraint.name, name)


def test_guarantee_verdict_columns_are_the_five_guarantees():
    table = Base.metadata.tables["guarantee_status"]
    assert [c for c in table.columns.keys() if c in vocabulary.GUARANTEES] == list(vocabulary.GUARANTEES)


def test_the_register_choices_are_the_vocabulary_tuples():
    choices = {(file, c.name): c.choices for file, columns in registers.SPECS.items() for c in columns if c.choices}
    assert choices[("sites", "status")] is vocabulary.SITE_STATUSES
    assert choices[("items", "guarantee")] is vocabulary.ITEM_GUARANTEES
    assert choices[("households", "house_damage")] is vocabulary.HOUSE_DAMAGE
    assert choices[("households", "shelter")] is vocabulary.SHELTERS


def test_each_tuple_is_its_enum_in_order():
    v = vocabulary
    pairs = [(v.INCIDENT_KINDS, v.IncidentKind), (v.INCIDENT_STATUSES, v.IncidentStatus),
             (v.REPORT_KINDS, v.ReportKind), (v.GUARANTEES, v.Guarantee), (v.GUARANTEE_STATUSES, v.GuaranteeStatus),
             (v.HOUSE_DAMAGE, v.HouseDamage), (v.SHELTERS, v.Shelter), (v.DISPERSED_KINDS, v.DispersedKind),
             (v.AREA_LEVELS, v.AreaLevel), (v.SITE_KINDS, v.SiteKind), (v.SITE_STATUSES, v.SiteStatus),
             (v.HOLDER_KINDS, v.HolderKind), (v.MOVEMENT_KINDS, v.MovementKind), (v.ITEM_GUARANTEES, v.ItemGuarantee),
             (v.RECEIPT_SOURCES, v.ReceiptSource), (v.DONATION_KINDS, v.DonationKind),
             (v.DISPATCH_PLAN_STATUSES, v.DispatchPlanStatus), (v.PURPOSE_CLASSES, v.PurposeClass),
             (v.TOPICS, v.Topic), (v.HOUSE_STAGES, v.HouseStage), (v.REBUILD_MODES, v.RebuildMode),
             (v.INSPECTION_RESULTS, v.InspectionResult), (v.ASSISTANCE_CATEGORIES, v.AssistanceCategory),
             (v.DISPATCH_ACTIONS, v.DispatchAction)]
    pairs += [(v.CASE_STAGES, v.CaseStage), (v.CASE_ACTIONS, v.CaseAction),
              (v.OBJECTION_OUTCOMES, v.ObjectionOutcome), (v.PAYOUT_STATUSES, v.PayoutStatus)]
    pairs += [(v.EXPORT_TABLES, v.ExportTable), (v.EXPORT_FORMATS, v.ExportFormat)]
    pairs += [(v.AID_SOURCE_KINDS, v.AidSourceKind), (v.AID_FLAG_KINDS, v.AidFlagKind),
              (v.AID_FLAG_STATUSES, v.AidFlagStatus), (v.MATCH_VERDICTS, v.MatchVerdict)]
    pairs += [(v.DELIVERY_MODES, v.DeliveryMode), (v.DELIVERY_STATUSES, v.DeliveryStatus)]
    pairs += [(v.SMS_STATUSES, v.SmsStatus), (v.SMS_KINDS, v.SmsKind)]
    assert len(pairs) == inspect.getsource(vocabulary).count(" = values("), "a word tuple without its pair here"
    for words, enum in pairs:
        assert issubclass(enum, StrEnum)
        assert words == tuple(m.value for m in enum) and all(type(w) is str for w in words), enum.__name__
    assert set(vocabulary.VERDICTS_WORST_FIRST) == set(vocabulary.GUARANTEE_STATUSES) | {vocabulary.UNKNOWN}


def _sources() -> list[Path]:
    files = [p for folder in ("relief", "maps") for p in sorted((ROOT / folder).rglob("*.py"))]
    return [p for p in files if not p.relative_to(ROOT).as_posix().startswith(NOT_SCANNED)]


def _literal_word_sets(tree: ast.AST):
    """``(line, words)`` for every tuple, list or set literal made of two or more string constants."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            yield node.lineno, frozenset(e.value for e in node.elts)


def test_the_source_scan_sees_the_tree():
    names = {p.relative_to(ROOT).as_posix() for p in _sources()}
    assert {"relief/store/tables/people.py", "relief/domain/incidents.py", "maps/styles.py"} <= names
    assert not any(n.startswith("relief/store/migrations/") for n in names)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_spells_out_a_vocabulary_set_again(path):
    """A literal ``("severe", "collapsed")`` beside ``vocabulary.UNSAFE_DAMAGE`` is a second definition."""
    sets = _vocabulary_sets()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    again = [(line, name) for line, words in _literal_word_sets(tree)
             for name, known in sets.items() if words == known]
    assert again == [], f"{path.relative_to(ROOT)}: import these from relief.domain.vocabulary: {again}"
