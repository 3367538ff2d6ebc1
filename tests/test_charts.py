"""Status charts: inline SVG whose numbers can be read without seeing the colours."""

import re

from browse.charts import chain_bars, status_bars, status_summary


def test_the_summary_says_every_nonzero_count_in_words_best_first():
    counts = {"absent": 4, "realised": 2, "partly": 7, "unclear": 0, "not_assessed": 1}
    assert status_summary(counts) == "2 realised, 7 partly realised, 4 absent, 1 not assessed"
    assert status_summary({}) == "no asks"


def test_a_chart_is_an_image_with_its_numbers_in_its_text_alternative_and_on_the_bars():
    chart = status_bars(
        rows=[
            ("Together Trust", {"realised": 2, "partly": 7, "absent": 4}),
            ("Become", {"realised": 4, "absent": 2}),
        ],
        title="Asks by organisation",
    )
    assert 'role="img"' in chart.svg
    label = re.search(r'aria-label="([^"]+)"', chart.svg).group(1)
    # Each name sits between Unicode's invisible isolate marks (FSI, PDI).
    assert "\u2068Together Trust\u2069: 2 realised, 7 partly realised, 4 absent" in label
    assert "\u2068Become\u2069: 4 realised, 2 absent" in label
    numbers = re.findall(r'class="app-chart__number">(\d+)<', chart.svg)
    assert sorted(map(int, numbers)) == [2, 2, 4, 4, 7]
    for word in ("realised", "partly realised", "absent", "unclear", "not assessed"):
        assert f">{word}</text>" in chart.svg


def test_bars_share_one_scale_so_a_longer_bar_means_more_asks():
    chart = status_bars(rows=[("Large", {"absent": 10}), ("Small", {"absent": 5})], title="t")
    widths = [
        float(w)
        for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="28"', chart.svg)
    ]
    assert widths[0] == 2 * widths[1]


def test_labels_are_escaped():
    chart = status_bars(rows=[("<script>", {"realised": 1})], title="<b>")
    assert "<script>" not in chart.svg and "&lt;script&gt;" in chart.svg


def test_a_compact_chart_leaves_the_legend_to_the_page_but_keeps_its_numbers():
    chart = status_bars(
        rows=[("", {"realised": 1, "absent": 3})], title="t", labelled=False, compact=True
    )
    assert ">absent</text>" not in chart.svg
    assert re.findall(r'class="app-chart__number">(\d+)<', chart.svg) == ["1", "3"]
    assert "1 realised, 3 absent" in chart.text


def test_a_chain_draws_each_step_to_the_first_ones_scale_and_says_every_number():
    chain = chain_bars(steps=[("Asked", 20), ("Recommended", 10), ("<b>", 0)], title="Chain")
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', chain.svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert chain.text == "Asked: 20; Recommended: 10; <b>: 0"
    assert "<b>" not in chain.svg and 'role="img"' in chain.svg
