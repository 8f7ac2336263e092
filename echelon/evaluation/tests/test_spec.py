"""The template's ``evaluation:`` section: defaults for a template without it, and its bad values
explained in Chinese."""

from __future__ import annotations

import pytest

from echelon.campaigns import specs
from echelon.campaigns.tests.test_specs import errors_of, minimal


def test_defaults_without_the_section():
    spec = specs.validate(minimal())
    settings = spec.evaluation
    phases = [p.key for p in spec.phases]
    assert settings["phase"] == phases[-1]
    assert settings["items"][0] == "活动整体情况" and settings["scale"] == ["满意", "基本满意", "不满意"]
    assert settings["satisfied"] == ["满意", "基本满意"] and settings["redo_below"] == 0.6
    assert settings["redo_phase"] in phases and (settings["redo_days"], settings["ballot_days"]) == (30, 14)


def test_the_builtin_reads_its_section():
    settings = specs.builtins()[0].spec.evaluation
    assert (settings["phase"], settings["redo_phase"]) == ("summary", "rectify")


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"phase": "nowhere"}, "不是模板中的环节"),
        ({"satisfied": ["很好"]}, "不在等次中"),
        ({"satisfied": ["满意", "基本满意", "不满意"]}, "不能包括全部等次"),
        ({"scale": ["满意"]}, "至少要有两个"),
        ({"items": []}, "不能为空"),
        ({"redo_below": 1.5}, "0 和 1 之间"),
        ({"ballot_days": 0}, "1 到 90"),
        ({"colour": "red"}, "未知的字段"),
    ],
)
def test_bad_values_are_explained(section, expected):
    errors = errors_of(minimal(evaluation=section))
    assert any(expected in e for e in errors), errors
