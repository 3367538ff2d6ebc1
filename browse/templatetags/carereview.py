"""Small pieces of markup that many pages share: status tags, marked quotes, navigation."""

import datetime
from urllib.parse import urlsplit

from django import template
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from recommendations.models import Stage, StageStatus
from responses.models import Status

from ..charts import segment_class
from ..highlighting import mark_quotes

register = template.Library()

# The service navigation: label, URL name, and the pages that belong to the section.
SECTIONS = [
    ("Overview", "home", {"home"}),
    ("Organisations", "organisations", {"organisations", "organisation", "document"}),
    ("Recommendations", "recommendations", {"recommendations", "recommendation"}),
    ("What happened next", "what_happened", {"what_happened"}),
    ("Themes", "themes", {"themes", "theme"}),
    ("Search", "search", {"search"}),
]


@register.simple_tag
def status_tag(status: str, government: bool = False):
    """The status in words and in its colour; with `government`, in the words of a
    judgement of the Government's response ("taken up")."""
    status = Status(status)
    label = status.government_label.split(":")[0] if government else status.tag_label
    return format_html(
        '<strong class="govuk-tag govuk-tag--{} app-status">{}</strong>',
        status.tag_colour,
        label,
    )


@register.simple_tag
def stage_status_tag(status: str | None, stage: str = "", explained: bool = False):
    """What the Government did, in words and in the status's colour; with no status, the
    gap that a `stage` with none on record leaves (`Stage.none_found`), in grey. With
    `explained`, the status's meaning follows the tag."""
    if not status:
        # Longer than a status's tag: it may wrap.
        return format_html(
            '<strong class="govuk-tag govuk-tag--grey app-status app-status--gap">{}</strong>',
            Stage(stage).none_found,
        )
    status = StageStatus(status)
    tag = format_html(
        '<strong class="govuk-tag govuk-tag--{} app-status">{}</strong>',
        status.tag_colour,
        status.tag_label,
    )
    if explained:
        return format_html('{} <span class="app-meta">({})</span>', tag, status.meaning)
    return tag


@register.simple_tag
def marked(text: str, quote: str, around: int = 0):
    """`text` with `quote` in a <mark>. With `around`, only about that many characters
    either side of the quote are kept, cut between words and shown with an ellipsis."""
    segments = mark_quotes(text=text, quotes=[(quote, True)])
    if around and any(segment.marked for segment in segments):
        start = text.find(quote)
        stop = start + len(quote)
        begin, end = max(0, start - around), min(len(text), stop + around)
        # Cut between words, never inside one.
        if begin and (space := text.find(" ", begin, start)) >= 0:
            begin = space + 1
        if end < len(text) and (space := text.rfind(" ", stop, end)) >= 0:
            end = space
        prefix = "…" if begin else ""
        suffix = "…" if end < len(text) else ""
        segments = mark_quotes(text=text[begin:end], quotes=[(quote, True)])
    else:
        prefix = suffix = ""
    body = format_html_join(
        "",
        "{}",
        ((format_html("<mark>{}</mark>", s.text) if s.marked else s.text,) for s in segments),
    )
    return format_html("{}{}{}", prefix, body, suffix)


@register.filter
def duration(value: datetime.timedelta) -> str:
    """A length of time in words, to the minute: "1 hour", "1 hour 30 minutes"."""
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}{pluralize(n)}" for n, unit in ((hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts) or "less than a minute"


@register.filter
def domain(url: str) -> str:
    """The host a source URL points at, for a short link text."""
    return urlsplit(url).netloc.removeprefix("www.") or url


@register.inclusion_tag("includes/service_navigation.html", takes_context=True)
def service_navigation(context):
    match = getattr(context.get("request"), "resolver_match", None)
    current = match.url_name if match else None
    return {
        "items": [
            {"label": label, "url_name": url_name, "active": current in names}
            for label, url_name, names in SECTIONS
        ]
    }


@register.simple_tag
def status_legend():
    """The colours of the status charts, in words, for pages whose charts are compact."""
    items = format_html_join(
        "",
        # A drawn swatch, not a style attribute: the Content-Security-Policy allows none.
        '<li><svg class="app-legend__swatch" viewBox="0 0 16 16" aria-hidden="true">'
        '<rect width="16" height="16" fill="{}" class="{}"/></svg>{}</li>',
        (
            (status.colour, segment_class(place), status.short_label)
            for place, status in enumerate(Status, start=1)
        ),
    )
    return format_html('<ul class="app-legend" aria-label="Chart colours">{}</ul>', items)


@register.inclusion_tag("browse/includes/filter_select.html")
def filter_select(form, name: str, items=None, value: str = "pk", truncate: int = 0):
    """A labelled select for the filter `name` of `form`, with its current value chosen.

    The options are the field's own choices or, given `items` (themes, chapters,
    documents), an "Any …" option then one per item: its `value` attribute, its name."""
    field = form[name]
    if items is None:
        options = field.field.choices
    else:
        options = [("", f"Any {field.label.lower()}")]
        options += [(getattr(item, value), str(item)) for item in items]
    current = str(form.values.get(name, ""))
    return {
        "id": f"filter-{name.replace('_', '-')}",
        "name": name,
        "label": field.label,
        "options": [
            (
                str(option),
                Truncator(text).chars(truncate) if truncate else text,
                str(option) == current,
            )
            for option, text in options
        ],
    }


@register.simple_tag(takes_context=True)
def chart_downloads(context, chart, name: str, of: str = ""):
    """Links beside `chart` to download it as an SVG file and the numbers it draws as
    CSV (`browse.views.chart_svg`, `chart_csv`), with the page's query string, so that the
    page's own chart, computed once for both, is the one downloaded. `of` names the
    organisation of an organisation's chart."""
    args = [name, of] if of else [name]
    query = context["request"].GET.urlencode()
    suffix = f"?{query}" if query else ""
    return format_html(
        '<p class="govuk-body-s app-chart-downloads">'
        '<a class="govuk-link" href="{}{}" download>Download as SVG'
        '<span class="govuk-visually-hidden">: <bdi>{}</bdi></span></a> · '
        '<a class="govuk-link" href="{}{}" download>Its data as CSV'
        '<span class="govuk-visually-hidden">: <bdi>{}</bdi></span></a></p>',
        reverse("chart_svg", args=args),
        suffix,
        chart.title,
        reverse("chart_csv", args=args),
        suffix,
        chart.title,
    )


@register.simple_tag
def filters_in_words(form, **items) -> str:
    """The filters in force on `form` in words, for a page's title and its printed copy:
    "status: Absent; theme: Family Help". A filter given by a slug, a number or an id is
    named by the item of `items[name]` (themes, chapters, documents) it picks, as its
    select shows it."""
    parts = []
    for name, value in form.values.items():
        field = form[name]
        choices = dict(getattr(field.field, "choices", ()))
        words = choices.get(str(value))
        if words is None:
            # By slug, else number, else id: a chapter's number is not another's id.
            named = (
                str(item)
                for key in ("slug", "number", "pk")
                for item in items.get(name, ())
                if str(getattr(item, key, "")) == str(value)
            )
            words = next(named, str(value))
        parts.append(f"{field.label.lower()}: {words}")
    return "; ".join(parts)


@register.inclusion_tag("includes/print_button.html")
def print_button():
    """A "Print this page" button, for beside a page's exports: only a script can work it,
    so it shows only where static/js/carereview.js runs."""
    return {}


class _CaptureNode(template.Node):
    def __init__(self, nodelist, name: str):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        context[self.name] = self.nodelist.render(context)
        return ""


@register.tag
def capture(parser, token):
    """`{% capture name %}…{% endcapture %}`: what it holds, rendered once into `name`, for
    what base.html writes in more than one place (a page's title and description: in
    `<title>`, the description and the `og:` tags). Blocks inside it are the page's."""
    try:
        _, name = token.split_contents()
    except ValueError:
        raise template.TemplateSyntaxError("capture takes one name") from None
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return _CaptureNode(nodelist, name)
