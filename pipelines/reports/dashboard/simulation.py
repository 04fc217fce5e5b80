"""The policy simulation panels: the proposed policy replayed on history against the recorded history
(and the current rule when replayed), the equal-fill headline, and the fill rate by warehouse and ABC class."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.formatting import fmt_number, fmt_percent
from pipelines.reports.dashboard.layout import layout
from pipelines.reports.dashboard.markup import Page, esc, no_data_html

SIM_METRICS = [
    ("fill_rate", "fill_rate", "percent", True),
    ("stockout_days", "stockout_days", "number", False),
    ("avg_inventory_value", "avg_inventory_value", "number", False),
    ("turnover", "turnover", "number2", True),
    ("dio_days", "dio", "number1", False),
]


def simulation_chart(sim: pd.DataFrame, t: dict[str, str]):
    import plotly.graph_objects as go

    groups = sim[sim["level"] != "total"]
    if groups.empty:
        return None
    fig = go.Figure()
    for scenario, color in (("history", "#9ca3af"), ("proposed", "#2563eb"), ("current_rule", "#f59e0b")):
        rows = groups[groups["scenario"] == scenario]
        if rows.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=rows["group"].astype(str),
                y=rows["fill_rate"],
                name=t[scenario],
                marker_color=color,
                text=[fmt_percent(v) for v in rows["fill_rate"]],
                textposition="outside",
                hovertemplate=f"%{{x}}<br>{t[scenario]}: %{{y:.1%}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.12])
    return layout(fig)


def _show(v, kind: str) -> str:
    if kind == "percent":
        return fmt_percent(v)
    return fmt_number(v, {"number": 0, "number1": 1, "number2": 2}[kind])


def _metric_rows(total: pd.DataFrame, t: dict[str, str]) -> tuple[list[list[str]], list[list[str]]]:
    """One row per metric: history, the current rule (when replayed), proposed, change; and cell classes."""
    rows, classes = [], []
    has_rule = "current_rule" in total.index
    for column, key, kind, higher_better in SIM_METRICS:
        h, p = total.loc["history", column], total.loc["proposed", column]
        diff = float(p) - float(h)
        change = (
            f"{diff * 100:+.1f} pp"
            if kind == "percent"
            else ("+" if diff >= 0 else "−") + _show(abs(diff), kind)
        )
        rule_cell = [_show(total.loc["current_rule", column], kind)] if has_rule else []
        rows.append([t[key], _show(h, kind), *rule_cell, _show(p, kind), change])
        tone = "" if abs(diff) < 1e-12 else ("good" if (diff > 0) == higher_better else "bad")
        classes.append(["", "", *([""] if has_rule else []), "", tone])
    return rows, classes


def _window_note(sim: pd.DataFrame, t: dict[str, str]) -> str:
    if "window_days" in sim and "window_start" in sim:
        start = pd.Timestamp(sim["window_start"].iloc[0]).date().isoformat()
        return f"<p class='meta'>{esc(t['sim_window'])} {int(sim['window_days'].iloc[0])} {esc(t['sim_from'])} {start}</p>"
    return ""


def _rule_headline(total: pd.DataFrame, t: dict[str, str]) -> str:
    """The proposed policy's stock at the current rule's fill, against the rule's (empty without both)."""
    at_key = next(
        (k for k in ("proposed_at_rule_fill", "proposed_at_rule_fill_at_most") if k in total.index), None
    )
    if "current_rule" not in total.index or at_key is None:
        return ""
    at = total.loc[at_key]
    rule_value = float(total.loc["current_rule", "avg_inventory_value"])
    plan_value = float(at["avg_inventory_value"])
    fill = fmt_percent(total.loc["current_rule", "fill_rate"])
    if at_key.endswith("at_most") and math.isfinite(plan_value) and 0 < plan_value < rule_value:
        text = t["rule_at_most"].format(
            fill=fill,
            pct=f"{1 - plan_value / rule_value:.0%}",
            plan=fmt_number(plan_value, 0),
            rule=fmt_number(rule_value, 0),
        )
    elif not at_key.endswith("at_most") and math.isfinite(plan_value) and rule_value > 0:
        text = t["rule_equal_fill"].format(
            fill=fill,
            pct=f"{abs(1 - plan_value / rule_value):.0%}",
            word=t["less"] if plan_value <= rule_value else t["more"],
            plan=fmt_number(plan_value, 0),
            rule=fmt_number(rule_value, 0),
        )
    else:
        text = t["rule_not_traced"].format(fill=fill)
    return f"<p class='headline' data-sim='vs-rule'>{esc(text)}</p>"


def _metrics_table(total: pd.DataFrame, t: dict[str, str]) -> str:
    rows, classes = _metric_rows(total, t)
    has_rule = "current_rule" in total.index
    head = [
        t["metric"],
        t["history"],
        *([t["current_rule"]] if has_rule else []),
        t["proposed"],
        t["change"],
    ]
    body = "".join(
        "<tr>" + "".join(f'<td class="{c}">{esc(v)}</td>' for v, c in zip(r, cl, strict=True)) + "</tr>"
        for r, cl in zip(rows, classes, strict=True)
    )
    return (
        '<table class="data" data-table="simulation"><thead><tr>'
        + "".join(f"<th>{esc(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{body}</tbody></table>"
    )


def simulation_panel(page: Page, data: DashboardData, t: dict[str, str]) -> None:
    page.section(t["sec_simulation"])
    sim = data.simulation
    total = sim[sim["level"] == "total"].set_index("scenario") if not sim.empty else pd.DataFrame()
    if total.empty or not {"history", "proposed"} <= set(total.index):
        page.no_data.append("simulation")
        page.grid(
            [
                page.panel(
                    "simulation", t["sec_simulation"], no_data_html(t, "plans.policy_simulation"), wide=True
                )
            ]
        )
        return
    body = _window_note(sim, t) + _rule_headline(total, t) + _metrics_table(total, t)
    page.grid(
        [
            page.panel("simulation", t["sec_simulation"], body),
            page.chart(
                "simulation_groups",
                t["sim_fill_by_group"],
                simulation_chart(sim, t),
                "plans.policy_simulation",
            ),
        ]
    )
