"""The page's HTML pieces: escaping, a panel, a chart panel or its "no data" box, a table, and `Page`.

`Page` collects the page's parts in order together with the ids of the charts drawn and the keys of the
panels shown as "no data" (what `write_dashboard` reports).
"""

from __future__ import annotations

import html


def esc(text) -> str:
    return html.escape(str(text))


def no_data_html(t: dict[str, str], sources: str) -> str:
    return (
        f'<div class="no-data"><strong>{esc(t["no_data"])}</strong>'
        f"<small>{esc(t['no_data_detail'])}: {esc(sources)}</small></div>"
    )


def table_html(header: list[str], rows: list[list[str]], cls: list[str] | None = None) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{(cls or [""] * len(r))[i]}">{esc(v)}</td>' for i, v in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def chart_html(fig, div_id: str) -> str:
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]},
    )


class Page:
    def __init__(self, t: dict[str, str]):
        self.t = t
        self.parts: list[str] = []
        self.charts: list[str] = []
        self.no_data: list[str] = []

    def section(self, title: str) -> None:
        self.parts.append(f"<h2>{esc(title)}</h2>")

    def panel(self, key: str, title: str, body: str, wide: bool = False) -> str:
        return f'<section class="panel{" wide" if wide else ""}" data-panel="{key}"><h3>{esc(title)}</h3>{body}</section>'

    def chart(self, key: str, title: str, fig, sources: str, wide: bool = False) -> str:
        if fig is None:
            self.no_data.append(key)
            return self.panel(key, title, no_data_html(self.t, sources), wide)
        div_id = f"chart-{key.replace('_', '-')}"
        self.charts.append(div_id)
        return self.panel(key, title, f'<div class="chart">{chart_html(fig, div_id)}</div>', wide)

    def grid(self, panels: list[str]) -> None:
        self.parts.append('<div class="grid">' + "".join(panels) + "</div>")
