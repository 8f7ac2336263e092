"""The commands: create_campaign (identifier on the last line), schedule (non-zero exit when infeasible),
export_plan (columns, formula neutralisation), list_templates."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from echelon.campaigns import specs
from echelon.campaigns.models import Campaign, Participation, PlanPhase, Status
from echelon.campaigns.selectors import EXPORT_HEADER
from echelon.campaigns.tests.helpers import BUILTIN, GENERIC
from echelon.conftest import make_unit
from echelon.orgs.models import Kind, Level

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def create(*extra: str, root: str = "150000", start: str = "2014-01-20", end: str = "2014-09-30") -> Campaign:
    lines = run(
        "create_campaign",
        "--template",
        extra[0] if extra else BUILTIN,
        "--root",
        root,
        "--start",
        start,
        "--end",
        end,
        *extra[1:],
    )
    assert lines[-1].isdigit(), lines
    return Campaign.objects.get(pk=int(lines[-1]))


def test_list_templates_names_the_builtins():
    text = "\n".join(run("list_templates"))
    assert BUILTIN in text and "第二批党的群众路线教育实践活动（内蒙古）" in text
    assert GENERIC in text and "Staged training roll-out" in text


def test_create_prints_the_identifier_alone_on_its_last_line(tree):
    campaign = create()
    assert campaign.participations_count == len(tree.units)
    assert campaign.template is not None and campaign.template.key == BUILTIN  # loaded on first use


def test_create_from_a_file_and_by_name(tree, tmp_path):
    builtin = specs.find_builtin(GENERIC)
    assert builtin is not None
    data = yaml.safe_load(builtin.text)
    path = tmp_path / "training.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    campaign = create(str(path), start="2014-03-01", end="2014-08-31")
    assert campaign.template is None and campaign.template_key == GENERIC
    assert create("第二批党的群众路线教育实践活动（内蒙古）", root="150125").participations_count == 6


def test_create_refuses_unknown_inputs(tree, tmp_path):
    with pytest.raises(CommandError, match="不存在"):
        run(
            "create_campaign",
            "--template",
            BUILTIN,
            "--root",
            "999",
            "--start",
            "2014-01-20",
            "--end",
            "2014-09-30",
        )
    with pytest.raises(CommandError, match="找不到模板"):
        run(
            "create_campaign",
            "--template",
            "nothing",
            "--root",
            "150000",
            "--start",
            "2014-01-20",
            "--end",
            "2014-09-30",
        )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "key: bad\nname: 坏模板\nphases: [{key: a, name: 甲, share: 50}]\nbatches: [{key: b, levels: [9]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="环节占比之和必须为 100%"):
        run(
            "create_campaign",
            "--template",
            str(bad),
            "--root",
            "150000",
            "--start",
            "2014-01-20",
            "--end",
            "2014-09-30",
        )
    assert not Campaign.objects.exists()


def test_schedule_prints_and_stores_a_feasible_plan(tree):
    campaign = create()
    lines = run("schedule", str(campaign.pk), "--dry-run")
    assert lines[-1] == "计划可行：满足全部规则。" and "（试算，未保存）" in lines
    assert not PlanPhase.objects.exists()
    lines = run("schedule", str(campaign.pk))
    assert lines[-1] == "计划可行：满足全部规则。"
    campaign.refresh_from_db()
    assert campaign.status == Status.SCHEDULED
    assert PlanPhase.objects.count() == 5 * campaign.participations_count


def test_schedule_exits_non_zero_when_infeasible(tree):
    campaign = create(BUILTIN, "--window", "second:2014-01-20:2014-04-10")  # the template says September
    out = io.StringIO()
    with pytest.raises(CommandError, match="计划不可行") as exc:
        call_command("schedule", str(campaign.pk), stdout=out)
    assert exc.value.returncode == 1
    text = out.getvalue()
    assert "[min_duration]" in text and "将批次结束日期推迟到" in text


def test_schedule_of_an_unknown_campaign(db):
    with pytest.raises(CommandError, match="不存在"):
        run("schedule", "12345")


def test_export_plan_columns_and_formula_neutralisation(tree, tmp_path):
    make_unit(
        tree.township,
        "150125100299",
        '=HYPERLINK("http://evil.example","点我")',
        Level.VILLAGE,
        Kind.VILLAGE,
        "village",
    )
    campaign = create(root="150125")
    with pytest.raises(CommandError, match="还没有生成计划"):
        run("export_plan", str(campaign.pk), str(tmp_path / "plan.csv"))
    run("schedule", str(campaign.pk))

    path = tmp_path / "plan.csv"
    lines = run("export_plan", str(campaign.pk), str(path))
    assert lines[-1].startswith("已导出 35 行")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert (
        rows[0]
        == EXPORT_HEADER
        == [
            "unit_code",
            "unit_name",
            "level",
            "kind",
            "batch",
            "phase",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
        ]
    )
    assert len(rows) == 1 + 5 * Participation.objects.filter(campaign=campaign).count()
    village = [r for r in rows if r[0] == "150125100201"]
    assert [r[5] for r in village] == [
        "准备、动员部署",
        "学习教育、听取意见",
        "查摆问题、开展批评",
        "整改落实、建章立制",
        "总结评估",
    ]
    assert (
        village[0][2:5] == ["嘎查村社区", "嘎查村", "第二批"] and village[0][6] == "2014-02-09"
    )  # county root: 20 Jan, townships 30 Jan
    assert village[-1][7] == "2014-09-30" and village[0][8] == ""
    evil = [r for r in rows if r[0] == "150125100299"]
    assert evil and all(r[1].startswith("'=HYPERLINK") for r in evil)

    from openpyxl import load_workbook

    xlsx = tmp_path / "plan.xlsx"
    run("export_plan", str(campaign.pk), str(xlsx))
    sheet = load_workbook(xlsx, read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == EXPORT_HEADER and len(values) == len(rows)
    assert all(not str(v[1]).startswith("=") for v in values)
    assert any(str(v[1]).startswith("'=HYPERLINK") for v in values)
    with pytest.raises(CommandError, match="扩展名"):
        run("export_plan", str(campaign.pk), str(tmp_path / "plan.txt"))
