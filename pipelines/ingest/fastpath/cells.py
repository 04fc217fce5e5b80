"""SQL tests of one cell that mirror the pandas path's cleaning: whitespace or control characters at
either end (what ``str.strip()`` removes) and total labels (合计, 小计, Total ... in any width or case),
as DuckDB macros and regular expressions."""

from __future__ import annotations

import functools
import unicodedata

from pipelines.ingest.extracts.parsing import _TOTAL_WORDS

# Python's str.strip() (and pyarrow's, which pandas uses) strips exactly these code points.
_WS_HIGH = (0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
_MACROS = (
    # a CASE, not ORs: DuckDB evaluates every operand of an OR, a CASE stops at the first branch taken
    "create or replace temp macro _sf_ws(cp) as case when cp <= 32 then true when cp < 133 then false "
    "else cp in (" + ", ".join(map(str, _WS_HIGH)) + ") or cp between 8192 and 8202 end",
    # A plain cell: non-empty, no whitespace or control character at either end (str.strip() is a no-op).
    "create or replace temp macro _sf_plain(v) as not _sf_ws(ascii(v)) and not _sf_ws(ascii(v[-1]))",
)


def _edge_whitespace(cells: list[str]) -> str:
    """True when a non-null cell is empty or starts or ends with whitespace or a control character
    (what _sf_plain tells of each cell). Quick path first: when every first and last character is
    printable ASCII (33..132), nothing else is looked at; a regex over the joined cells cost about 10x."""
    codes = [f"ascii({c})" for c in cells] + [f"ascii({c}[-1])" for c in cells]
    quick = f"least({', '.join(codes)}) >= 33 and greatest({', '.join(codes)}) < 133"
    exact = " or ".join(f"coalesce(not _sf_plain({c}), false)" for c in cells)
    return f"case when {quick} then false else {exact} end"


@functools.cache
def _compatibility_forms() -> dict[str, frozenset[str]]:
    """Each character of the total words (and space, colon) -> the characters NFKC-normalising to it
    or, lowercased, to it."""
    variants: dict[str, set[str]] = {}
    wanted = {c for word in _TOTAL_WORDS for c in word} | {" ", ":"}
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        norm = unicodedata.normalize("NFKC", chr(cp))
        for target in {norm, norm.lower()}:
            if target in wanted:
                variants.setdefault(target, set()).add(chr(cp))
    return {k: frozenset(v) for k, v in variants.items()}


@functools.cache
def total_label_last_codes() -> tuple[int, ...]:
    """Code points a cell matching total_label_regex() can end with: the last letter of a total word
    in any of its forms and case, a colon, a space or a tab."""
    forms = _compatibility_forms()
    last = {word[-1] for word in _TOTAL_WORDS} | {":", " "}
    chars = {c for x in last for c in forms.get(x, ()) | {x, x.upper()}} | {"\uff1a", "\t"}
    return tuple(sorted(ord(c) for c in chars))


def _maybe_total(cells: list[str]) -> str:
    """False when no cell's last character can end a total label (then the regex need not run)."""
    codes = ", ".join(map(str, total_label_last_codes()))
    return " or ".join(
        f"coalesce(case when ascii({c}[-1]) between 48 and 57 then false else ascii({c}[-1]) in ({codes}) end, "
        "false)"
        for c in cells
    )


@functools.cache
def total_label_regex() -> str:
    """TOTAL_LABEL_PATTERN for text that has not been NFKC-normalised: every character also matches
    its compatibility forms (full-width letters, ideographic space, ...), letters in either case."""
    variants = _compatibility_forms()

    def cls(char: str) -> str:
        chars = sorted(variants.get(char, set()) | {char} | ({char.upper()} if char.isascii() else set()))
        return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"

    def escaped(chars) -> str:
        return "".join(f"\\x{{{ord(c):x}}}" for c in sorted(chars))

    space = "[\\t" + escaped(variants[" "]) + "]*"
    words = "|".join(space.join(cls(c) for c in word) for word in _TOTAL_WORDS)
    colon = "[" + escaped(variants[":"] | {"\uff1a"}) + "]?"
    return f"{space}(?:{words}){space}{colon}{space}"
