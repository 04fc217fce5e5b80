"""Header mapping as data: normalisation, the shipped header map, kind detection, header and value mapping."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipelines.ingest.extracts.mapping import (
    HEADER_MAP_PATH,
    HeaderMap,
    detect_kind,
    load_header_map,
    map_headers,
    map_values,
    normalise_label,
    strip_unit,
)
from pipelines.ingest.extracts.schema import KINDS, MOVEMENT_TYPES


@pytest.fixture(scope="module")
def hm() -> HeaderMap:
    return load_header_map()


# The demo generator's --lang zh files: file name, kind, headers and the canonical column of each.
DEMO_ZH = {
    "存货档案.xlsx": (
        "items",
        "存货编码 存货名称 规格型号 存货分类编码 存货分类名称 品牌 主计量单位 参考成本 参考售价 币种 主供应商编码 最小订货量 "
        "批量增量 最大订货量 固定提前期 安全库存 最低库存 最高库存 状态 启用日期 停用日期",
        "sku sku_name spec category category_name brand uom unit_cost unit_price currency supplier_id moq pack_size "
        "max_order_qty lead_time_days safety_stock_qty min_qty max_qty status launch_date discontinued_date",
    ),
    "供应商档案.csv": (
        "suppliers",
        "供应商编码 供应商名称 国家 币种 供货周期 最小订货量 订货日",
        "supplier_id supplier_name country currency lead_time_days moq order_days",
    ),
    "仓库档案.xlsx": ("warehouses", "仓库编码 仓库名称 城市 地区", "warehouse_id warehouse_name city region"),
    "销售订单执行明细.csv": (
        "sales_orders",
        "订单号 行号 订单日期 存货编码 仓库编码 数量 累计出库数量 出库日期 预发货日期 客户编码 客户名称 无税单价 币种 换算率 行状态",
        "order_id line_no order_date sku warehouse_id ordered_qty shipped_qty ship_date requested_date customer_id "
        "customer_name unit_price currency unit_factor line_status",
    ),
    "采购订单明细.csv": (
        "purchase_orders",
        "订单编号 行号 订单日期 供应商编码 存货编码 仓库编码 数量 计划到货日期 原币无税单价 币种 换算率 行状态",
        "po_id line_no order_date supplier_id sku warehouse_id ordered_qty expected_date unit_cost currency "
        "unit_factor line_status",
    ),
    "采购入库单列表.csv": (
        "receipts",
        "入库单号 行号 入库日期 存货编码 仓库编码 数量 订单号 订单行号 供应商编码 原币无税单价 币种 换算率",
        "receipt_id line_no receipt_date sku warehouse_id received_qty po_id po_line_no supplier_id unit_cost "
        "currency unit_factor",
    ),
    "现存量月末快照.csv": (
        "stock_snapshots",
        "结存日期 存货编码 仓库编码 结存数量 结存单价 结存金额 币种",
        "snapshot_date sku warehouse_id on_hand_qty unit_cost stock_value currency",
    ),
    "其他出入库明细.csv": (
        "stock_movements",
        "单据号 行号 单据日期 存货编码 仓库编码 业务类型 数量 对方仓库 单位成本 备注",
        "movement_id line_no movement_date sku warehouse_id movement_type qty counterpart_warehouse_id unit_cost reason",
    ),
    "促销活动.xlsx": (
        "promotions",
        "活动编号 存货编码 仓库编码 开始日期 结束日期 折扣(%) 活动类型",
        "promo_id sku warehouse_id start_date end_date discount_pct promo_type",
    ),
    "汇率表.xlsx": ("fx_rates", "日期 币种 汇率 本位币", "rate_date currency rate base_currency"),
}


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    ["Order No", "order_no", "ORDER-NO", "  order   no ", "Order No.", "ｏｒｄｅｒ　ｎｏ", "*Order No:"],
)
def test_normalise_label_treats_case_spacing_and_width_alike(label: str) -> None:
    assert normalise_label(label) == "orderno"


def test_normalise_label_folds_full_width_brackets_and_colons() -> None:
    assert normalise_label("数量（件）") == "数量(件)"
    assert normalise_label("仓库：") == "仓库"
    assert normalise_label("折扣 (%)") == "折扣(%)"


def test_strip_unit_gives_the_second_chance_label() -> None:
    assert strip_unit(normalise_label("数量(件)")) == "数量"
    assert strip_unit(normalise_label("单价【元】")) == "单价"
    assert strip_unit(normalise_label("Amount [USD]")) == "amount"
    assert strip_unit("数量") is None


# --- the shipped header map -----------------------------------------------------------------


def test_shipped_yaml_aliases_are_unique_within_each_kind() -> None:
    raw = yaml.safe_load(HEADER_MAP_PATH.read_text(encoding="utf-8"))
    for kind, spec in raw.items():
        labels = [normalise_label(label) for labels in spec["columns"].values() for label in labels]
        labels += [
            normalise_label(canonical) for canonical in spec["columns"]
        ]  # canonical names are aliases too
        repeated = [label for label, n in Counter(labels).items() if n > 1]
        assert repeated == [], f"{kind}: {repeated}"


def test_shipped_yaml_covers_every_kind_and_only_schema_columns() -> None:
    raw = yaml.safe_load(HEADER_MAP_PATH.read_text(encoding="utf-8"))
    assert set(raw) == set(KINDS)
    for kind, spec in raw.items():
        assert spec["file_keywords"], kind
        assert set(spec["columns"]) <= set(KINDS[kind].column_names)
        assert set(KINDS[kind].required_columns) <= set(spec["columns"]), kind


def test_every_canonical_name_maps_to_itself(hm: HeaderMap) -> None:
    for kind, spec in KINDS.items():
        for column in spec.column_names:
            assert hm.aliases[kind][normalise_label(column)] == column
            assert hm.ranks[kind][normalise_label(column)] == 0


def test_an_alias_may_serve_several_kinds(hm: HeaderMap) -> None:
    for kind in (
        "sales_orders",
        "purchase_orders",
        "receipts",
        "stock_snapshots",
        "stock_movements",
        "promotions",
    ):
        assert hm.aliases[kind]["存货编码"] == "sku"
        assert hm.aliases[kind]["cinvcode"] == "sku"
    assert hm.aliases["items"]["fnumber"] == "sku"
    assert hm.aliases["warehouses"]["fnumber"] == "warehouse_id"
    assert hm.aliases["suppliers"]["fnumber"] == "supplier_id"


def test_all_labels_holds_every_normalised_alias(hm: HeaderMap) -> None:
    labels = hm.all_labels
    assert {"存货编码", "orderid", "cinvcode", "fmaterialid", "itemcode", "折扣(%)", "onhandqty"} <= labels
    assert all(label == normalise_label(label) for label in labels)


# --- header mapping -------------------------------------------------------------------------


@pytest.mark.parametrize("file_name", list(DEMO_ZH))
def test_demo_zh_headers_map_completely(hm: HeaderMap, file_name: str) -> None:
    kind, headers, canonical = DEMO_ZH[file_name]
    headers, canonical = headers.split(), canonical.split()
    mapping = map_headers(headers, kind, hm)
    assert mapping.columns == dict(zip(headers, canonical, strict=True))
    assert mapping.unmapped == [] and mapping.missing_required == [] and mapping.conflicts == []


@pytest.mark.parametrize("file_name", list(DEMO_ZH))
def test_demo_zh_files_are_detected_by_name_and_by_headers_alone(hm: HeaderMap, file_name: str) -> None:
    kind, headers, _ = DEMO_ZH[file_name]
    by_name = detect_kind(file_name, headers.split(), hm)
    assert (by_name.kind, by_name.method) == (kind, "file name")
    by_headers = detect_kind("export.csv", headers.split(), hm)
    assert (by_headers.kind, by_headers.method) == (kind, "headers")


def test_first_listed_alias_wins_and_the_other_column_stays_unmapped(hm: HeaderMap) -> None:
    mapping = map_headers(["件数", "订单号", "数量", "日期"], "sales_orders", hm)
    assert mapping.columns == {"订单号": "order_id", "数量": "ordered_qty", "日期": "order_date"}
    assert mapping.unmapped == ["件数"]
    assert mapping.conflicts == ["'件数' also matches ordered_qty; using '数量' and ignoring '件数'"]
    assert mapping.missing_required == ["sku", "warehouse_id"]


def test_unit_in_brackets_is_a_second_chance_match(hm: HeaderMap) -> None:
    mapping = map_headers(["数量(件)", "单价（元）", "存货编码"], "sales_orders", hm)
    assert mapping.columns == {"数量(件)": "ordered_qty", "单价（元）": "unit_price", "存货编码": "sku"}
    # An exact label beats the same label with a unit.
    mapping = map_headers(["数量(件)", "数量"], "sales_orders", hm)
    assert mapping.columns == {"数量": "ordered_qty"} and mapping.unmapped == ["数量(件)"]


def test_discount_percent_label_matches_exactly(hm: HeaderMap) -> None:
    mapping = map_headers(["折扣(%)", "折扣（%）", "Discount (%)"], "promotions", hm)
    assert mapping.columns["折扣(%)"] == "discount_pct"
    assert len(mapping.conflicts) == 2


def test_missing_required_skips_columns_with_defaults(hm: HeaderMap) -> None:
    mapping = map_headers(["活动编号", "存货编码", "开始日期"], "promotions", hm)
    assert mapping.missing_required == ["end_date"]  # warehouse_id has a default and is optional


def test_u8_database_column_names_map_to_receipts(hm: HeaderMap) -> None:
    headers = ["ccode", "irowno", "ddate", "cwhcode", "cvencode", "cinvcode", "cInvName", "iquantity", "iunitcost",
               "cexch_name", "iinvexchrate", "cbatch"]  # fmt: skip
    detection = detect_kind("rdrecords01.csv", headers, hm)
    assert (detection.kind, detection.method) == ("receipts", "headers")
    mapping = map_headers(headers, "receipts", hm)
    assert mapping.columns == {
        "ccode": "receipt_id", "irowno": "line_no", "ddate": "receipt_date", "cwhcode": "warehouse_id",
        "cvencode": "supplier_id", "cinvcode": "sku", "iquantity": "received_qty", "iunitcost": "unit_cost",
        "cexch_name": "currency", "iinvexchrate": "unit_factor",
    }  # fmt: skip
    assert mapping.unmapped == ["cInvName", "cbatch"] and mapping.missing_required == []


def test_u8_item_master_database_columns(hm: HeaderMap) -> None:
    headers = ["cInvCode", "cInvName", "cInvStd", "cInvCCode", "iSafeNum", "iTopSum", "iLowSum"]
    mapping = map_headers(headers, "items", hm)
    assert list(mapping.columns.values()) == ["sku", "sku_name", "spec", "category", "safety_stock_qty", "max_qty",
                                              "min_qty"]  # fmt: skip


def test_kingdee_cloud_api_keys_map_to_sales_orders(hm: HeaderMap) -> None:
    headers = ["FBillNo", "FDate", "FCustomerID", "FMaterialId", "FStockId", "FMustQty", "FRealQty", "FPrice",
               "FTaxPrice", "FCURRENCYID"]  # fmt: skip
    detection = detect_kind("SAL_OUTSTOCK.csv", headers, hm)
    assert (detection.kind, detection.method) == ("sales_orders", "headers")
    mapping = map_headers(headers, "sales_orders", hm)
    assert mapping.columns == {
        "FBillNo": "order_id", "FDate": "order_date", "FCustomerID": "customer_id", "FMaterialId": "sku",
        "FStockId": "warehouse_id", "FMustQty": "ordered_qty", "FRealQty": "shipped_qty", "FPrice": "unit_price",
        "FCURRENCYID": "currency",
    }  # fmt: skip
    assert mapping.unmapped == ["FTaxPrice"]  # tax-inclusive price only when no net price exists


def test_kingdee_cloud_receipt_uses_real_quantity(hm: HeaderMap) -> None:
    headers = ["FBillNo", "FDate", "FSupplierId", "FMaterialId.FNumber", "FStockId", "FRealQty", "FTaxPrice"]
    mapping = map_headers(headers, "receipts", hm)
    assert mapping.columns["FRealQty"] == "received_qty"
    assert mapping.columns["FTaxPrice"] == "unit_cost"
    assert mapping.columns["FMaterialId.FNumber"] == "sku" and mapping.missing_required == []


def test_erpnext_purchase_order_export(hm: HeaderMap) -> None:
    headers = ["Purchase Order", "Transaction Date", "Supplier", "Item Code", "Item Name", "Warehouse", "Qty",
               "Rate", "Required By", "UOM", "Conversion Factor"]  # fmt: skip
    mapping = map_headers(headers, "purchase_orders", hm)
    assert mapping.columns == {
        "Purchase Order": "po_id", "Transaction Date": "order_date", "Supplier": "supplier_id",
        "Item Code": "sku", "Warehouse": "warehouse_id", "Qty": "ordered_qty", "Rate": "unit_cost",
        "Required By": "expected_date", "Conversion Factor": "unit_factor",
    }  # fmt: skip
    assert detect_kind("po_export.csv", headers, hm).kind == "purchase_orders"


def test_odoo_and_jiandaoyun_style_labels(hm: HeaderMap) -> None:
    odoo = map_headers(["Reference", "Source Document", "Date", "Product/Internal Reference", "Warehouse",
                        "Quantity"], "receipts", hm)  # fmt: skip
    assert odoo.columns == {"Reference": "receipt_id", "Source Document": "po_id", "Date": "receipt_date",
                            "Product/Internal Reference": "sku", "Warehouse": "warehouse_id",
                            "Quantity": "received_qty"}  # fmt: skip
    jdy = map_headers(["流水号", "提交时间", "产品编号", "仓库", "数量"], "stock_movements", hm)
    assert jdy.columns == {"流水号": "movement_id", "提交时间": "movement_date", "产品编号": "sku",
                           "仓库": "warehouse_id", "数量": "qty"}  # fmt: skip


# --- kind detection -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_english_demo_file_names_detect_their_kind(hm: HeaderMap, kind: str) -> None:
    suffix = ".xlsx" if KINDS[kind].is_master or kind == "promotions" else ".csv"
    detection = detect_kind(f"{kind}_20251231{suffix}", KINDS[kind].column_names, hm)
    assert (detection.kind, detection.method) == (kind, "file name")
    assert detection.scores[kind] == max(detection.scores.values())


@pytest.mark.parametrize(
    ("keyword", "kind"),
    [
        ("sales_order", "sales_orders"), ("purchase_order", "purchase_orders"), ("po_lines", "purchase_orders"),
        ("receipt", "receipts"), ("goods_receipt", "receipts"), ("stock_snapshot", "stock_snapshots"),
        ("on_hand", "stock_snapshots"), ("inventory_balance", "stock_snapshots"),
        ("stock_movement", "stock_movements"), ("stock_move", "stock_movements"),
        ("stock ledger", "stock_movements"), ("promotion", "promotions"), ("fx", "fx_rates"),
        ("exchange_rate", "fx_rates"), ("item master", "items"), ("product", "items"), ("sku_master", "items"),
        ("supplier", "suppliers"), ("vendor", "suppliers"), ("warehouse", "warehouses"),
        ("location", "warehouses"), ("存货档案", "items"), ("物料", "items"), ("商品档案", "items"),
        ("供应商", "suppliers"), ("仓库档案", "warehouses"), ("销售订单", "sales_orders"),
        ("销售出库", "sales_orders"), ("发货", "sales_orders"), ("采购订单", "purchase_orders"),
        ("采购入库", "receipts"), ("入库单", "receipts"), ("现存量", "stock_snapshots"),
        ("即时库存", "stock_snapshots"), ("收发存", "stock_snapshots"), ("库存快照", "stock_snapshots"),
        ("期末结存", "stock_snapshots"), ("其他出入库", "stock_movements"), ("调拨", "stock_movements"),
        ("盘点", "stock_movements"), ("库存调整", "stock_movements"), ("促销", "promotions"),
        ("汇率", "fx_rates"),
    ],
)  # fmt: skip
def test_required_file_keywords_select_their_kind(hm: HeaderMap, keyword: str, kind: str) -> None:
    detection = detect_kind(f"{keyword}_export.csv", [], hm)
    assert (detection.kind, detection.method) == (kind, "file name")


@pytest.mark.parametrize(
    ("file_name", "kind"),
    [
        ("采购入库单列表.csv", "receipts"),
        ("其他出入库明细.csv", "stock_movements"),
        ("采购订单明细.csv", "purchase_orders"),
        ("销售退货单.xlsx", "stock_movements"),
        ("产成品入库单.xls", "stock_movements"),
        ("存货收发存汇总表.xlsx", "stock_snapshots"),
        ("sales_order_items.csv", "sales_orders"),
        ("purchase_orders_by_supplier.csv", "purchase_orders"),
        ("/data/inbox/items/销售订单.csv", "sales_orders"),  # only the file name counts, not its folder
    ],
)
def test_longest_keyword_decides(hm: HeaderMap, file_name: str, kind: str) -> None:
    assert detect_kind(file_name, [], hm).kind == kind


def test_equal_length_keywords_of_two_kinds_fall_back_to_headers(hm: HeaderMap) -> None:
    headers = DEMO_ZH["采购订单明细.csv"][1].split()
    detection = detect_kind("采购订单与销售订单.csv", headers, hm)
    assert (detection.kind, detection.method) == ("purchase_orders", "headers")
    assert (
        "sales_orders and purchase_orders" in detection.reason
        or "purchase_orders and sales_orders" in detection.reason
    )


def test_sheet_name_is_used_when_the_file_name_says_nothing(hm: HeaderMap) -> None:
    detection = detect_kind("ERP导出.xlsx", ["编码", "名称"], hm, sheet_name="仓库档案")
    assert (detection.kind, detection.method) == ("warehouses", "sheet name")
    assert "仓库档案" in detection.reason


def test_headers_decide_when_several_kinds_would_fit(hm: HeaderMap) -> None:
    # Both PO and sales orders find their required columns; the PO explains more of the headers.
    headers = ["订单编号", "订单日期", "供应商编码", "存货编码", "仓库编码", "数量", "计划到货日期"]
    detection = detect_kind("export.csv", headers, hm)
    assert (detection.kind, detection.method) == ("purchase_orders", "headers")
    assert detection.scores["purchase_orders"] > detection.scores["sales_orders"] >= 1.0


def test_ambiguous_headers_leave_the_kind_undecided_with_advice(hm: HeaderMap) -> None:
    detection = detect_kind("export.csv", ["单据号", "日期", "存货编码", "仓库编码", "数量"], hm)
    assert detection.kind is None and detection.method == "none"
    assert detection.reason.startswith(
        "ambiguous: headers fit both sales_orders and receipts; rename the file"
    )
    assert "'sales_orders'" in detection.reason and "'采购入库'" in detection.reason
    assert detection.scores["sales_orders"] == detection.scores["receipts"]


def test_no_fit_names_the_closest_kind_and_what_it_lacks(hm: HeaderMap) -> None:
    detection = detect_kind("export.csv", ["存货编码", "仓库编码", "数量", "备注"], hm)
    assert detection.kind is None and detection.method == "none"
    assert detection.reason.startswith("no extract kind fits the headers")
    assert "the closest is stock_snapshots, which lacks snapshot_date" in detection.reason
    assert "'现存量'" in detection.reason  # a keyword to put in the file name


def test_unknown_headers_say_nothing_matched(hm: HeaderMap) -> None:
    detection = detect_kind("export.csv", ["foo", "bar"], hm)
    assert detection.kind is None
    assert detection.reason == "no header matches a known column of any extract kind"


# --- value mapping --------------------------------------------------------------------------


def test_map_values_line_status_aliases_and_case(hm: HeaderMap) -> None:
    values = pd.Series(["未关闭", "关闭", "作废", "Closed", " OPEN ", "挂起", None], dtype=object)
    mapped = map_values("sales_orders", "line_status", values, hm)
    assert mapped.tolist() == ["open", "closed", "cancelled", "closed", "open", "挂起", None]


def test_map_values_item_status(hm: HeaderMap) -> None:
    mapped = map_values(
        "items", "status", pd.Series(["启用", "停用", "Active", "disabled"], dtype=object), hm
    )
    assert mapped.tolist() == ["active", "discontinued", "active", "discontinued"]


@pytest.mark.parametrize(
    ("label", "movement_type"),
    [
        ("盘点调整", "adjustment"), ("调拨入库", "transfer_in"), ("调拨出库", "transfer_out"),
        ("销售退货", "customer_return"), ("采购退货", "supplier_return"), ("报废", "scrap"),
        ("产成品入库", "production_in"), ("材料出库", "production_out"), ("其他入库", "other_in"),
        ("其他出库", "other_out"), ("盘盈", "adjustment"), ("盘亏", "adjustment"), ("盘点", "adjustment"),
        ("Transfer In", "transfer_in"), ("stock reconciliation", "adjustment"), ("Material Issue", "other_out"),
    ],
)  # fmt: skip
def test_map_values_movement_types(hm: HeaderMap, label: str, movement_type: str) -> None:
    mapped = map_values("stock_movements", "movement_type", pd.Series([label], dtype=object), hm)
    assert mapped.iloc[0] == movement_type


def test_every_movement_type_value_alias_is_allowed(hm: HeaderMap) -> None:
    assert set(hm.values["stock_movements"]["movement_type"].values()) <= set(MOVEMENT_TYPES)


def test_directions_name_the_way_of_adjustment_labels_and_extend_from_a_user_yaml(
    tmp_path: Path, hm: HeaderMap
) -> None:
    """盘盈 and 盘亏 both map to adjustment, which goes either way; their labels still say which way."""
    from pipelines.ingest.extracts.rules import expected_signs

    kind = KINDS["stock_movements"]
    labels = ["盘盈", "盘亏出库", "盘点调整", "其他出库", "Transfer In", "报溢"]
    assert expected_signs(kind, labels, hm) == {"盘盈": 1, "盘亏出库": -1, "其他出库": -1, "Transfer In": 1}
    extra = _write(tmp_path, "stock_movements:\n  values: {movement_type: {报溢: adjustment}}\n"
                   "  directions: {movement_type: {报溢: in}}\n")  # fmt: skip
    assert expected_signs(kind, labels, load_header_map(extra))["报溢"] == 1
    assert expected_signs(KINDS["receipts"], labels, hm) == {}


def test_map_values_leaves_free_text_columns_alone(hm: HeaderMap) -> None:
    values = pd.Series(["618", "双11"], index=[5, 6], dtype=object)
    mapped = map_values("promotions", "promo_type", values, hm)
    assert mapped.tolist() == ["618", "双11"] and mapped.index.tolist() == [5, 6]


# --- user header maps -----------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "my_headers.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_yaml_adds_and_overrides_labels_keywords_and_values(tmp_path: Path) -> None:
    extra = _write(
        tmp_path,
        """
sales_orders:
  file_keywords: [出库流水]
  columns:
    ordered_qty: [发货数量]      # built in as shipped_qty
    sku: [货品代码]
  values:
    line_status: {挂起: open}
""",
    )
    hm = load_header_map(extra)
    assert hm.sources[-1] == extra
    assert hm.aliases["sales_orders"]["发货数量"] == "ordered_qty"
    assert hm.aliases["receipts"].get("发货数量") is None  # other kinds untouched
    mapping = map_headers(["数量", "发货数量", "货品代码"], "sales_orders", hm)
    assert mapping.columns == {"发货数量": "ordered_qty", "货品代码": "sku"}  # user labels come first
    assert detect_kind("2024出库流水.csv", [], hm).kind == "sales_orders"
    assert map_values("sales_orders", "line_status", pd.Series(["挂起"]), hm).tolist() == ["open"]
    # Built-in labels are still there.
    assert hm.aliases["sales_orders"]["存货编码"] == "sku"
    assert load_header_map().aliases["sales_orders"]["发货数量"] == "shipped_qty"


def test_empty_user_yaml_changes_nothing(tmp_path: Path, hm: HeaderMap) -> None:
    assert load_header_map(_write(tmp_path, "")).aliases == hm.aliases


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sales_orders: [unclosed", "not valid YAML"),
        ("invoices:\n  columns: {sku: [货号]}", "unknown extract kind 'invoices'"),
        ("items:\n  columns: {colour: [颜色]}", "items has no column 'colour'"),
        ("items:\n  columns: {sku: [No]}", "quote it"),
        ("items:\n  values: {status: {冻结: frozen}}", "not one of active, discontinued"),
        ("items:\n  columns: {sku: [代码], sku_name: [代码]}", "listed under both sku and sku_name"),
        ("items:\n  colums: {sku: [代码]}", "must be a mapping with keys"),
        ("stock_movements:\n  directions: {movement_type: {报溢: up}}", "must be in or out"),
        ("stock_movements:\n  directions: {reason: {报溢: in}}", "values of an enumerated column"),
        ("- items", "expected a mapping"),
    ],
)
def test_bad_user_yaml_raises_value_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text, name="broken_map.yml")
    with pytest.raises(ValueError, match="broken_map.yml") as info:
        load_header_map(path)
    assert message in str(info.value)


def test_missing_user_yaml_raises_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nowhere.yml"):
        load_header_map(tmp_path / "nowhere.yml")
