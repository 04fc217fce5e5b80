"""Tests of the demo company generator: contract, determinism, ledger identity and the planted problems.

The files are read back the way a user would (pandas, openpyxl) and checked on content.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipelines.demo import DemoConfig, DemoSummary, generate_demo
from pipelines.ingest.extracts.schema import KINDS

SMALL = DemoConfig(skus=40, warehouses=2, days=240, seed=7, end_date=date(2025, 3, 31))
STAMP = "20250331"

ZH_HEADERS = {
    "存货档案.xlsx": [
        "存货编码",
        "存货名称",
        "规格型号",
        "存货分类编码",
        "存货分类名称",
        "品牌",
        "主计量单位",
        "参考成本",
        "参考售价",
        "币种",
        "主供应商编码",
        "最小订货量",
        "批量增量",
        "最大订货量",
        "固定提前期",
        "安全库存",
        "最低库存",
        "最高库存",
        "状态",
        "启用日期",
        "停用日期",
    ],
    "供应商档案.csv": ["供应商编码", "供应商名称", "国家", "币种", "供货周期", "最小订货量", "订货日"],
    "仓库档案.xlsx": ["仓库编码", "仓库名称", "城市", "地区"],
    "销售订单执行明细.csv": [
        "订单号",
        "行号",
        "订单日期",
        "存货编码",
        "仓库编码",
        "数量",
        "累计出库数量",
        "出库日期",
        "预发货日期",
        "客户编码",
        "客户名称",
        "无税单价",
        "币种",
        "换算率",
        "行状态",
    ],
    "采购订单明细.csv": [
        "订单编号",
        "行号",
        "订单日期",
        "供应商编码",
        "存货编码",
        "仓库编码",
        "数量",
        "计划到货日期",
        "原币无税单价",
        "币种",
        "换算率",
        "行状态",
    ],
    "采购入库单列表.csv": [
        "入库单号",
        "行号",
        "入库日期",
        "存货编码",
        "仓库编码",
        "数量",
        "订单号",
        "订单行号",
        "供应商编码",
        "原币无税单价",
        "币种",
        "换算率",
    ],
    "现存量月末快照.csv": ["结存日期", "存货编码", "仓库编码", "结存数量", "结存单价", "结存金额", "币种"],
    "其他出入库明细.csv": [
        "单据号",
        "行号",
        "单据日期",
        "存货编码",
        "仓库编码",
        "业务类型",
        "数量",
        "对方仓库",
        "单位成本",
        "备注",
    ],
    "促销活动.xlsx": ["活动编号", "存货编码", "仓库编码", "开始日期", "结束日期", "折扣(%)", "活动类型"],
    "汇率表.xlsx": ["日期", "币种", "汇率", "本位币"],
    # U8's 期初结存 sheet: the opening stock, in the Chinese rendering only (issue 16, item 2)
    "期初结存.xlsx": [
        "日期",
        "仓库编码",
        "仓库",
        "存货编码",
        "存货名称",
        "规格型号",
        "计量单位",
        "期初数量",
        "单价",
        "期初金额",
    ],
}
ZH_SUMS = {
    "销售订单执行明细.csv": ["数量", "累计出库数量"],
    "采购订单明细.csv": ["数量"],
    "采购入库单列表.csv": ["数量"],
    "现存量月末快照.csv": ["结存数量", "结存金额"],
    "其他出入库明细.csv": ["数量"],
}
XLSX_KINDS = {"items", "warehouses", "promotions", "fx_rates"}
DATE_COLUMNS = (
    "order_date",
    "ship_date",
    "requested_date",
    "expected_date",
    "receipt_date",
    "snapshot_date",
    "movement_date",
    "start_date",
    "end_date",
    "rate_date",
    "launch_date",
    "discontinued_date",
)


@pytest.fixture(scope="module")
def en_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    out = tmp_path_factory.mktemp("en")
    return out, generate_demo(out, SMALL, progress=False)


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    out = tmp_path_factory.mktemp("zh")
    return out, generate_demo(out, replace(SMALL, lang="zh"), progress=False)


@pytest.fixture(scope="module")
def en(en_run: tuple[Path, DemoSummary]) -> dict[str, pd.DataFrame]:
    """The English extracts as DataFrames, keyed by kind, with dates parsed."""
    out, _ = en_run
    frames = {}
    for kind in KINDS:
        path = out / f"{kind}_{STAMP}.{'xlsx' if kind in XLSX_KINDS else 'csv'}"
        if kind in XLSX_KINDS:
            df = pd.read_excel(path, engine="openpyxl")
        else:
            df = pd.read_csv(path, dtype={"sku": str, "po_line_no": str})
        for c in DATE_COLUMNS:
            if c in df:
                df[c] = pd.to_datetime(df[c])
        frames[kind] = df
    return frames


def _read_zh_csv(path: Path) -> tuple[list[str], pd.DataFrame, list[str]]:
    lines = path.read_bytes().decode("gb18030").splitlines()
    body = pd.read_csv(io.StringIO("\n".join(lines[2:-1])), dtype=str, keep_default_na=False)
    return lines[:2], body, lines[-1].split(",")


# --------------------------------------------------------------------------------------- API and files


def test_same_config_gives_identical_files(
    en_run: tuple[Path, DemoSummary], zh_run: tuple[Path, DemoSummary], tmp_path: Path
) -> None:
    for (_, summary), lang in ((en_run, "en"), (zh_run, "zh")):
        again = generate_demo(tmp_path / lang, replace(SMALL, lang=lang), progress=False)
        assert [p.name for p in again.files] == [p.name for p in summary.files]
        for first, second in zip(summary.files, again.files, strict=True):
            assert first.read_bytes() == second.read_bytes(), first.name
        assert again.stats == summary.stats


def test_summary_describes_the_files(en_run: tuple[Path, DemoSummary], en: dict[str, pd.DataFrame]) -> None:
    out, summary = en_run
    assert summary.start_date == date(2025, 3, 31) - timedelta(days=SMALL.days - 1)
    assert summary.end_date == date(2025, 3, 31)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in summary.files)  # no temporary left
    assert set(summary.rows) == set(KINDS)
    for kind, df in en.items():
        assert summary.rows[kind] == len(df) > 0, kind
    assert len(en["items"]) == SMALL.skus and len(en["warehouses"]) == SMALL.warehouses
    assert {
        "stockout_line_share",
        "avg_days_of_inventory",
        "dead_stock_value_share",
        "zero_demand_share",
    } <= set(summary.stats)
    assert 0.5 <= summary.stats["zero_demand_share"] <= 0.8


def test_end_date_defaults_to_yesterday_and_bad_configs_are_refused(tmp_path: Path) -> None:
    summary = generate_demo(tmp_path, DemoConfig(skus=5, warehouses=1, days=40), progress=False)
    assert summary.end_date == date.today() - timedelta(days=1)
    assert summary.start_date == summary.end_date - timedelta(days=39)
    assert (tmp_path / f"items_{summary.end_date:%Y%m%d}.xlsx").exists()
    with pytest.raises(ValueError):
        generate_demo(tmp_path, DemoConfig(lang="fr"), progress=False)


def test_english_columns_are_canonical(en: dict[str, pd.DataFrame]) -> None:
    for kind, df in en.items():
        spec = KINDS[kind]
        assert set(df.columns) <= set(spec.column_names), kind
        assert set(spec.required_columns) <= set(df.columns), kind
        assert set(spec.key) <= set(df.columns), kind  # line_no everywhere it is in the key
        assert list(df.columns) == [c for c in spec.column_names if c in df.columns], kind
        for column in spec.columns:
            if column.allowed and column.name in df:
                assert set(df[column.name].dropna().str.lower()) <= set(column.allowed), (kind, column.name)
            if column.non_negative and column.name in df:
                assert (df[column.name].dropna() >= 0).all(), (kind, column.name)


def test_keys_are_unique_and_references_resolve(en: dict[str, pd.DataFrame]) -> None:
    for kind, df in en.items():
        spec = KINDS[kind]
        keys = df[list(spec.key)].fillna("*")
        assert not keys.duplicated().any(), kind
        for column, master in spec.references.items():
            known = set(en[master][KINDS[master].key[0]])
            assert set(df[column].dropna()) <= known, (kind, column)


def test_chinese_files_have_the_erp_layout(
    zh_run: tuple[Path, DemoSummary], en: dict[str, pd.DataFrame]
) -> None:
    out, summary = zh_run
    assert sorted(p.name for p in summary.files) == sorted(ZH_HEADERS)
    for name, headers in ZH_HEADERS.items():
        path = out / name
        if name.endswith(".csv"):
            with pytest.raises(UnicodeDecodeError):  # GB18030 like a U8 export, not UTF-8
                path.read_bytes().decode("utf-8")
            banner, body, total = _read_zh_csv(path)
            assert list(body.columns) == headers, name
            assert total[0] == "合计"
            for column in ZH_SUMS.get(name, []):
                expected = pd.to_numeric(body[column]).sum()
                assert float(total[headers.index(column)]) == pytest.approx(expected, abs=0.01), (
                    name,
                    column,
                )
        else:
            sheet = openpyxl.load_workbook(path, read_only=True).active
            rows = [r + (None,) * (len(headers) - len(r)) for r in sheet.iter_rows(values_only=True)]
            banner, header, total = [r[0] for r in rows[:2]], list(rows[2]), rows[-1]
            assert header == headers, name
            assert total[0] == "合计"
            date_columns = [i for i, h in enumerate(headers) if "日期" in h]
            for i in date_columns:
                values = [r[i] for r in rows[3:-1] if r[i] is not None]
                assert values and all(isinstance(v, datetime) for v in values), (name, headers[i])
        assert len(banner) == 2 and banner[0].strip() and ("日期" in banner[1] or "查询" in banner[1]), name
    banner, sales, _ = _read_zh_csv(out / "销售订单执行明细.csv")
    assert banner[0].startswith("销售订单执行明细表")
    assert set(sales["行状态"]) <= {"未关闭", "关闭", "作废"}
    assert len(sales) == len(en["sales_orders"])


def test_chinese_boxed_quantities_convert_to_the_english_base_units(
    zh_run: tuple[Path, DemoSummary], en: dict[str, pd.DataFrame]
) -> None:
    out, _ = zh_run
    _, zh, _ = _read_zh_csv(out / "销售订单执行明细.csv")
    zh = zh.astype({"数量": int, "累计出库数量": int, "换算率": int, "无税单价": float})
    assert (zh["换算率"] > 1).any() and (zh["换算率"] == 1).mean() > 0.8
    en_sales = en["sales_orders"]  # the same company: same documents in the same order
    assert (zh["订单号"].to_numpy() == en_sales["order_id"].to_numpy()).all()
    assert (zh["数量"] * zh["换算率"] == en_sales["ordered_qty"]).all()
    assert (zh["累计出库数量"] * zh["换算率"] == en_sales["shipped_qty"]).all()
    boxed = zh["换算率"] > 1
    assert np.allclose(
        zh.loc[boxed, "无税单价"] / zh.loc[boxed, "换算率"], en_sales.loc[boxed, "unit_price"], atol=0.01
    )


# ------------------------------------------------------------------------------------------- the ledger


def test_snapshots_roll_forward_except_the_planted_count_differences(en: dict[str, pd.DataFrame]) -> None:
    snaps, sales = en["stock_snapshots"], en["sales_orders"]
    key = ["sku", "warehouse_id"]
    opening_day = snaps["snapshot_date"].min()
    opening = snaps[snaps["snapshot_date"] == opening_day].set_index(key)["on_hand_qty"]
    flows = pd.concat(
        [
            en["receipts"].rename(columns={"receipt_date": "date", "received_qty": "qty"})[
                [*key, "date", "qty"]
            ],
            en["stock_movements"].rename(columns={"movement_date": "date"})[[*key, "date", "qty"]],
            sales[sales["shipped_qty"] > 0]
            .assign(qty=lambda d: -d["shipped_qty"])
            .rename(columns={"ship_date": "date"})[[*key, "date", "qty"]],
        ]
    )
    later = snaps[snaps["snapshot_date"] > opening_day]
    checked, off = 0, []
    for day, rows in later.groupby("snapshot_date"):
        moved = flows[flows["date"] <= day].groupby(key)["qty"].sum()
        expected = opening.reindex(rows.set_index(key).index, fill_value=0).add(moved, fill_value=0)
        expected = expected.reindex(rows.set_index(key).index).fillna(0)
        diff = rows.set_index(key)["on_hand_qty"] - expected
        checked += len(diff)
        off += [(day, d) for d in diff[diff != 0]]
    final_day = snaps["snapshot_date"].max()
    assert checked > 500
    assert 0 < len(off) <= 0.03 * checked  # a deliberate ~1% of month-end rows
    assert all(abs(d) <= 3 and day != final_day for day, d in off)
    assert (snaps["on_hand_qty"] >= 0).all()
    assert np.allclose(snaps["stock_value"], snaps["on_hand_qty"] * snaps["unit_cost"], atol=0.01)


def test_order_lines_ship_at_most_what_was_ordered(en: dict[str, pd.DataFrame]) -> None:
    s = en["sales_orders"]
    end = pd.Timestamp(SMALL.end_date)
    assert (s["shipped_qty"] <= s["ordered_qty"]).all()
    assert ((s["ship_date"] - s["order_date"]).dt.days.dropna().isin([0, 1])).all()
    assert s["ship_date"].isna().eq(s["shipped_qty"] == 0).all()
    assert (s["ship_date"].dropna() <= end).all()
    assert (s["requested_date"] - s["order_date"]).dt.days.between(0, 3).all()
    assert (s.loc[s["line_status"] == "cancelled", "shipped_qty"] == 0).all()
    assert (s["line_status"] == "cancelled").any()
    open_lines = s[s["line_status"] == "open"]
    assert len(open_lines) and (open_lines["order_date"] > end - pd.Timedelta(days=5)).all()
    assert (open_lines["shipped_qty"] < open_lines["ordered_qty"]).all()
    line_no = s.groupby("order_id")["line_no"].agg(["min", "max", "count"])
    assert (line_no["min"] == 1).all() and (line_no["max"] == line_no["count"]).all()
    assert (line_no["count"] > 1).any()
    per_order = s.groupby("order_id")[["customer_id", "warehouse_id", "order_date"]].nunique()
    assert (per_order == 1).all().all()


def test_purchase_orders_and_receipts_agree(en: dict[str, pd.DataFrame]) -> None:
    po, rc, sup = en["purchase_orders"], en["receipts"], en["suppliers"].set_index("supplier_id")
    lead = (po["expected_date"] - po["order_date"]).dt.days
    assert (lead == po["supplier_id"].map(sup["lead_time_days"])).all()
    assert (po["currency"] == po["supplier_id"].map(sup["currency"])).all()
    got = rc.groupby(["po_id", "po_line_no"])["received_qty"].sum()
    lines = po.assign(po_line_no=po["line_no"].astype(str)).set_index(["po_id", "po_line_no"])
    assert set(got.index) <= set(lines.index)
    assert (got <= lines.loc[got.index, "ordered_qty"]).all()
    assert (lines.loc[got.index, "line_status"] != "cancelled").all()
    first = rc.groupby(["po_id", "po_line_no"])["receipt_date"].min()
    late = first > lines.loc[first.index, "expected_date"]
    assert 0.1 < late.mean() < 0.9  # on-time delivery is measurable, and imperfect
    assert (rc.groupby(["po_id", "po_line_no"]).size() > 1).any()  # split deliveries
    assert (po["line_status"] == "open").any()  # still in transit at the end


def test_transfers_come_in_pairs(en: dict[str, pd.DataFrame]) -> None:
    m = en["stock_movements"]
    out = m[m["movement_type"] == "transfer_out"]
    into = m[m["movement_type"] == "transfer_in"]
    assert len(out) == len(into) > 0
    assert (out["qty"] < 0).all() and (into["qty"] > 0).all()
    left = out.assign(qty=-out["qty"])[
        ["movement_date", "sku", "warehouse_id", "counterpart_warehouse_id", "qty"]
    ]
    right = into.rename(
        columns={"warehouse_id": "counterpart_warehouse_id", "counterpart_warehouse_id": "warehouse_id"}
    )[left.columns]
    pd.testing.assert_frame_equal(
        left.sort_values(list(left.columns)).reset_index(drop=True),
        right.sort_values(list(left.columns)).reset_index(drop=True),
    )
    adjust = m.loc[m["movement_type"] == "adjustment", "qty"]
    assert (adjust < 0).mean() > 0.5  # shrinkage
    assert (m.loc[m["movement_type"] == "customer_return", "qty"] > 0).all()


# --------------------------------------------------------------------------------- the planted problems


def test_best_sellers_stock_out(en: dict[str, pd.DataFrame]) -> None:
    s = en["sales_orders"]
    s = s[s["line_status"] == "closed"]
    volume = s.groupby("sku")["ordered_qty"].sum()
    best = volume[volume >= volume.quantile(0.9)].index
    short = s["shipped_qty"] < s["ordered_qty"]
    assert short[s["sku"].isin(best)].mean() > 0.05
    assert short[s["sku"].isin(best)].mean() > short[~s["sku"].isin(best)].mean()


def test_dead_stock_and_discontinued_items(en: dict[str, pd.DataFrame]) -> None:
    s, snaps, items = en["sales_orders"], en["stock_snapshots"], en["items"]
    end = pd.Timestamp(SMALL.end_date)
    final = snaps[snaps["snapshot_date"] == end]
    held = set(final.loc[final["on_hand_qty"] > 0, "sku"])
    sold_recently = set(
        s.loc[(s["shipped_qty"] > 0) & (s["ship_date"] > end - pd.Timedelta(days=180)), "sku"]
    )
    dead = held - sold_recently
    assert dead
    discontinued = set(items.loc[items["status"] == "discontinued", "sku"])
    assert discontinued & dead
    assert items.loc[items["status"] == "discontinued", "discontinued_date"].notna().all()
    gone = items[items["discontinued_date"].notna()].set_index("sku")["discontinued_date"]
    late = s[s["sku"].isin(gone.index) & (s["order_date"] > s["sku"].map(gone) + pd.Timedelta(days=60))]
    assert late.empty  # demand fades to nothing after discontinuation
    launched = items[items["launch_date"] > end - pd.Timedelta(days=SMALL.days)].set_index("sku")[
        "launch_date"
    ]
    assert len(launched)
    early = s[s["sku"].isin(launched.index) & (s["order_date"] < s["sku"].map(launched))]
    assert early.empty  # no demand before launch


def test_days_of_inventory_are_high(en: dict[str, pd.DataFrame]) -> None:
    s, snaps, items = en["sales_orders"], en["stock_snapshots"], en["items"]
    end = pd.Timestamp(SMALL.end_date)
    value = snaps.loc[snaps["snapshot_date"] == end, "stock_value"].sum()
    recent = s[s["ship_date"] > end - pd.Timedelta(days=90)]
    cogs = (recent["shipped_qty"] * recent["sku"].map(items.set_index("sku")["unit_cost"])).sum() / 90
    assert value / cogs > 40


def test_calendar_effects_show_in_demand(en: dict[str, pd.DataFrame]) -> None:
    s = en["sales_orders"]
    daily = s.groupby("order_date")["ordered_qty"].sum()
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max()), fill_value=0)
    october = daily["2024-10-01":"2024-10-31"].mean()
    assert daily["2024-11-01":"2024-11-11"].mean() > 1.2 * october
    spring = daily["2025-01-29":"2025-02-04"].mean()  # Spring Festival 2025 starts 29 January
    assert spring < 0.6 * daily["2025-03-01":"2025-03-31"].mean()


def test_promotions_lift_demand(en: dict[str, pd.DataFrame]) -> None:
    s, promos = en["sales_orders"], en["promotions"]
    assert {"festival_1111", "discount"} <= set(promos["promo_type"])  # the window holds no June
    assert (
        promos.loc[promos["promo_type"] == "festival_1111", "start_date"]
        .dt.strftime("%m-%d")
        .eq("11-01")
        .all()
    )
    regular = promos[(promos["promo_type"] == "discount") & promos["warehouse_id"].isna()]
    days = pd.date_range(s["order_date"].min(), SMALL.end_date)
    demand = s.pivot_table(index="order_date", columns="sku", values="ordered_qty", aggfunc="sum")
    demand = demand.reindex(index=days, columns=en["items"]["sku"], fill_value=0).fillna(0)
    on = pd.DataFrame(False, index=days, columns=demand.columns)
    for p in regular.itertuples():
        on.loc[p.start_date : p.end_date, p.sku] = True
    festival = np.asarray((days.month == 11) & (days.day <= 11))[:, None]
    lift = demand.where(on & ~festival).mean() / demand.where(~on & ~festival).mean()
    lift = lift.replace(np.inf, np.nan).dropna()
    assert len(lift) >= 5 and lift.median() > 1.25


def test_fx_rates_are_daily_walks_around_the_usual_levels(en: dict[str, pd.DataFrame]) -> None:
    fx = en["fx_rates"]
    assert set(fx["currency"]) == {"USD", "EUR"} and (fx["base_currency"] == "CNY").all()
    usd, eur = (fx.loc[fx["currency"] == c].set_index("rate_date")["rate"] for c in ("USD", "EUR"))
    assert 6.6 < usd.mean() < 7.6 and 7.2 < eur.mean() < 8.4
    assert usd.index.min() <= pd.Timestamp(SMALL.end_date) - pd.Timedelta(days=SMALL.days - 1)
    assert usd.diff().abs().max() < 0.2 and usd.nunique() > 50


# ------------------------------------------------------------------------------- the opening balances


def _opening_sheet(out: Path) -> pd.DataFrame:
    return pd.read_excel(out / "期初结存.xlsx", header=2, dtype={"存货编码": str}).iloc[:-1]  # no 合计 row


def test_chinese_opening_balances_are_the_stock_at_the_start_of_the_first_day(
    zh_run: tuple[Path, DemoSummary], en: dict[str, pd.DataFrame]
) -> None:
    """期初 of the first day D is the stock at the end of D-1: the English rendering's opening snapshot
    (dated D-1), here dated D, by warehouse then item; the month-end file no longer repeats it."""
    out, summary = zh_run
    sheet = _opening_sheet(out)
    snaps = en["stock_snapshots"]
    opening = snaps[snaps["snapshot_date"] == pd.Timestamp(summary.start_date - timedelta(days=1))]
    assert len(sheet) == len(opening) > 0
    assert (pd.to_datetime(sheet["日期"]) == pd.Timestamp(summary.start_date)).all()
    assert list(sheet["仓库编码"]) == sorted(sheet["仓库编码"])  # by warehouse, then item
    got = sheet.set_index(["存货编码", "仓库编码"])[["期初数量", "单价", "期初金额"]]
    want = opening.set_index(["sku", "warehouse_id"])[["on_hand_qty", "unit_cost", "stock_value"]]
    assert np.allclose(got.loc[want.index].to_numpy(dtype=float), want.to_numpy(dtype=float))
    items = pd.read_excel(out / "存货档案.xlsx", header=2, dtype={"存货编码": str}).set_index("存货编码")
    assert (sheet["存货名称"].to_numpy() == items.loc[sheet["存货编码"], "存货名称"].to_numpy()).all()
    assert (sheet["计量单位"].to_numpy() == items.loc[sheet["存货编码"], "主计量单位"].to_numpy()).all()
    _, month_end, _ = _read_zh_csv(out / "现存量月末快照.csv")
    assert month_end["结存日期"].min() > summary.start_date.isoformat()
    assert summary.rows["stock_snapshots"] == len(month_end) + len(sheet) == len(snaps)


def test_ingesting_the_chinese_opening_balances_gives_the_opening_snapshots(
    zh_run: tuple[Path, DemoSummary], en: dict[str, pd.DataFrame], settings
) -> None:
    """Ingest maps 期初数量 / 单价 / 期初金额 to snapshots dated the day before: with the month-end file, the
    Chinese company's snapshots are the English one's, so its roll-forward starts where the ledger does."""
    import shutil

    from pipelines.ingest.extracts.mapping import load_header_map
    from pipelines.ingest.load import ingest_kind
    from pipelines.warehouse import connection as wh

    out, summary = zh_run
    for name in ("仓库档案.xlsx", "存货档案.xlsx", "期初结存.xlsx", "现存量月末快照.csv"):
        shutil.copy(out / name, settings.inbox / name)
    with wh.connect(settings.warehouse_path) as conn:
        results = [
            ingest_kind(conn, settings, k, load_header_map())
            for k in ("warehouses", "items", "stock_snapshots")
        ]
        loaded = conn.execute(
            "select snapshot_date, sku, warehouse_id, on_hand_qty, unit_cost, stock_value, _source_file "
            "from raw.stock_snapshots order by snapshot_date, sku, warehouse_id"
        ).df()
    assert all(o.status == "loaded" for r in results for o in r.outcomes), results
    sheet = loaded[loaded["_source_file"] == "期初结存.xlsx"]
    assert len(sheet) == len(_opening_sheet(out))
    assert set(sheet["snapshot_date"]) == {pd.Timestamp(summary.start_date - timedelta(days=1))}
    first = _opening_sheet(out).iloc[0]
    row = sheet[(sheet["sku"] == first["存货编码"]) & (sheet["warehouse_id"] == first["仓库编码"])].iloc[0]
    assert (row["on_hand_qty"], row["unit_cost"], row["stock_value"]) == (
        first["期初数量"],
        first["单价"],
        first["期初金额"],
    )
    columns = ["snapshot_date", "sku", "warehouse_id", "on_hand_qty", "stock_value"]
    english = en["stock_snapshots"].sort_values(columns[:3]).reset_index(drop=True)[columns]
    pd.testing.assert_frame_equal(
        loaded[columns].reset_index(drop=True), english, check_dtype=False, check_datetimelike_compat=True
    )
