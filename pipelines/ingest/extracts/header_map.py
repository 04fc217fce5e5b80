"""The header map: how a label is normalised for matching, the :class:`HeaderMap` (per kind: file-name
keywords, header aliases, value aliases, the directions exported values name) and its loading from ``header_map.yml`` next to this module,
merged with a user's YAML file of the same shape (see :func:`load_header_map`), validated against the
extract contract. Pure Python: no Dagster, no DuckDB.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from pipelines.ingest.extracts.schema import KINDS, ExtractKind

HEADER_MAP_PATH = Path(__file__).with_name("header_map.yml")

# Whitespace, "_", "-" and "." separate words in labels; they are dropped so that "Order No",
# "order_no", "ORDER-NO" and "Order No." all read "orderno".
_SEPARATORS = re.compile(r"[\s_\-.]+")
# A trailing bracketed unit, e.g. "数量(件)", "amount[usd]", "单价【元】" (after normalisation).
_UNIT_SUFFIX = re.compile(r"^(.+?)[(\[【][^()\[\]【】]*[)\]】]$")
_SECTIONS = {"file_keywords", "columns", "values", "directions"}
_DIRECTIONS = {"in": 1, "out": -1}


def normalise_label(s: str) -> str:
    """Normalise a header label, keyword or enumerated value for matching.

    NFKC (full-width to half-width), strip, lower-case, drop a leading "*" (required-field marker
    of import templates) and a trailing ":", and remove whitespace, underscores, hyphens and dots.
    """
    text = unicodedata.normalize("NFKC", str(s)).strip().lower()
    text = text.lstrip("*").rstrip(":").strip()
    return _SEPARATORS.sub("", text)


def strip_unit(label: str) -> str | None:
    """The second-chance form of a normalised label without its trailing bracketed unit, or None."""
    match = _UNIT_SUFFIX.match(label)
    return match.group(1) if match else None


@dataclass(frozen=True)
class HeaderMap:
    """Per-kind file keywords, header aliases and value aliases, all matched after normalisation."""

    keywords: dict[str, tuple[str, ...]]  # kind -> file-name keywords as written
    aliases: dict[str, dict[str, str]]  # kind -> normalised alias -> canonical column
    ranks: dict[str, dict[str, int]]  # kind -> normalised alias -> position in its column's list
    values: dict[str, dict[str, dict[str, str]]]  # kind -> column -> normalised value -> canonical value
    # kind -> column -> normalised exported value -> +1 (names stock coming in, 盘盈) or -1 (going out, 盘亏)
    directions: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    sources: tuple[Path, ...] = field(default=())  # the YAML files merged, in order

    @cached_property
    def all_labels(self) -> frozenset[str]:
        """Every normalised header alias of every kind (the reader's header hints)."""
        return frozenset(alias for per_kind in self.aliases.values() for alias in per_kind)

    def lookup(self, kind: str, header: str) -> tuple[str, int, bool] | None:
        """(canonical column, alias rank, exact match?) for a header of a kind, or None."""
        aliases = self.aliases[kind]
        label = normalise_label(header)
        if label in aliases:
            return aliases[label], self.ranks[kind][label], True
        stripped = strip_unit(label)
        if stripped is not None and stripped in aliases:
            return aliases[stripped], self.ranks[kind][stripped], False
        if "/" in header:  # Odoo exports nested fields as "Order Lines/Product": try the last part
            return self.lookup(kind, header.rsplit("/", 1)[1])
        return None

    @cached_property
    def _normalised_keywords(self) -> dict[str, list[tuple[str, str]]]:
        return {
            kind: [(normalise_label(kw), kw) for kw in kws if normalise_label(kw)]
            for kind, kws in self.keywords.items()
        }

    def matching_keywords(self, text: str) -> list[tuple[str, str]]:
        """(kind, keyword) pairs for the longest keywords found in ``text``; several kinds = a tie."""
        target = normalise_label(text)
        best_len, best = 0, []
        for kind, keywords in self._normalised_keywords.items():
            hits = [(len(norm), kw) for norm, kw in keywords if norm in target]
            if not hits:
                continue
            length, keyword = max(hits, key=lambda hit: hit[0])
            if length > best_len:
                best_len, best = length, [(kind, keyword)]
            elif length == best_len:
                best.append((kind, keyword))
        return best

    def example_keywords(self, kind: str) -> list[str]:
        """A short list of keywords to suggest for a kind: its first English and first Chinese one."""
        keywords = self.keywords[kind]
        ascii_kw = next((kw for kw in keywords if kw.isascii()), None)
        other_kw = next((kw for kw in keywords if not kw.isascii()), None)
        return [kw for kw in (ascii_kw, other_kw) if kw]


# --------------------------------------------------------------------------------------------
# Loading


class _HeaderMapBuilder:
    """Accumulates one or more header-map YAML documents, validating them against the schema."""

    def __init__(self) -> None:
        self.keywords: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.columns: dict[str, dict[str, list[str]]] = {
            kind: {c: [] for c in spec.column_names} for kind, spec in KINDS.items()
        }
        self.owner: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        self.values: dict[str, dict[str, dict[str, str]]] = {kind: {} for kind in KINDS}
        self.directions: dict[str, dict[str, dict[str, int]]] = {kind: {} for kind in KINDS}
        self.sources: list[Path] = []

    def add(self, data: Any, path: Path, *, user: bool) -> None:
        """Merge one parsed document; ``user`` labels go first and override built-in ones."""
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: expected a mapping of extract kinds at the top level")
        for kind, spec in data.items():
            if kind not in KINDS:
                raise ValueError(f"{path}: unknown extract kind {kind!r}; expected one of {', '.join(KINDS)}")
            spec = spec or {}
            if not isinstance(spec, Mapping) or not set(spec) <= _SECTIONS:
                raise ValueError(f"{path}: {kind} must be a mapping with keys {', '.join(sorted(_SECTIONS))}")
            self._add_keywords(kind, spec.get("file_keywords") or [], path)
            self._add_columns(kind, spec.get("columns") or {}, path, user=user)
            self._add_values(kind, spec.get("values") or {}, path)
            self._add_directions(kind, spec.get("directions") or {}, path)
        self.sources.append(path)

    def _add_keywords(self, kind: str, keywords: Any, path: Path) -> None:
        for keyword in _text_list(keywords, path, f"{kind}.file_keywords"):
            if keyword not in self.keywords[kind]:
                self.keywords[kind].append(keyword)

    def _add_columns(self, kind: str, columns: Any, path: Path, *, user: bool) -> None:
        if not isinstance(columns, Mapping):
            raise ValueError(f"{path}: {kind}.columns must map canonical columns to lists of labels")
        schema_kind = KINDS[kind]
        seen: dict[str, str] = {}  # aliases of this document, to catch one label under two columns
        for canonical, labels in columns.items():
            _check_column(schema_kind, canonical, path)
            new = []
            for label in _text_list(labels, path, f"{kind}.columns.{canonical}"):
                alias = normalise_label(label)
                if seen.get(alias, canonical) != canonical:
                    raise ValueError(
                        f"{path}: label {label!r} of {kind} is listed under both {seen[alias]} and {canonical}"
                    )
                seen[alias] = canonical
                if alias and alias not in new:
                    new.append(alias)
            self._assign(kind, canonical, new, path, user=user)

    def _assign(self, kind: str, canonical: str, aliases: list[str], path: Path, *, user: bool) -> None:
        owner = self.owner[kind]
        for alias in aliases:
            previous = owner.get(alias)
            if previous is not None and previous != canonical and not user:
                raise ValueError(f"{path}: label {alias!r} of {kind} maps to both {previous} and {canonical}")
            if previous is not None:
                self.columns[kind][previous].remove(alias)
            owner[alias] = canonical
        current = self.columns[kind][canonical]
        self.columns[kind][canonical] = aliases + current if user else current + aliases

    def _add_values(self, kind: str, values: Any, path: Path) -> None:
        if not isinstance(values, Mapping):
            raise ValueError(f"{path}: {kind}.values must map columns to {{value: canonical value}}")
        schema_kind = KINDS[kind]
        for column, aliases in values.items():
            allowed = _check_column(schema_kind, column, path).allowed
            if not isinstance(aliases, Mapping):
                raise ValueError(f"{path}: {kind}.values.{column} must map exported values to canonical ones")
            for raw, target in aliases.items():
                source = _text(raw, path, f"{kind}.values.{column}")
                target = _text(target, path, f"{kind}.values.{column}")
                if allowed is not None and target not in allowed:
                    raise ValueError(
                        f"{path}: {kind}.values.{column} maps {source!r} to {target!r}, "
                        f"which is not one of {', '.join(allowed)}"
                    )
                self.values[kind].setdefault(column, {})[normalise_label(source)] = target

    def _add_directions(self, kind: str, directions: Any, path: Path) -> None:
        """Exported values of an enumerated column that also name which way stock moved (盘盈: in)."""
        if not isinstance(directions, Mapping):
            raise ValueError(f"{path}: {kind}.directions must map columns to {{value: in or out}}")
        for column, named in directions.items():
            if _check_column(KINDS[kind], column, path).allowed is None or not isinstance(named, Mapping):
                raise ValueError(
                    f"{path}: {kind}.directions.{column} must map values of an enumerated column"
                )
            for raw, direction in named.items():
                if direction not in _DIRECTIONS:
                    raise ValueError(f"{path}: {kind}.directions.{column}.{raw} must be in or out")
                source = normalise_label(_text(raw, path, f"{kind}.directions.{column}"))
                self.directions[kind].setdefault(column, {})[source] = _DIRECTIONS[direction]

    def build(self) -> HeaderMap:
        """Freeze into a HeaderMap; every canonical column name becomes its own first alias."""
        aliases: dict[str, dict[str, str]] = {}
        ranks: dict[str, dict[str, int]] = {}
        for kind, columns in self.columns.items():
            for canonical in columns:
                self._assign(kind, canonical, [normalise_label(canonical)], HEADER_MAP_PATH, user=True)
            aliases[kind], ranks[kind] = {}, {}
            for canonical, labels in columns.items():
                for rank, alias in enumerate(labels):
                    aliases[kind][alias] = canonical
                    ranks[kind][alias] = rank
        return HeaderMap(
            keywords={kind: tuple(kws) for kind, kws in self.keywords.items()},
            aliases=aliases,
            ranks=ranks,
            values=self.values,
            directions=self.directions,
            sources=tuple(self.sources),
        )


def _text(value: Any, path: Path, where: str) -> str:
    """A YAML scalar as text; booleans and nulls are refused (YAML reads No, Yes, On as booleans)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(
            f"{path}: {where} contains {value!r}, which YAML read as a boolean or null; quote it"
        )
    if not isinstance(value, str | int | float):
        raise ValueError(f"{path}: {where} contains {value!r}; expected text")
    return str(value)


def _text_list(values: Any, path: Path, where: str) -> list[str]:
    if not isinstance(values, list):
        raise ValueError(f"{path}: {where} must be a list")
    return [_text(v, path, where) for v in values]


def _check_column(kind: ExtractKind, column: Any, path: Path):
    try:
        return kind.column(column)
    except KeyError:
        raise ValueError(
            f"{path}: {kind.name} has no column {column!r}; expected one of {', '.join(kind.column_names)}"
        ) from None


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the header map: {exc}") from exc


def load_header_map(extra: Path | None = None) -> HeaderMap:
    """Load the packaged header map and, when given, merge a user's YAML of the same shape.

    The user's labels, keywords and values are added; a user label overrides a built-in label of the
    same kind and is preferred over built-in labels of its column. Raises ValueError naming the file
    for malformed YAML, an unknown kind or an unknown canonical column.
    """
    builder = _HeaderMapBuilder()
    builder.add(_read_yaml(HEADER_MAP_PATH), HEADER_MAP_PATH, user=False)
    if extra is not None:
        extra = Path(extra)
        builder.add(_read_yaml(extra), extra, user=True)
    return builder.build()
