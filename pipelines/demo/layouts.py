"""The export layout of each extract kind: its file name in either language, and for the Chinese
(U8-style) exports the file's title, the Chinese header of every canonical column in file order, the
columns summed on the ``合计`` row and the filter row's labels. The Chinese rendering has one more file,
``OPENING_BALANCES``: U8's 期初结存 sheet of the opening stock.

The canonical column names are those of ``pipelines.ingest.extracts.schema``; ``writers`` writes the
files from these layouts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    kind: str
    fmt: str  # "csv" or "xlsx"
    zh_file: str
    zh_title: str
    zh_headers: dict[str, str]  # canonical column -> Chinese header, in file order
    sums: tuple[str, ...] = ()  # canonical columns summed on the 合计 row
    period: str | None = "日期"  # label of the date range in the filter row (None: a master list)
    scope: str = "仓库: 全部"  # the other filter shown in the filter row
    opening: bool = False  # balances at the start of the first day (期初), not at the end of a day


def _h(*pairs: str) -> dict[str, str]:
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


LAYOUTS: dict[str, Layout] = {
    layout.kind: layout
    for layout in (
        Layout(
            "warehouses",
            "xlsx",
            "仓库档案.xlsx",
            "仓库档案",
            _h("warehouse_id", "仓库编码", "warehouse_name", "仓库名称", "city", "城市", "region", "地区"),
            period=None,
            scope="状态: 全部",
        ),
        Layout(
            "suppliers",
            "csv",
            "供应商档案.csv",
            "供应商档案",
            _h(
                "supplier_id",
                "供应商编码",
                "supplier_name",
                "供应商名称",
                "country",
                "国家",
                "currency",
                "币种",
                "lead_time_days",
                "供货周期",
                "moq",
                "最小订货量",
                "order_days",
                "订货日",
            ),
            period=None,
            scope="状态: 全部",
        ),
        Layout(
            "items",
            "xlsx",
            "存货档案.xlsx",
            "存货档案",
            _h(
                "sku",
                "存货编码",
                "sku_name",
                "存货名称",
                "spec",
                "规格型号",
                "category",
                "存货分类编码",
                "category_name",
                "存货分类名称",
                "brand",
                "品牌",
                "uom",
                "主计量单位",
                "unit_cost",
                "参考成本",
                "unit_price",
                "参考售价",
                "currency",
                "币种",
                "supplier_id",
                "主供应商编码",
                "moq",
                "最小订货量",
                "pack_size",
                "批量增量",
                "max_order_qty",
                "最大订货量",
                "lead_time_days",
                "固定提前期",
                "safety_stock_qty",
                "安全库存",
                "min_qty",
                "最低库存",
                "max_qty",
                "最高库存",
                "status",
                "状态",
                "launch_date",
                "启用日期",
                "discontinued_date",
                "停用日期",
            ),
            period=None,
            scope="存货分类: 全部",
        ),
        Layout(
            "fx_rates",
            "xlsx",
            "汇率表.xlsx",
            "汇率表",
            _h("rate_date", "日期", "currency", "币种", "rate", "汇率", "base_currency", "本位币"),
            scope="币种: 全部",
        ),
        Layout(
            "promotions",
            "xlsx",
            "促销活动.xlsx",
            "促销活动",
            _h(
                "promo_id",
                "活动编号",
                "sku",
                "存货编码",
                "warehouse_id",
                "仓库编码",
                "start_date",
                "开始日期",
                "end_date",
                "结束日期",
                "discount_pct",
                "折扣(%)",
                "promo_type",
                "活动类型",
            ),
        ),
        Layout(
            "purchase_orders",
            "csv",
            "采购订单明细.csv",
            "采购订单明细表",
            _h(
                "po_id",
                "订单编号",
                "line_no",
                "行号",
                "order_date",
                "订单日期",
                "supplier_id",
                "供应商编码",
                "sku",
                "存货编码",
                "warehouse_id",
                "仓库编码",
                "ordered_qty",
                "数量",
                "expected_date",
                "计划到货日期",
                "unit_cost",
                "原币无税单价",
                "currency",
                "币种",
                "unit_factor",
                "换算率",
                "line_status",
                "行状态",
            ),
            sums=("ordered_qty",),
        ),
        Layout(
            "receipts",
            "csv",
            "采购入库单列表.csv",
            "采购入库单列表",
            _h(
                "receipt_id",
                "入库单号",
                "line_no",
                "行号",
                "receipt_date",
                "入库日期",
                "sku",
                "存货编码",
                "warehouse_id",
                "仓库编码",
                "received_qty",
                "数量",
                "po_id",
                "订单号",
                "po_line_no",
                "订单行号",
                "supplier_id",
                "供应商编码",
                "unit_cost",
                "原币无税单价",
                "currency",
                "币种",
                "unit_factor",
                "换算率",
            ),
            sums=("received_qty",),
        ),
        Layout(
            "sales_orders",
            "csv",
            "销售订单执行明细.csv",
            "销售订单执行明细表",
            _h(
                "order_id",
                "订单号",
                "line_no",
                "行号",
                "order_date",
                "订单日期",
                "sku",
                "存货编码",
                "warehouse_id",
                "仓库编码",
                "ordered_qty",
                "数量",
                "shipped_qty",
                "累计出库数量",
                "ship_date",
                "出库日期",
                "requested_date",
                "预发货日期",
                "customer_id",
                "客户编码",
                "customer_name",
                "客户名称",
                "unit_price",
                "无税单价",
                "currency",
                "币种",
                "unit_factor",
                "换算率",
                "line_status",
                "行状态",
            ),
            sums=("ordered_qty", "shipped_qty"),
        ),
        Layout(
            "stock_snapshots",
            "csv",
            "现存量月末快照.csv",
            "现存量月末快照",
            _h(
                "snapshot_date",
                "结存日期",
                "sku",
                "存货编码",
                "warehouse_id",
                "仓库编码",
                "on_hand_qty",
                "结存数量",
                "unit_cost",
                "结存单价",
                "stock_value",
                "结存金额",
                "currency",
                "币种",
            ),
            sums=("on_hand_qty", "stock_value"),
            period="结存日期",
        ),
        Layout(
            "stock_movements",
            "csv",
            "其他出入库明细.csv",
            "其他出入库明细表",
            _h(
                "movement_id",
                "单据号",
                "line_no",
                "行号",
                "movement_date",
                "单据日期",
                "sku",
                "存货编码",
                "warehouse_id",
                "仓库编码",
                "movement_type",
                "业务类型",
                "qty",
                "数量",
                "counterpart_warehouse_id",
                "对方仓库",
                "unit_cost",
                "单位成本",
                "reason",
                "备注",
            ),
            sums=("qty",),
        ),
    )
}


# U8's 期初结存 sheet (收发存汇总表's opening columns, as exported for a period's first day): the stock at the
# start of the history's first day, with the warehouse's and the item's names. Chinese rendering only; ingest
# maps 期初数量 / 期初金额 to a stock snapshot dated the day before (the opening of D is the close of D-1).
OPENING_BALANCES = Layout(
    "stock_snapshots",
    "xlsx",
    "期初结存.xlsx",
    "收发存汇总表(期初结存)",
    _h(
        "snapshot_date",
        "日期",
        "warehouse_id",
        "仓库编码",
        "warehouse_name",
        "仓库",
        "sku",
        "存货编码",
        "sku_name",
        "存货名称",
        "spec",
        "规格型号",
        "uom",
        "计量单位",
        "on_hand_qty",
        "期初数量",
        "unit_cost",
        "单价",
        "stock_value",
        "期初金额",
    ),
    sums=("on_hand_qty", "stock_value"),
    period="期初日期",
    opening=True,
)


def file_name(layout: Layout, lang: str, end: date, fmt: str | None = None) -> str:
    fmt = fmt or layout.fmt
    if lang == "zh":
        return layout.zh_file if fmt == layout.fmt else f"{Path(layout.zh_file).stem}.{fmt}"
    return f"{layout.kind}_{end:%Y%m%d}.{fmt}"


def extract_format(layout: Layout, text_format: str) -> str:
    """The file format of a layout when text extracts are written as ``text_format`` ("csv" or
    "parquet"); workbooks stay workbooks."""
    return text_format if layout.fmt == "csv" else layout.fmt
