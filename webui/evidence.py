"""The Evidence pages (admins and analysts): a subnet's monthly figures at this trust and, for a
shared subnet, at every trust taking part, as tables, charts and CSV/JSON exports.

Every figure here comes from `actors/evidence.py` already suppressed; this module only lays
them out, so the page and the exports show the very same values. Partner trusts are asked
through the `PartnerFigures` the node plugs in; one that does not answer is named.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from actors import evidence, survey
from actors.distribution import EDGES, describe
from actors.evidence_method import METHOD
from actors.suppression import HIDDEN, Shown
from webui.charts import bar_chart
from webui.context import WEB
from webui.routes import page, require_person

LABELS = {
    "invited": "Invited",
    "activated": "Activated",
    "active": "Active members",
    "came_once": "Came only once",
    "activity": "Activity",
    "activity_in_hours": "Activity in hours",
    "activity_out_of_hours": "Activity out of hours",
    "posts": "Posts",
    "first_replies_peer_in_hours": "First replies by a peer, in hours",
    "first_replies_peer_out_of_hours": "First replies by a peer, out of hours",
    "first_replies_staff_in_hours": "First replies by staff, in hours",
    "first_replies_staff_out_of_hours": "First replies by staff, out of hours",
    "moderated": "Moderation decisions",
    "alerts": "Alerts",
    "alerts_acknowledged": "Alerts acknowledged",
    "invitation_to_first_visit_hours": "Invitation to first visit (median hours)",
    "first_reply_peer_in_hours_hours": "To a peer's first reply, in hours (median hours)",
    "first_reply_peer_out_of_hours_hours": "To a peer's first reply, out of hours (median hours)",
    "first_reply_staff_in_hours_hours": "To staff's first reply, in hours (median hours)",
    "first_reply_staff_out_of_hours_hours": "To staff's first reply, out of hours (median hours)",
    "moderation_queue_hours": "Time in the moderation queue (median hours)",
    "alert_acknowledge_hours": "Time to acknowledge an alert (median hours)",
    "came_once_share": "Share who came only once",
    "out_of_hours_share": "Share of activity out of hours",
    "alerts_per_1000_posts": "Alerts per 1,000 posts",
}
SECTIONS: Sequence[tuple[str, str, Sequence[str]]] = (
    (
        "people",
        "Invitations and members",
        ("invited", "activated", "active", "came_once", "came_once_share"),
    ),
    (
        "out-of-hours",
        "Out of hours",
        ("activity", "activity_out_of_hours", "out_of_hours_share"),
    ),
    (
        "joining",
        "Joining",
        ("invitation_to_first_visit_hours",),
    ),
    (
        "replies",
        "First replies",
        (
            "first_replies_peer_in_hours",
            "first_reply_peer_in_hours_hours",
            "first_replies_peer_out_of_hours",
            "first_reply_peer_out_of_hours_hours",
            "first_replies_staff_in_hours",
            "first_reply_staff_in_hours_hours",
            "first_replies_staff_out_of_hours",
            "first_reply_staff_out_of_hours_hours",
        ),
    ),
    (
        "safety",
        "Moderation and alerts",
        (
            "moderated",
            "moderation_queue_hours",
            "posts",
            "alerts",
            "alerts_per_1000_posts",
            "alerts_acknowledged",
            "alert_acknowledge_hours",
        ),
    ),
)
NETWORK = "All trusts"


def _count(value: Shown) -> str:
    return str(value)


def _shares(counts: dict[str, Shown]) -> dict[str, str]:
    """Each share as shown: `*` when a count behind it is hidden, `–` when nothing to divide."""
    shown = {}
    for name, value in evidence.shares(counts).items():
        numerator, denominator, per = evidence.SHARES[name]
        if HIDDEN in (counts[numerator], counts[denominator]):
            shown[name] = HIDDEN
        elif value is None:
            shown[name] = "–"
        else:
            shown[name] = f"{value * 100:.0f}%" if per == 1 else f"{value:.1f}"
    return shown


def month_values(month: evidence.ShownMonth) -> dict[str, str]:
    """Every figure of one trust's month as the page and the CSV show it."""
    values = {name: _count(value) for name, value in month.counts.items()}
    values |= {name: str(value) for name, value in month.medians.items()}
    return values | _shares(dict(month.counts))


def distribution_values(month: evidence.ShownMonth) -> dict[str, str]:
    """A trust's distributions as the CSV shows them: one figure per median and edge."""
    found: dict[str, str] = {}
    for name, cells in (month.distributions or {}).items():
        cells = [cells] * len(EDGES) if isinstance(cells, str) else cells
        for edge, cell in zip(EDGES, cells, strict=True):
            found[f"{name}_at_or_under_{edge:g}"] = str(cell)
    return found


def median_text(found: evidence.NetworkMedian) -> str:
    """A pooled median as shown: its interval, `*` when the trusts' values were too few to
    pool, `–` when there were none."""
    if found.found is not None:
        return describe(found.found)
    return HIDDEN if found.too_few else "–"


def network_values(
    sums: dict[str, tuple[int, bool]], medians: dict[str, evidence.NetworkMedian]
) -> dict[str, str]:
    """The network's sums (">= n" when a trust's part was hidden); shares only from whole
    sums; medians pooled from the trusts' distributions."""
    values = {
        name: f"≥ {total}" if partial else str(total) for name, (total, partial) in sums.items()
    }
    whole: dict[str, Shown] = {
        name: HIDDEN if partial else total for name, (total, partial) in sums.items()
    }
    values |= _shares(whole)
    for name, found in medians.items():
        values[name] = median_text(found)
    return values


@dataclass(frozen=True)
class MedianRow:
    name: str
    text: str
    values: str  # how many values were pooled (a sum of rounded counts)
    pooled: str
    left_out: str


def median_rows(medians: dict[str, evidence.NetworkMedian]) -> list[MedianRow]:
    """The network medians table: each pooled median, from which trusts, who is left out."""
    rows = []
    for name, found in medians.items():
        left_out = [f"{t} (too few values)" for t in found.too_few]
        left_out += [f"{t} (sent no distributions)" for t in found.none_sent]
        rows.append(
            MedianRow(
                name,
                median_text(found),
                "–" if found.found is None else str(found.found.total),
                ", ".join(found.pooled) or "–",
                ", ".join(left_out) or "–",
            )
        )
    return rows


@dataclass(frozen=True)
class FigureTable:
    key: str
    title: str
    columns: Sequence[str]  # figure names
    rows: Sequence[tuple[str, Sequence[str]]]  # (trust, a value per column)


def tables_for(pooled: evidence.Pooled, index: int) -> list[FigureTable]:
    rows = [(t.trust, month_values(t.months[index])) for t in pooled.trusts]
    if len(pooled.trusts) > 1:
        rows.append((NETWORK, network_values(pooled.network[index], pooled.medians[index])))
    return [
        FigureTable(key, title, names, [(trust, [v[n] for n in names]) for trust, v in rows])
        for key, title, names in SECTIONS
    ]


def _number(value: Shown) -> float | None:
    return None if isinstance(value, str) else float(value)


def charts_for(pooled: evidence.Pooled) -> list[dict[str, Any]]:
    """The trend charts over the months shown, each with the table of its figures."""
    labels = [str(m) for m in pooled.plan.months]
    active = [(t.trust, [_number(m.counts["active"]) for m in t.months]) for t in pooled.trusts]
    out_share = []
    for t in pooled.trusts:
        shares = [evidence.shares(m.counts)["out_of_hours_share"] for m in t.months]
        out_share.append((t.trust, [None if s is None else round(s * 100) for s in shares]))
    charts = []
    for key, title, unit, series in (
        ("chart-active", "Active members by month", "people", active),
        ("chart-out-of-hours", "Share of activity out of hours by month", "per cent", out_share),
    ):
        trusts = ", ".join(name for name, _ in series)
        description = (
            f"Bar chart of {title.lower()} ({unit}), {labels[0]} to {labels[-1]}, for {trusts}. "
            "Hidden figures (*) have no bar. The table after the chart gives every value."
        )
        table_rows = [
            (name, [HIDDEN if v is None else f"{v:g}" for v in values]) for name, values in series
        ]
        charts.append(
            {
                "key": key,
                "title": title,
                "svg": bar_chart(key, title, description, labels, series),
                "labels": labels,
                "rows": table_rows,
            }
        )
    return charts


def export_json(pooled: evidence.Pooled, generated: str) -> dict[str, Any]:
    return {
        "subnet": pooled.plan.subnet_uri,
        "name": pooled.plan.name,
        "generated": generated,
        "months": [str(m) for m in pooled.plan.months],
        "trusts": [
            {"trust": t.trust, "months": [m.as_json() for m in t.months]} for t in pooled.trusts
        ],
        "unanswered": list(pooled.unanswered),
        "network": [
            {
                "month": str(month),
                "counts": {
                    name: {"total": total, "partial": partial}
                    for name, (total, partial) in sums.items()
                },
            }
            for month, sums in zip(pooled.plan.months, pooled.network, strict=True)
        ],
        "network_medians": [
            {
                "month": str(month),
                "medians": {name: _median_json(found) for name, found in medians.items()},
            }
            for month, medians in zip(pooled.plan.months, pooled.medians, strict=True)
        ],
        "method": METHOD,
    }


def _median_json(found: evidence.NetworkMedian) -> dict[str, Any]:
    """A pooled median: above `over_hours` (None: from 0) and at or under `at_or_under_hours`
    (None: no upper edge); `values` the sum of the pooled trusts' rounded counts."""
    where = found.found
    return {
        "shown": median_text(found),
        "over_hours": None if where is None or where.low is None else EDGES[where.low],
        "at_or_under_hours": None if where is None or where.high is None else EDGES[where.high],
        "values": None if where is None else where.total,
        "pooled": list(found.pooled),
        "too_few": list(found.too_few),
        "none_sent": list(found.none_sent),
    }


def export_csv(pooled: evidence.Pooled) -> str:
    """Long format (trust, month, figure, value), the method note first as `#` lines."""
    out = io.StringIO()
    for line in METHOD.splitlines():
        out.write(f"# {line}\n".replace("# \n", "#\n"))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["subnet", "trust", "month", "figure", "value"])
    for t in pooled.trusts:
        for month in t.months:
            values = month_values(month) | distribution_values(month)
            for name, value in values.items():
                writer.writerow([pooled.plan.name, t.trust, month.month, name, value])
    if len(pooled.trusts) > 1:
        for period, sums, medians in zip(
            pooled.plan.months, pooled.network, pooled.medians, strict=True
        ):
            for name, value in network_values(sums, medians).items():
                writer.writerow([pooled.plan.name, NETWORK, str(period), name, value])
            for row in median_rows(medians):
                for figure, value in (
                    (f"{row.name}_pooled_from", row.pooled),
                    (f"{row.name}_left_out", row.left_out),
                ):
                    writer.writerow([pooled.plan.name, NETWORK, str(period), figure, value])
    return out.getvalue()


async def _pooled(request: web.Request) -> evidence.Pooled:
    person = require_person(request)
    ctx = request.app[WEB]
    evidence.require_reader(person)
    month_text = request.query.get("month", "")
    month = evidence.Month.parse(month_text) if month_text else evidence.Month.of(ctx.clock())
    async with ctx.db.transaction() as s:
        plan = await evidence.plan(
            s,
            ctx.ids,
            viewer=person,
            subnet_uri=request.query.get("id", ""),
            month=month,
            out_of_hours=ctx.out_of_hours,
            trust_name=ctx.trust_name,
        )
    answers = await ctx.partner_figures.gather(
        plan.asks, plan.subnet_uri, [str(m) for m in plan.months]
    )
    return evidence.pool(plan, answers)


async def index(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    evidence.require_reader(person)
    month_text = request.query.get("month", "")
    month = evidence.Month.parse(month_text) if month_text else evidence.Month.of(ctx.clock())
    async with ctx.db.transaction() as s:
        found = await evidence.subnets_with_evidence(s, ctx.ids)
        answers = await survey.results(s, ctx.survey, person, month)
    recent = evidence.months_to(evidence.Month.of(ctx.clock()), evidence.MAX_MONTHS)
    return page(
        request,
        "evidence_index.html",
        subnets=found,
        method=METHOD,
        survey=answers,
        scale=survey.SCALE,
        month=str(month),
        choices=[str(m) for m in reversed(recent)],
    )


async def subnet_page(request: web.Request) -> web.Response:
    pooled = await _pooled(request)
    ctx = request.app[WEB]
    recent = evidence.months_to(evidence.Month.of(ctx.clock()), evidence.MAX_MONTHS)
    return page(
        request,
        "evidence.html",
        pooled=pooled,
        month=str(pooled.plan.month),
        choices=[str(m) for m in reversed(recent)],
        tables=tables_for(pooled, len(pooled.plan.months) - 1),
        medians=median_rows(pooled.medians[-1]) if len(pooled.trusts) > 1 else [],
        older=sorted({t for m in pooled.medians[-1].values() for t in m.none_sent}),
        labels=LABELS,
        charts=charts_for(pooled),
        method=METHOD,
        query=request.query_string,
    )


async def export(request: web.Request) -> web.Response:
    pooled = await _pooled(request)
    ctx = request.app[WEB]
    name, suffix = f"evidence-{pooled.plan.month}", request.match_info["format"]
    if suffix == "json":
        document = export_json(pooled, ctx.clock().isoformat())
        body = json.dumps(document, ensure_ascii=False, indent=1)
        content_type = "application/json"
    else:
        body, content_type = export_csv(pooled), "text/csv"
    return web.Response(
        text=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'},
    )


def register(app: web.Application) -> None:
    app.router.add_get("/evidence", index)
    app.router.add_get("/evidence/subnet", subnet_page)
    app.router.add_get(r"/evidence/subnet.{format:csv|json}", export)
