"""A synthetic corpus, many times the size of the real one, for benchmarks and load tests.

Text is walked from a word chain built over the real recommendations and asks in the
database, so it reads like the corpus and has its vocabulary; statuses, judges and
evidence links follow the shipped corpus's proportions. The rules the real data obeys hold
here too: every ask is quoted exactly from its document's text and every evidence quote
exactly from its recommendation's text.

Every synthetic row is marked (`Organisation.synthetic`, `Report.synthetic`,
`Recommendation.synthetic`, and everything that belongs to those) and `clear()` removes
exactly those rows, so a synthetic corpus can sit on top of the real one.
"""

import datetime
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils.text import slugify
from tqdm import tqdm

from recommendations.models import Chapter, Recommendation, Report, Theme
from responses.models import (
    HEARD,
    Ask,
    Assessment,
    DocumentKind,
    Evidence,
    GovernmentAssessment,
    JudgedBy,
    Organisation,
    OrganisationKind,
    OrganisationNote,
    ResponseDocument,
    Status,
)

BATCH_SIZE = 1000
# Organisations generated and inserted together: big enough for few round trips, small
# enough that memory stays flat however many organisations are asked for.
ORGANISATIONS_PER_CHUNK = 200
MAX_ASKS_PER_ORGANISATION = 1000

# Proportions from the shipped corpus: 49 asks, of which 20 are not assessed; the 29
# judgements are 15 partly, 7 absent, 6 realised and 1 unclear; those with evidence cite
# 1, 2 or 3 recommendations 13:4:3; asks have 1 or 2 themes 30:19; 11 asks restate an
# earlier wording; 3 of 4 organisations are charities.
STATUS_WEIGHTS = {
    Status.NOT_ASSESSED: 20,
    Status.PARTLY: 15,
    Status.ABSENT: 7,
    Status.REALISED: 6,
    Status.UNCLEAR: 1,
}
EVIDENCE_COUNT_WEIGHTS = {1: 13, 2: 4, 3: 3}
THEME_COUNT_WEIGHTS = {1: 30, 2: 19}
SHARE_OF_ORGANISATIONS_JUDGING_THEMSELVES = 0.25
KIND_WEIGHTS = {OrganisationKind.CHARITY: 3, OrganisationKind.MEMBERSHIP_FORUM: 1}
CONFIDENCE_WEIGHTS = {"high": 30, "medium": 14, "low": 2}
NAME_ENDINGS = ["Trust", "Foundation", "Network", "Alliance", "Forum", "Partnership", "Society"]

SYNTHETIC_REPORT_SLUG = "synthetic-review"


class SyntheticCorpusError(Exception):
    """The synthetic corpus cannot be made or removed as asked; the message says why."""


@dataclass(frozen=True)
class Seeded:
    organisations: int
    documents: int
    asks: int
    assessments: int
    evidence: int
    recommendations: int


class WordChain:
    """A first-order word chain: each word is followed by a word that followed it
    somewhere in the source texts, so generated sentences keep the corpus's vocabulary
    and local phrasing."""

    def __init__(self, texts: list[str]):
        self.following: dict[str, list[str]] = defaultdict(list)
        self.starts: list[str] = []
        for text in texts:
            words = text.split()
            if not words:
                continue
            self.starts.append(words[0])
            for word, following in itertools.pairwise(words):
                self.following[word].append(following)
                if word.endswith("."):
                    self.starts.append(following)
        # Words fit for made-up organisation names.
        self.long_words = sorted({w.lower() for w in self.following if w.isalpha() and len(w) >= 6})

    def sentence(self, rng: random.Random, *, min_words: int, max_words: int) -> str:
        """Between min_words and max_words words, ending with a full stop."""
        # Names bound once and the count kept by the loop: this runs for every word of a
        # synthetic corpus, a third of the time it takes to make one.
        choice, following, starts = rng.choice, self.following.get, self.starts
        word = choice(starts)
        words = [word]
        for count in range(1, max_words):
            if count >= min_words and word.endswith("."):
                break
            choices = following(word)
            word = choice(choices) if choices else choice(starts)
            words.append(word)
        sentence = " ".join(words).rstrip(",;:")
        sentence = sentence[0].upper() + sentence[1:]
        return sentence if sentence.endswith(".") else sentence + "."


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _short_title(text: str) -> str:
    return " ".join(text.rstrip(".").split()[:8])[:200]


def _real_texts() -> list[str]:
    recommendations = Recommendation.objects.filter(synthetic=False).order_by("pk")
    asks = Ask.objects.filter(document__organisation__synthetic=False).order_by("pk")
    return [
        *recommendations.values_list("text", flat=True),
        *asks.values_list("text", flat=True),
    ]


def has_synthetic_rows() -> bool:
    return (
        Organisation.objects.filter(synthetic=True).exists()
        or Report.objects.filter(synthetic=True).exists()
    )


def seed(
    *,
    organisations: int,
    asks_per_organisation: int,
    recommendations: int,
    seed: int,
    progress: bool = False,
) -> Seeded:
    """Add a synthetic corpus of the size asked for, all or nothing.

    The same seed on the same real corpus gives the same rows. Refuses (raising
    SyntheticCorpusError) when sizes are out of range, when there is no real corpus to
    take words from, or when synthetic rows are already present.
    """
    if organisations < 0 or asks_per_organisation < 0 or recommendations < 0:
        raise SyntheticCorpusError("Sizes cannot be negative.")
    if asks_per_organisation > MAX_ASKS_PER_ORGANISATION:
        raise SyntheticCorpusError(f"At most {MAX_ASKS_PER_ORGANISATION} asks per organisation.")
    if organisations and asks_per_organisation and not recommendations:
        raise SyntheticCorpusError(
            "Synthetic asks need at least one synthetic recommendation to cite as evidence."
        )
    if has_synthetic_rows():
        raise SyntheticCorpusError("Synthetic rows are already present; clear them first.")
    texts = _real_texts()
    if not texts:
        raise SyntheticCorpusError(
            "There is no real corpus to take words from; run `manage.py load_corpus` first."
        )
    chain = WordChain(texts)
    themes = list(Theme.objects.order_by("pk"))
    with transaction.atomic():
        report = Report.objects.create(
            title="Synthetic review (generated for benchmarks)",
            short_title="Synthetic review",
            slug=SYNTHETIC_REPORT_SLUG,
            published=datetime.date(2022, 5, 23),
            provenance="Generated by seed_synthetic from the real corpus's words. "
            "Not a real report: it exists to measure carereview at scale.",
            synthetic=True,
        )
        made = _seed_recommendations(
            rng=random.Random(f"{seed}:recommendations"),
            chain=chain,
            report=report,
            themes=themes,
            count=recommendations,
        )
        counts = defaultdict(int)
        with (
            connection.cursor() as cursor,
            tqdm(total=organisations, unit="organisation", disable=not progress) as bar,
        ):
            staging = _Staging(cursor)
            for first in range(0, organisations, ORGANISATIONS_PER_CHUNK):
                size = min(ORGANISATIONS_PER_CHUNK, organisations - first)
                chunk = _seed_organisations(
                    seed=seed,
                    chain=chain,
                    recommendations=made,
                    themes=themes,
                    numbers=range(first + 1, first + size + 1),
                    asks_per_organisation=asks_per_organisation,
                    staging=staging,
                )
                for name, value in chunk.items():
                    counts[name] += value
                bar.update(size)
            staging.move()
    return Seeded(organisations=organisations, recommendations=len(made), **counts)


def _seed_recommendations(*, rng, chain, report, themes, count) -> list[Recommendation]:
    real_chapters = Chapter.objects.filter(report__synthetic=False).order_by("report", "number")
    titles = {c.number: c.title for c in real_chapters} or {1: "Synthetic chapter"}
    chapters = Chapter.objects.bulk_create(
        Chapter(report=report, number=number, title=title) for number, title in titles.items()
    )
    per_chapter = defaultdict(int)
    rows = []
    for _ in range(count):
        chapter = rng.choice(chapters)
        per_chapter[chapter.number] += 1
        text = " ".join(
            chain.sentence(rng, min_words=12, max_words=40) for _ in range(rng.randint(1, 3))
        )
        rows.append(
            Recommendation(
                report=report,
                chapter=chapter,
                synthetic=True,
                # Distinct from real refs, which recommendation URLs use on their own.
                ref=f"S{chapter.number}.{per_chapter[chapter.number]}",
                title=_short_title(chain.sentence(rng, min_words=4, max_words=10)),
                text=text,
                confidence=_weighted(rng, CONFIDENCE_WEIGHTS),
            )
        )
    made = Recommendation.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    if themes:
        Recommendation.themes.through.objects.bulk_create(
            (
                Recommendation.themes.through(
                    recommendation_id=r.pk, theme_id=rng.choice(themes).pk
                )
                for r in made
            ),
            batch_size=BATCH_SIZE,
        )
    return made


@dataclass
class _OrganisationPlan:
    """One synthetic organisation's rows, made before any is saved."""

    organisation: Organisation
    documents: list[ResponseDocument]
    asks: list[Ask]
    restating_asks: list[Ask]
    assessments: list[Assessment]
    evidence: list[Evidence]
    ask_themes: list[tuple[Ask, Theme]]


def _seed_organisations(
    *, seed, chain, recommendations, themes, numbers, asks_per_organisation, staging
) -> dict[str, int]:
    # Each organisation draws from its own generator, so organisation n is the same
    # whatever the corpus size: a small corpus is the start of a large one.
    plans = [
        _plan_organisation(
            rng=random.Random(f"{seed}:organisation:{number}"),
            chain=chain,
            number=number,
            recommendations=recommendations,
            themes=themes,
            asks_per_organisation=asks_per_organisation,
        )
        for number in numbers
    ]
    organisations = [p.organisation for p in plans]
    documents = [d for p in plans for d in p.documents]
    # Restatements after the asks they restate, as they were numbered when each was
    # inserted once its earlier wording had an id.
    asks = [a for p in plans for a in p.asks] + [a for p in plans for a in p.restating_asks]
    assessments = [a for p in plans for a in p.assessments]
    evidence = [e for p in plans for e in p.evidence]
    ask_themes = [
        Ask.themes.through(ask=ask, theme=theme) for p in plans for ask, theme in p.ask_themes
    ]
    for rows in (organisations, documents, asks, assessments, evidence, ask_themes):
        staging.stage(rows)
    return {
        "documents": len(documents),
        "asks": len(asks),
        "assessments": len(assessments),
        "evidence": len(evidence),
    }


class _Staging:
    """Rows gathered in temporary tables, one per table, then moved into their tables by
    one `INSERT ... SELECT` each.

    The stored counts' triggers run after every statement and recount every organisation
    and recommendation it touched, reading all their rows: inserted a batch at a time, a
    corpus's evidence would recount each recommendation once a batch, reading evidence
    that grows with each, so the cost would grow with the square of the corpus. Moved
    once, each table's triggers run once; the temporary tables have none. Ids come from
    the tables' own sequences, taken in the order in which rows are staged, so that
    rows can name the ids of others before any is in its table.
    """

    # The order of staging: each row names the ids of rows staged before it.
    MODELS = (Organisation, ResponseDocument, Ask, Assessment, Evidence, Ask.themes.through)
    # The order of moving (foreign keys are checked at commit), chosen for the plans of
    # the recounts that the triggers run. Each table moved is analysed before the next:
    # under statistics that say the tables hold only the real corpus, a recount planned
    # for a few rows and met with hundreds of thousands took minutes. A statement's own
    # table is still unanalysed when its triggers recount, so the statements that
    # recount everything are those whose tables the recounts reach through an index,
    # row by row, whatever the statistics say. The triggers find an ask's organisation
    # through its document: until the documents are in, asks, their judgements and
    # their themes touch no count. The documents' statement then recounts every
    # synthetic organisation (read from the documents first, as their old statistics
    # say to), and the evidence's recounts them again and every recommendation cited
    # (each recommendation's evidence read through its index).
    MOVES = (Organisation, Ask, Assessment, Ask.themes.through, ResponseDocument, Evidence)

    def __init__(self, cursor):
        self.cursor = cursor
        self.fields = {model: model._meta.concrete_fields for model in self.MODELS}
        for model in self.MODELS:
            table = model._meta.db_table
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self._staged(model)} (LIKE {_quoted_name(table)})"
            )

    @staticmethod
    def _staged(model) -> str:
        return _quoted_name(f"staged_{model._meta.db_table}")

    def _columns(self, model) -> str:
        return ", ".join(_quoted_name(field.column) for field in self.fields[model])

    def stage(self, rows: list) -> None:
        """Give `rows` (model instances, all of one model, whose foreign keys name rows
        staged before) their ids, and stage them."""
        if not rows:
            return
        model = type(rows[0])
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id "
            "FROM generate_series(1, %s) ORDER BY id",
            [model._meta.db_table, len(rows)],
        )
        for row, (pk,) in zip(rows, self.cursor.fetchall(), strict=True):
            row.pk = pk
        fields = self.fields[model]
        copy_sql = f"COPY {self._staged(model)} ({self._columns(model)}) FROM STDIN"
        with self.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([_column_value(row, field) for field in fields])

    def move(self) -> None:
        """Move every staged row into its table, one statement a table."""
        for model in self.MOVES:
            table = _quoted_name(model._meta.db_table)
            columns = self._columns(model)
            self.cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {self._staged(model)}"
            )
            self.cursor.execute(f"ANALYZE {table}")
            # Dropped here, not at commit: a seed inside a longer transaction (a test's)
            # may be followed by another. A seed that fails rolls their making back.
            self.cursor.execute(f"DROP TABLE {self._staged(model)}")


def _quoted_name(name: str) -> str:
    return connection.ops.quote_name(name)


def _column_value(row, field):
    """What Django's own insert would write in `field`'s column."""
    if field.is_relation and field.is_cached(row):
        # The related row's id, given after this row was made.
        related = field.get_cached_value(row)
        return None if related is None else related.pk
    return field.get_db_prep_save(field.pre_save(row, add=True), connection)


def _plan_organisation(
    *, rng, chain, number, recommendations, themes, asks_per_organisation
) -> _OrganisationPlan:
    words = [rng.choice(chain.long_words).capitalize() for _ in range(2)]
    name = f"{' '.join(words)} {rng.choice(NAME_ENDINGS)} (synthetic {number})"
    organisation = Organisation(
        name=name,
        slug=slugify(f"synthetic-{number}-{name}")[:200],
        kind=_weighted(rng, KIND_WEIGHTS),
        synthetic=True,
    )
    # Like Together Trust, some organisations judge their own asks later, restating the
    # earlier wording in an assessment of the Final Report; editors judge the rest.
    judges_itself = rng.random() < SHARE_OF_ORGANISATIONS_JUDGING_THEMSELVES
    restated = asks_per_organisation // 2 if judges_itself else 0
    texts = [
        chain.sentence(rng, min_words=8, max_words=35)
        for _ in range(asks_per_organisation - restated)
    ]
    response = _document(
        rng=rng,
        chain=chain,
        organisation=organisation,
        texts=texts,
        kind=DocumentKind.CASE_FOR_CHANGE_RESPONSE,
        title=f"{organisation.name} responds to the Case for Change",
        published=datetime.date(2021, 9, 1),
    )
    asks = _asks(document=response, texts=texts)
    documents, restating = [response], []
    if restated:
        texts = [chain.sentence(rng, min_words=8, max_words=35) for _ in range(restated)]
        assessment_document = _document(
            rng=rng,
            chain=chain,
            organisation=organisation,
            texts=texts,
            kind=DocumentKind.FINAL_REPORT_ASSESSMENT,
            title=f"Did the Care Review hear {organisation.name}?",
            published=datetime.date(2022, 6, 1),
        )
        documents.append(assessment_document)
        restating = _asks(document=assessment_document, texts=texts)
        for ask, earlier in zip(restating, asks):
            ask.restates = earlier

    judge = JudgedBy.ORGANISATION if restating else JudgedBy.EDITORIAL
    assessments, evidence = [], []
    # The earlier wording of a restated ask is judged through its restatement only.
    for ask in restating + asks[len(restating) :]:
        status = _weighted(rng, STATUS_WEIGHTS)
        if status == Status.NOT_ASSESSED:
            continue
        assessment = Assessment(
            ask=ask,
            status=status,
            judged_by=judge,
            rationale=chain.sentence(rng, min_words=8, max_words=30),
        )
        assessments.append(assessment)
        # Only realised or partly realised asks carry evidence (responses.rules).
        if status in HEARD:
            count = min(_weighted(rng, EVIDENCE_COUNT_WEIGHTS), len(recommendations))
            evidence += [
                Evidence(
                    assessment=assessment,
                    recommendation=recommendation,
                    quote=_quote(rng, recommendation.text),
                )
                for recommendation in rng.sample(recommendations, count)
            ]
    ask_themes = [
        (ask, theme)
        for ask in asks + restating
        for theme in rng.sample(themes, min(len(themes), _weighted(rng, THEME_COUNT_WEIGHTS)))
    ]
    return _OrganisationPlan(
        organisation=organisation,
        documents=documents,
        asks=asks,
        restating_asks=restating,
        assessments=assessments,
        evidence=evidence,
        ask_themes=ask_themes,
    )


def _asks(*, document: ResponseDocument, texts: list[str]) -> list[Ask]:
    return [
        Ask(document=document, position=position, text=text, title=_short_title(text))
        for position, text in enumerate(texts, start=1)
    ]


def _document(*, rng, chain, organisation, texts, kind, title, published) -> ResponseDocument:
    # Each ask sits in the text verbatim, between sentences of the document's own.
    parts = [title, chain.sentence(rng, min_words=15, max_words=45)]
    for number, text in enumerate(texts, start=1):
        parts.append(f"{number}. {text}\n{chain.sentence(rng, min_words=10, max_words=40)}")
    return ResponseDocument(
        organisation=organisation,
        title=title[:300],
        kind=kind,
        published=published,
        published_precision="month",
        text="\n\n".join(parts),
    )


def _quote(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    length = min(len(words), rng.randint(4, 12))
    start = rng.randint(0, len(words) - length)
    return " ".join(words[start : start + length])


def _keys(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


def _delete(cursor, model, column: str, keys: list[int]) -> int:
    """Delete the rows of `model` whose `column` is one of `keys`, in one statement.

    One statement a table, as the stored counts' triggers recount what each statement
    touched: in batches, each batch would recount every recommendation and organisation
    the corpus shares between them again. The keys are one array parameter, however
    many they are."""
    table, column = _quoted_name(model._meta.db_table), _quoted_name(column)
    # bigint[], the keys' type: a filter by an array of another type is no hash lookup
    # but a scan of the whole array for every row (see StoredCounts's KEYS).
    cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s::bigint[])", [keys])
    return cursor.rowcount


def clear() -> dict[str, int]:
    """Remove every synthetic row, all or nothing, and nothing else.

    Refuses (raising SyntheticCorpusError) if a real assessment cites a synthetic
    recommendation as evidence, since removing it would change a real judgement, or if
    a government assessment judges a synthetic ask.
    """
    # Keys first, then deletes by key: a delete through a subquery can be planned, under
    # statistics that say the tables are empty, as the subquery run again for every row
    # (README, "Exports under wrong statistics"), minutes for a few thousand rows.
    organisation_ids = _keys(Organisation.objects.filter(synthetic=True))
    ask_ids = _keys(Ask.objects.filter(document__organisation__synthetic=True))
    assessment_ids = _keys(Assessment.objects.filter(ask__document__organisation__synthetic=True))
    if GovernmentAssessment.objects.filter(ask__document__organisation__synthetic=True).exists():
        raise SyntheticCorpusError(
            "A government assessment judges a synthetic ask; "
            "remove it before clearing the synthetic corpus."
        )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # History of synthetic judgements (if anyone edited one) goes with them.
            _delete(cursor, Evidence.history.model, "assessment_id", assessment_ids)
            _delete(cursor, Assessment.history.model, "ask_id", ask_ids)
            # Notes on synthetic documents go, as deleting the documents would take them.
            OrganisationNote.objects.filter(document__organisation__synthetic=True).delete()
            # Documents first (foreign keys are checked at commit): the triggers find an
            # ask's organisation through its document, so the documents' statement
            # recounts every synthetic organisation and cited recommendation once, from
            # no rows, and the statements after it find no count left to change but the
            # recommendations' (their evidence gone). Every table goes in one statement,
            # where deleting organisations would delete their rows a hundred at a time.
            _delete(cursor, ResponseDocument, "organisation_id", organisation_ids)
            removed = {"organisations": _delete(cursor, Organisation, "id", organisation_ids)}
            # Synthetic judgements were inserted without history; removing them by
            # statement writes none either, instead of one history row per judgement.
            removed["evidence"] = _delete(cursor, Evidence, "assessment_id", assessment_ids)
            removed["assessments"] = _delete(cursor, Assessment, "id", assessment_ids)
            _delete(cursor, Ask.themes.through, "ask_id", ask_ids)
            # A real ask that restated a synthetic one loses the link (`on_delete`).
            cursor.execute(
                f"UPDATE {_quoted_name(Ask._meta.db_table)} SET restates_id = NULL "
                "WHERE restates_id = ANY(%s::bigint[]) AND NOT id = ANY(%s::bigint[])",
                [ask_ids, ask_ids],
            )
            _delete(cursor, Ask, "id", ask_ids)
            for name, queryset in (
                ("recommendations", Recommendation.objects.filter(synthetic=True)),
                ("chapters", Chapter.objects.filter(report__synthetic=True)),
                ("reports", Report.objects.filter(synthetic=True)),
            ):
                removed[name] = queryset.delete()[1].get(queryset.model._meta.label, 0)
    except ProtectedError as error:
        raise SyntheticCorpusError(
            "A real assessment cites a synthetic recommendation as evidence; "
            "remove that evidence before clearing the synthetic corpus."
        ) from error
    return removed
