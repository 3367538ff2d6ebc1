"""Evidence is marked where it occurs in a recommendation's text, the text left as it is."""

from browse.highlighting import mark_quotes
from browse.templatetags.carereview import marked


def test_segments_join_back_into_the_text_with_each_found_quote_marked():
    text = "Create Regional Care Co-operatives to run fostering and secure care."
    segments = mark_quotes(text=text, quotes=[("secure care", "b"), ("Regional Care", "a")])
    assert "".join(segment.text for segment in segments) == text
    assert [(s.text, s.marked) for s in segments if s.marked] == [
        ("Regional Care", "a"),
        ("secure care", "b"),
    ]


def test_a_quote_not_in_the_text_or_overlapping_an_earlier_one_is_not_marked():
    segments = mark_quotes(
        text="one two three", quotes=[("one two", 1), ("two three", 2), ("four", 3)]
    )
    assert [s.marked for s in segments if s.marked] == [1]


def test_marked_escapes_the_text_and_marks_the_quote():
    html = marked("Use <b> & keep lasting relationships.", "lasting relationships")
    assert html == "Use &lt;b&gt; &amp; keep <mark>lasting relationships</mark>."


def test_an_excerpt_is_cut_between_words_with_an_ellipsis():
    text = "alpha beta gamma delta QUOTE epsilon zeta eta theta"
    html = marked(text, "QUOTE", around=9)
    assert html == "…delta <mark>QUOTE</mark> epsilon…"
