"""maps stands alone: it imports nothing of relief, and its colour tables colour exactly relief's words."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from maps import styles
from relief.domain import vocabulary

MAPS = Path(styles.__file__).resolve().parent
MODULES = sorted(f"maps.{p.stem}" for p in MAPS.glob("*.py") if p.stem != "__init__") + ["maps"]


@pytest.mark.parametrize("module", MODULES)
def test_importing_maps_imports_no_relief(module):
    """A fresh interpreter (nothing imported yet) that imports the module has no ``relief`` module loaded."""
    probe = (f"import json, sys; import {module}; "
             "print(json.dumps(sorted(m for m in sys.modules if m == 'relief' or m.startswith('relief.'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=MAPS.parent)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_colour_tables_colour_every_word_and_no_other():
    assert list(styles.STATUS_COLOURS) == list(vocabulary.INCIDENT_STATUSES)
    assert list(styles.KIND_COLOURS) == list(styles.KIND_SHAPES) == list(vocabulary.INCIDENT_KINDS)
    assert list(styles.GUARANTEE_COLOURS) == list(vocabulary.VERDICTS_WORST_FIRST)
    assert set(styles.AREA_CLASSES) == set(vocabulary.VERDICTS_WORST_FIRST) | {"empty"}


def test_the_worst_verdict_follows_the_order_the_caller_gives():
    assert styles.worst_status(["met", "unmet"], vocabulary.VERDICTS_WORST_FIRST) == "unmet"
    assert styles.worst_status(["met", "unmet"], ["met", "unmet"]) == "met"
