"""Settings for the scheduler from the environment: a switch and an interval, refused when malformed."""
from __future__ import annotations

import pytest

from relief import config


def test_the_scheduler_is_on_every_15_seconds_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("RELIEF_SCHEDULER", raising=False)
    monkeypatch.delenv("RELIEF_SCHEDULER_SECONDS", raising=False)
    settings = config.load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert settings["SCHEDULER"] is True and settings["SCHEDULER_SECONDS"] == 15.0


@pytest.mark.parametrize("value, on", [("off", False), ("OFF", False), ("0", False), ("on", True), ("yes", True)])
def test_relief_scheduler_switches_it(monkeypatch, tmp_path, value, on):
    monkeypatch.setenv("RELIEF_SCHEDULER", value)
    monkeypatch.setenv("RELIEF_SCHEDULER_SECONDS", "2.5")
    settings = config.load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert settings["SCHEDULER"] is on and settings["SCHEDULER_SECONDS"] == 2.5


@pytest.mark.parametrize("name, value", [("RELIEF_SCHEDULER", "sometimes"), ("RELIEF_SCHEDULER_SECONDS", "0"),
                                         ("RELIEF_SCHEDULER_SECONDS", "-5")])
def test_a_malformed_setting_is_refused_naming_it(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        config.load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})


def test_the_objection_limit_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("RELIEF_OBJECTION_LIMIT", raising=False)
    assert config.load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})["OBJECTION_LIMIT"] == "5 per hour"
    monkeypatch.setenv("RELIEF_OBJECTION_LIMIT", "2 per day")
    assert config.load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})["OBJECTION_LIMIT"] == "2 per day"
