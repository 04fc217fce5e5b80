"""The extract contract: the canonical columns of each ERP extract kind.

Pure data plus small helpers; no Dagster, no DuckDB. The README's "Extract contract" section is
written from this module (``stockflow contract`` prints it), so this is the single source of truth.

Conventions
- Quantities are in the item's base unit unless a ``unit_factor`` column (base units per
  document unit, U8 换算率) is present on the row; staging multiplies it in.
- Money columns are in the row's ``currency`` (default: the base currency); staging converts.
- ``required`` columns must be present and non-empty on every row; optional columns may be missing
  or blank. A column with a ``default`` takes it where the file lacks the column or leaves a cell blank.
- ``key`` columns identify a row across files: a later file's row with the same key
  supersedes the earlier one (ERPs re-export overlapping periods and corrections).
- A number beyond ``MAX_ABS_NUMBER`` in size or a date outside the ``DateWindow`` is an error (``bounds``);
  stock movement quantities are signed by their effect on stock (``MOVEMENT_DIRECTIONS``, ``rules``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingest.extracts.bounds import MAX_ABS_NUMBER as MAX_ABS_NUMBER
from pipelines.ingest.extracts.bounds import DateWindow as DateWindow

STRING = "string"
NUMBER = "number"
DATE = "date"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    required: bool
    description: str
    non_negative: bool = False
    positive: bool = False  # must be greater than 0 (an exchange rate: the models divide and test rate > 0)
    allowed: tuple[str, ...] | None = None  # accepted values (after lower-casing) for enumerations
    default: str | None = None  # value used when the column is missing from the file


@dataclass(frozen=True)
class ExtractKind:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # column -> referenced master kind. A row naming a value the master lacks rejects the file
    # (only SKUs and warehouses: suppliers and customers are checked downstream, as warnings).
    references: dict[str, str] = field(default_factory=dict)
    is_master: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _c(name, dtype, required, description, **kw) -> Column:
    return Column(name, dtype, required, description, **kw)


# Movement types and the sign of their qty: 0 either way (a count gain is +, a loss or write-down -), 1 only
# into the warehouse, -1 only out of it. Exported types that name a direction (盘盈, 盘亏) are listed under
# `directions` in header_map.yml. Checked by pipelines/ingest/extracts/rules.py on both ingest paths.
MOVEMENT_DIRECTIONS = {
    "adjustment": 0,  # stock count gain/loss (盘盈/盘亏, 调整)
    "transfer_in": 1,  # 调拨入库
    "transfer_out": -1,  # 调拨出库
    "customer_return": 1,  # 销售退货入库
    "supplier_return": -1,  # 采购退货出库
    "scrap": -1,  # 报废, 报损
    "production_in": 1,  # 产成品入库
    "production_out": -1,  # 材料出库
    "other_in": 1,  # 其他入库
    "other_out": -1,  # 其他出库
}
MOVEMENT_TYPES = tuple(MOVEMENT_DIRECTIONS)

KINDS: dict[str, ExtractKind] = {}


def _register(kind: ExtractKind) -> None:
    KINDS[kind.name] = kind


_register(
    ExtractKind(
        name="items",
        description="Item master (存货档案 / 物料): one row per SKU.",
        is_master=True,
        key=("sku",),
        columns=(
            _c("sku", STRING, True, "SKU code (存货编码 / 物料编码)."),
            _c("sku_name", STRING, True, "SKU name."),
            _c("spec", STRING, False, "Specification / model (规格型号)."),
            _c("category", STRING, False, "Category code or name (存货分类)."),
            _c("category_name", STRING, False, "Category name when category holds a code."),
            _c("brand", STRING, False, "Brand."),
            _c("uom", STRING, False, "Base unit of measure (主计量单位)."),
            _c("unit_cost", NUMBER, False, "Standard or reference cost per base unit.", non_negative=True),
            _c("unit_price", NUMBER, False, "List selling price per base unit.", non_negative=True),
            _c("currency", STRING, False, "Currency of unit_cost and unit_price (ISO code)."),
            _c("supplier_id", STRING, False, "Main supplier."),
            _c("moq", NUMBER, False, "Minimum order quantity (最小订货量).", non_negative=True),
            _c("pack_size", NUMBER, False, "Order multiple / pack size (批量增量).", non_negative=True),
            _c("max_order_qty", NUMBER, False, "Maximum order quantity.", non_negative=True),
            _c(
                "lead_time_days", NUMBER, False, "Purchase lead time in days (固定提前期).", non_negative=True
            ),
            _c("safety_stock_qty", NUMBER, False, "Hand-set safety stock (安全库存).", non_negative=True),
            _c("min_qty", NUMBER, False, "Hand-set minimum stock (最低库存).", non_negative=True),
            _c("max_qty", NUMBER, False, "Hand-set maximum stock (最高库存).", non_negative=True),
            _c("status", STRING, False, "active or discontinued.", allowed=("active", "discontinued")),
            _c("launch_date", DATE, False, "Date the SKU was introduced."),
            _c("discontinued_date", DATE, False, "Date the SKU was discontinued."),
        ),
    )
)

_register(
    ExtractKind(
        name="suppliers",
        description="Supplier master (供应商档案): one row per supplier.",
        is_master=True,
        key=("supplier_id",),
        columns=(
            _c("supplier_id", STRING, True, "Supplier code (供应商编码)."),
            _c("supplier_name", STRING, True, "Supplier name."),
            _c("country", STRING, False, "Country or region."),
            _c("currency", STRING, False, "Default purchase currency."),
            _c("lead_time_days", NUMBER, False, "Quoted lead time in days.", non_negative=True),
            _c("moq", NUMBER, False, "Supplier-level minimum order quantity.", non_negative=True),
            _c("order_days", STRING, False, "Weekdays the supplier accepts orders, e.g. 'Mon,Thu'."),
        ),
    )
)

_register(
    ExtractKind(
        name="warehouses",
        description="Warehouse master (仓库档案): one row per warehouse.",
        is_master=True,
        key=("warehouse_id",),
        columns=(
            _c("warehouse_id", STRING, True, "Warehouse code (仓库编码)."),
            _c("warehouse_name", STRING, True, "Warehouse name."),
            _c("city", STRING, False, "City."),
            _c("region", STRING, False, "Region."),
        ),
    )
)

_register(
    ExtractKind(
        name="sales_orders",
        description="Sales order lines (销售订单明细 / 销售出库): one row per order line, with what shipped.",
        key=("order_id", "line_no"),
        references={"sku": "items", "warehouse_id": "warehouses"},
        columns=(
            _c("order_id", STRING, True, "Sales order number (单据号)."),
            _c(
                "line_no",
                STRING,
                False,
                "Line number within the order (行号); when missing, the line's position within its document in the file.",
            ),
            _c("order_date", DATE, True, "Order date (单据日期)."),
            _c("sku", STRING, True, "SKU code."),
            _c("warehouse_id", STRING, True, "Shipping warehouse."),
            _c("ordered_qty", NUMBER, True, "Quantity ordered.", non_negative=True),
            _c("shipped_qty", NUMBER, False, "Quantity shipped so far (累计出库数量).", non_negative=True),
            _c("ship_date", DATE, False, "Date of the (last) shipment."),
            _c("requested_date", DATE, False, "Delivery date the customer asked for (预发货日期)."),
            _c("customer_id", STRING, False, "Customer code."),
            _c("customer_name", STRING, False, "Customer name."),
            _c("unit_price", NUMBER, False, "Selling price per document unit, excl. tax.", non_negative=True),
            _c("currency", STRING, False, "Currency of unit_price."),
            _c("unit_factor", NUMBER, False, "Base units per document unit (换算率).", non_negative=True),
            _c(
                "unit_cost",
                NUMBER,
                False,
                "Cost per document unit when the ERP exports it (成本单价).",
                non_negative=True,
            ),
            _c(
                "line_status",
                STRING,
                False,
                "open, closed (complete or short-closed) or cancelled.",
                allowed=("open", "closed", "cancelled"),
            ),
        ),
    )
)

_register(
    ExtractKind(
        name="purchase_orders",
        description="Purchase order lines (采购订单明细): one row per PO line.",
        key=("po_id", "line_no"),
        references={"sku": "items", "warehouse_id": "warehouses"},
        columns=(
            _c("po_id", STRING, True, "Purchase order number."),
            _c(
                "line_no",
                STRING,
                False,
                "Line number within the PO; when missing, the line's position within its document in the file.",
            ),
            _c("order_date", DATE, True, "PO date."),
            _c("supplier_id", STRING, True, "Supplier code."),
            _c("sku", STRING, True, "SKU code."),
            _c("warehouse_id", STRING, True, "Receiving warehouse."),
            _c("ordered_qty", NUMBER, True, "Quantity ordered.", non_negative=True),
            _c("expected_date", DATE, False, "Promised arrival date (计划到货日期)."),
            _c("unit_cost", NUMBER, False, "Purchase price per document unit, excl. tax.", non_negative=True),
            _c("currency", STRING, False, "Currency of unit_cost."),
            _c("unit_factor", NUMBER, False, "Base units per document unit.", non_negative=True),
            _c(
                "line_status",
                STRING,
                False,
                "open, closed or cancelled.",
                allowed=("open", "closed", "cancelled"),
            ),
        ),
    )
)

_register(
    ExtractKind(
        name="receipts",
        description="Purchase receipt lines (采购入库单): one row per receipt line; a PO line may arrive in parts.",
        key=("receipt_id", "line_no"),
        references={"sku": "items", "warehouse_id": "warehouses"},
        columns=(
            _c("receipt_id", STRING, True, "Receipt document number."),
            _c(
                "line_no",
                STRING,
                False,
                "Line number; when missing, the line's position within its document in the file.",
            ),
            _c("receipt_date", DATE, True, "Date the goods were received."),
            _c("sku", STRING, True, "SKU code."),
            _c("warehouse_id", STRING, True, "Receiving warehouse."),
            _c("received_qty", NUMBER, True, "Quantity received.", non_negative=True),
            _c("po_id", STRING, False, "Purchase order the receipt fulfils."),
            _c("po_line_no", STRING, False, "PO line the receipt fulfils."),
            _c("supplier_id", STRING, False, "Supplier code."),
            _c("unit_cost", NUMBER, False, "Cost per document unit, excl. tax.", non_negative=True),
            _c("currency", STRING, False, "Currency of unit_cost."),
            _c("unit_factor", NUMBER, False, "Base units per document unit.", non_negative=True),
        ),
    )
)

_register(
    ExtractKind(
        name="stock_snapshots",
        description="On-hand stock at a date (现存量 / 即时库存 / 收发存期末): one row per SKU x warehouse x date.",
        key=("snapshot_date", "sku", "warehouse_id"),
        references={"sku": "items", "warehouse_id": "warehouses"},
        columns=(
            _c("snapshot_date", DATE, True, "Date the count or balance refers to (end of day)."),
            _c("sku", STRING, True, "SKU code."),
            _c("warehouse_id", STRING, True, "Warehouse."),
            # ERPs such as U8 allow negative stock; it is loaded and flagged downstream, not rejected.
            _c("on_hand_qty", NUMBER, True, "On-hand quantity in base units (may be negative in some ERPs)."),
            _c("unit_cost", NUMBER, False, "Cost per base unit at the snapshot date.", non_negative=True),
            _c("stock_value", NUMBER, False, "On-hand value at cost.", non_negative=False),
            _c("currency", STRING, False, "Currency of unit_cost and stock_value."),
        ),
    )
)

_SIGNED_QTY = (
    "Signed quantity in base units: positive into the warehouse, negative out of it, whatever the type (a "
    "盘亏 write-down of 5 units is -5, a 盘盈 count gain of 3 is +3). adjustment takes either sign; "
    + ", ".join(t for t, d in MOVEMENT_DIRECTIONS.items() if d > 0)
    + " only 0 or more; "
    + ", ".join(t for t, d in MOVEMENT_DIRECTIONS.items() if d < 0)
    + " only 0 or less; an exported type that names its direction (盘盈, 盘亏) must agree with the sign. A "
    "row against its type's direction is an error: book a reversal (U8 红字) of an in or out line as an "
    "adjustment. A zero quantity loads and moves nothing."
)

_register(
    ExtractKind(
        name="stock_movements",
        description=(
            "Stock movements other than sales shipments and purchase receipts (those come from sales_orders "
            "and receipts): adjustments, transfers, returns, scrap, production. One row per movement line."
        ),
        key=("movement_id", "line_no"),
        references={"sku": "items", "warehouse_id": "warehouses"},
        columns=(
            _c("movement_id", STRING, True, "Document number."),
            _c(
                "line_no",
                STRING,
                False,
                "Line number; when missing, the line's position within its document in the file.",
            ),
            _c("movement_date", DATE, True, "Date of the movement."),
            _c("sku", STRING, True, "SKU code."),
            _c("warehouse_id", STRING, True, "Warehouse whose stock changes."),
            _c(
                "movement_type",
                STRING,
                True,
                "One of: " + ", ".join(MOVEMENT_TYPES) + ".",
                allowed=MOVEMENT_TYPES,
            ),
            _c("qty", NUMBER, True, _SIGNED_QTY),
            _c("counterpart_warehouse_id", STRING, False, "Other warehouse of a transfer."),
            _c("unit_cost", NUMBER, False, "Cost per base unit.", non_negative=True),
            _c("reason", STRING, False, "Free-text reason or 收发类别."),
        ),
    )
)

_register(
    ExtractKind(
        name="promotions",
        description="Promotions (促销活动): one row per promotion x SKU (x warehouse).",
        key=("promo_id", "sku", "warehouse_id"),
        references={"sku": "items", "warehouse_id": "warehouses"},
        columns=(
            _c("promo_id", STRING, True, "Promotion code."),
            _c("sku", STRING, True, "SKU code."),
            _c("warehouse_id", STRING, False, "Warehouse; blank means every warehouse.", default="*"),
            _c("start_date", DATE, True, "First day of the promotion."),
            _c("end_date", DATE, True, "Last day of the promotion."),
            _c("discount_pct", NUMBER, False, "Price discount in percent (20 = 20% off).", non_negative=True),
            _c("promo_type", STRING, False, "Type, e.g. discount, bundle, festival (618, 双11)."),
        ),
    )
)

_register(
    ExtractKind(
        name="fx_rates",
        description="Exchange rates (汇率): base-currency units per one unit of currency, by date.",
        is_master=True,
        key=("rate_date", "currency"),
        columns=(
            _c("rate_date", DATE, True, "Date from which the rate applies."),
            _c("currency", STRING, True, "ISO currency code, e.g. USD."),
            _c(
                "rate", NUMBER, True, "Base-currency units per one unit of currency (above 0).", positive=True
            ),
            _c(
                "base_currency",
                STRING,
                False,
                "Base currency of the rate (default: STOCKFLOW_BASE_CURRENCY).",
            ),
        ),
    )
)

# Load order within a run: masters first so transactions can be checked against them.
LOAD_ORDER = (
    "warehouses",
    "suppliers",
    "items",
    "fx_rates",
    "promotions",
    "purchase_orders",
    "receipts",
    "sales_orders",
    "stock_snapshots",
    "stock_movements",
)
assert set(LOAD_ORDER) == set(KINDS)


def contract_markdown() -> str:
    """The extract contract as Markdown (used for the README section and `stockflow contract`)."""
    out: list[str] = []
    for name in LOAD_ORDER:
        kind = KINDS[name]
        out.append(f"### {name}\n\n{kind.description} Key: `{', '.join(kind.key)}`.\n")
        out.append("| column | type | required | meaning |\n|---|---|---|---|")
        for c in kind.columns:
            out.append(f"| `{c.name}` | {c.dtype} | {'yes' if c.required else 'no'} | {c.description} |")
        out.append("")
    return "\n".join(out)
