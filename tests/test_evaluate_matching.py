import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories

FIGURES = re.compile(
    r"top1_recall=\d\.\d\d top3_recall=\d\.\d\d threshold_agreement=\d\.\d\d "
    r"always_heard_agreement=\d\.\d\d n=\d+"
)
SHIPPED_GOLD = Path(settings.BASE_DIR) / "fixtures" / "gold" / "together-trust.json"


def _evaluate(path) -> list[str]:
    out = io.StringIO()
    call_command("evaluate_matching", str(path), stdout=out)
    return out.getvalue().splitlines()


def _gold(tmp_path, entries) -> Path:
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_the_shipped_gold_file_holds_together_trusts_own_thirteen_judgements(corpus):
    from responses.models import Assessment

    gold = json.loads(SHIPPED_GOLD.read_text(encoding="utf-8"))
    own = Assessment.objects.filter(
        judged_by="organisation", ask__document__organisation__slug="together-trust"
    ).select_related("ask")
    assert sorted(g["ask"] for g in gold) == sorted(a.ask.text for a in own)
    for entry in gold:
        assessment = own.get(ask__text=entry["ask"])
        assert entry["status"] == assessment.status
        assert sorted(entry["recommendations"]) == sorted(
            assessment.evidence.values_list("recommendation__ref", flat=True)
        )


def test_the_shipped_gold_file_prints_each_ask_then_the_figures_last(corpus):
    lines = _evaluate(SHIPPED_GOLD)
    assert FIGURES.fullmatch(lines[-1])
    assert lines[-1].endswith(" n=13")
    assert sum(line.strip().startswith("expected:") for line in lines) == 13
    assert sum(line.strip().startswith("suggested:") for line in lines) == 13


@pytest.fixture
def recommendations(db):
    chapter = factories.chapter()
    return [
        factories.recommendation(
            chapter=chapter, ref="1.1", text="Give kinship carers paid leave from work."
        ),
        factories.recommendation(
            chapter=chapter,
            ref="1.2",
            text="Remove the intentionality test for homeless care leavers.",
        ),
        factories.recommendation(
            chapter=chapter, ref="1.3", text="Introduce national pay scales for social workers."
        ),
    ]


def test_figures_count_hits_among_heard_asks_and_the_thresholds_agreement_on_absent_among_all(
    recommendations, tmp_path
):
    gold = _gold(
        tmp_path,
        [
            {
                "organisation": "A",
                "ask": "Paid leave for kinship carers",
                "status": "realised",
                "recommendations": ["1.1"],
            },
            {
                "organisation": "A",
                "ask": "Homeless care leavers and the intentionality test",
                "status": "partly",
                "recommendations": ["1.3"],
            },
            {
                "organisation": "A",
                "ask": "Lower speed limits near airports",
                "status": "absent",
                "recommendations": [],
            },
            {
                "organisation": "A",
                "ask": "National pay scales for social workers",
                "status": "absent",
                "recommendations": [],
            },
        ],
    )
    lines = _evaluate(gold)
    # Three asks agree: two heard with a close match, one absent with none; the pay scales
    # ask has a close match though the gold says absent. Answering heard every time: 2.
    assert lines[-1] == (
        "top1_recall=0.50 top3_recall=1.00 threshold_agreement=0.75 always_heard_agreement=0.50 n=4"
    )
    suggested = [line.strip() for line in lines if line.strip().startswith("suggested:")]
    assert [line.split(";")[0] for line in suggested] == [
        "suggested: close match",
        "suggested: close match",
        "suggested: no close match",
        "suggested: close match",
    ]
    assert lines[-2].startswith("threshold_agreement: how often no close match")
    assert "never stores absent" in lines[-2]


def test_refs_unknown_to_the_database_are_reported_not_fatal(recommendations, tmp_path):
    gold = _gold(
        tmp_path,
        [
            {
                "organisation": "A",
                "ask": "Paid leave for kinship carers",
                "status": "partly",
                "recommendations": ["1.1", "9.99"],
                "note": "ignored",
            }
        ],
    )
    lines = _evaluate(gold)
    assert any("not in the database: 9.99" in line for line in lines)
    assert lines[-1] == (
        "top1_recall=1.00 top3_recall=1.00 threshold_agreement=1.00 always_heard_agreement=1.00 n=1"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"ask": "x"}', "non-empty JSON list"),
        (
            '[{"organisation": "A", "ask": "x", "status": "maybe", "recommendations": []}]',
            "status 'maybe'",
        ),
        ('[{"organisation": "A", "status": "absent"}]', "entry 1 has no 'ask' text"),
        (
            '[{"organisation": "A", "ask": "x", "status": "partly", "recommendations": "1.1"}]',
            "not a list of refs",
        ),
    ],
)
def test_a_malformed_gold_file_is_refused_in_one_line(recommendations, tmp_path, content, message):
    path = tmp_path / "gold.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=re.escape(message)):
        _evaluate(path)


def test_a_missing_gold_file_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _evaluate(tmp_path / "missing.json")
