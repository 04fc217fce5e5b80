"""The quarantine report: what a person needs to fix a rejected file, next to the file."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.extracts.validate import FileValidation

MAX_LISTED = 200
# a reason is shown whole up to this length: one about the whole file (an Excel reader that ran out of its
# memory, a missing column with the headers found) says what to do at its end; other cells are cut at 120
REASON_CHARS = 600


def _md_cell(value, limit: int = 120) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:limit]


def render_report(validation: FileValidation, moved_to: Path) -> str:
    errors = validation.errors
    detection = validation.detection
    lines = [
        f"# Rejected: {validation.path.name}",
        "",
        f"- Kind: **{validation.kind or 'unrecognised'}**"
        + (f" (detected by {detection.method}: {detection.reason})" if detection else ""),
        f"- Errors: **{len(errors)}** (every one is in `{moved_to.name}.errors.csv`)",
        f"- Encoding: {validation.encoding or 'n/a'}; total/subtotal rows dropped: {validation.total_rows_dropped};"
        f" blank rows dropped: {validation.blank_rows_dropped}",
        "- Nothing from this file was loaded. Fix the file (or the header map) and move it back into the inbox.",
        "",
    ]
    if not errors.empty:
        summary = errors.groupby(["column", "reason"], dropna=False).size().reset_index(name="rows")
        lines += ["## Errors by column and reason", "", "| column | reason | rows |", "|---|---|---|"]
        for r in summary.itertuples(index=False):
            lines.append(f"| {_md_cell(r.column)} | {_md_cell(r.reason, REASON_CHARS)} | {r.rows} |")
        lines += [
            "",
            f"## First {min(MAX_LISTED, len(errors))} errors",
            "",
            "| sheet | row | column | column in file | value | reason |",
            "|---|---|---|---|---|---|",
        ]
        for r in errors.head(MAX_LISTED).itertuples(index=False):
            row = "" if r.row is None or r.row != r.row else int(r.row)
            lines.append(
                f"| {_md_cell(r.sheet)} | {row} | {_md_cell(r.column)} | {_md_cell(r.file_column)} | "
                f"{_md_cell(r.value)} | {_md_cell(r.reason, REASON_CHARS)} |"
            )
        lines.append("")
    for sheet, mapping in validation.mappings:
        lines += [
            f"## Header mapping applied{f' (sheet {sheet})' if sheet else ''}",
            "",
            "| column in file | canonical column |",
            "|---|---|",
        ]
        lines += [f"| {_md_cell(orig)} | {canon} |" for orig, canon in mapping.columns.items()]
        lines += [f"| {_md_cell(orig)} | (not used) |" for orig in mapping.unmapped]
        if mapping.missing_required:
            lines.append(f"\nMissing required columns: {', '.join(mapping.missing_required)}")
        if mapping.conflicts:
            lines += ["", *[f"- {c}" for c in mapping.conflicts]]
        lines.append("")
    if validation.notes:
        lines += ["## Notes", "", *[f"- {n}" for n in validation.notes], ""]
    if validation.skipped_sheets:
        lines += ["## Sheets skipped", "", *[f"- {s}" for s in validation.skipped_sheets], ""]
    lines += [
        "To add an ERP column name, copy `pipelines/ingest/extracts/header_map.yml`'s shape into "
        "`$STOCKFLOW_HOME/header_map.yml` (or STOCKFLOW_HEADER_MAP) and list the name under the kind's column.",
        "",
    ]
    return "\n".join(lines)


def write_report(validation: FileValidation, moved_to: Path) -> tuple[Path, Path]:
    """Write `<file>.report.md` and `<file>.errors.csv` (UTF-8 with BOM, for Excel) beside the file."""
    report = moved_to.with_name(moved_to.name + ".report.md")
    errors_csv = moved_to.with_name(moved_to.name + ".errors.csv")
    tmp = report.with_name(report.name + ".tmp")
    tmp.write_text(render_report(validation, moved_to), encoding="utf-8")
    tmp.replace(report)
    tmp = errors_csv.with_name(errors_csv.name + ".tmp")
    validation.errors.to_csv(tmp, index=False, encoding="utf-8-sig")
    tmp.replace(errors_csv)
    return report, errors_csv
