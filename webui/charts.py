"""Charts drawn on the server as SVG with pygal, made fit for our pages.

pygal writes an inline `<script>` (its tooltips) and a `<style>` element, which the pages'
Content-Security-Policy (no inline script or style) would block and which we do not want: both
are removed (with pygal's comments and placeholder title), with every `style` and `id`
attribute (two charts on a page must not share ids), and the chart is coloured by
`static/sharon.css` instead. Each chart is one `role="img"` with
its own `<title>` and `<desc>`; the page puts a table of the same figures beside it, so
nothing is known only from the picture. A hidden figure (`*`) is drawn as no bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from markupsafe import Markup
from pygal.etree import etree

# pygal's own `desc` elements hold its tooltips' coordinates, read only by its script.
REMOVED_ELEMENTS = ("script", "style", "title", "defs", "desc")
REMOVED_ATTRIBUTES = ("style", "id")


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def bar_chart(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
) -> Markup:
    """An accessible bar chart; `key` makes its title and description ids unique on a page."""
    chart = pygal.Bar(
        js=[],
        disable_xml_declaration=True,
        no_prefix=True,
        explicit_size=False,
        legend_at_bottom=True,
        show_legend=len(series) > 1,
        width=640,
        height=320,
        margin=8,
        print_values=False,
        x_label_rotation=0,
        title=None,
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _accessible(chart, key, title, description)


def line_chart(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    scale: Sequence[int],
) -> Markup:
    """An accessible line chart of one series against a fixed `scale` (its y labels, e.g.
    1 to 5), the x axis labelled by `labels` (a few of them shown when there are many)."""
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        no_prefix=True,
        explicit_size=False,
        show_legend=False,
        width=640,
        height=280,
        margin=8,
        margin_right=40,  # room for the last x label, which pygal centres on its point
        print_values=False,
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major_count=min(len(labels), 6),
        range=(min(scale), max(scale)),
        y_labels=list(scale),
        title=None,
    )
    chart.x_labels = list(labels)
    chart.add(title, list(values))
    return _accessible(chart, key, title, description)


def _accessible(chart: pygal.graph.graph.Graph, key: str, title: str, description: str) -> Markup:
    """The chart's SVG without script, style, ids or pygal's own titles, as one image with our
    `<title>` and `<desc>`."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or _local(child.tag) in REMOVED_ELEMENTS:
                parent.remove(child)  # comments too (pygal's carry the date)
    for element in root.iter():
        for attribute in REMOVED_ATTRIBUTES:
            element.attrib.pop(attribute, None)
    root.set("class", "sharon-chart")
    root.set("role", "img")
    root.set("aria-labelledby", f"{key}-title")
    root.set("aria-describedby", f"{key}-desc")
    root.set("focusable", "false")
    title_element = etree.Element("title")
    title_element.set("id", f"{key}-title")
    title_element.text = title
    desc_element = etree.Element("desc")
    desc_element.set("id", f"{key}-desc")
    desc_element.text = description
    root.insert(0, desc_element)
    root.insert(0, title_element)
    return Markup(etree.tostring(root, encoding="unicode"))  # noqa: S704 — built from our values
