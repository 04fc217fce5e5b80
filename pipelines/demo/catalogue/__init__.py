"""Master data of the demo company: categories, suppliers, warehouses, SKUs, customers and FX rates.

Everything here is drawn once from a seeded generator and held in numpy arrays indexed by position
(SKU ``i``, warehouse ``w``, supplier ``v``, customer ``c``). Text comes in Chinese and English pairs;
the ``lang`` of the run picks one. Codes (SKU, supplier, warehouse, customer) are the same in both
languages so that an English and a Chinese run of the same seed describe the same company.

Day numbers are offsets from the first day of history: day 0 is ``start``, day ``days - 1`` is ``end``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

BASE_CURRENCY = "CNY"
CURRENCIES = ("CNY", "USD", "EUR")  # index 0 is the base currency (rate 1)
FX_CENTRE = (1.0, 7.1, 7.8)
WEEKDAYS = (
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
)
NO_DAY = 10**6  # "never" for day-number columns such as the discontinuation day


@dataclass(frozen=True)
class Product:
    name: tuple[str, str]  # (zh, en)
    specs: tuple[str, ...]  # "zh|en", or one text for both languages
    uom: str  # Chinese unit; English from UOM_EN

    def spec(self, k: int, lang: str) -> str:
        zh, _, en = self.specs[k].partition("|")
        return en if lang == "en" and en else zh


@dataclass(frozen=True)
class Category:
    code: str
    name: tuple[str, str]  # (zh, en)
    products: tuple[Product, ...]
    cost_median: float  # CNY per base unit
    weekend: float  # Saturday/Sunday demand factor (a B2B distributor is quieter at weekends)
    season_amp: float  # yearly seasonality amplitude
    season_peak: int  # day of year with the seasonal peak
    spring_depth: float  # share of demand lost around the Spring Festival
    festival: float  # sensitivity to the 618 and 双11 shopping festivals


def _p(zh: str, en: str, uom: str, *specs: str) -> Product:
    return Product((zh, en), specs, uom)


UOM_EN = {
    "件": "pcs",
    "个": "pcs",
    "把": "pcs",
    "台": "pcs",
    "套": "set",
    "瓶": "bottle",
    "袋": "bag",
    "盒": "box",
    "包": "pack",
    "支": "tube",
    "双": "pair",
    "卷": "roll",
    "桶": "tub",
    "条": "pcs",
    "箱": "box",
    "副": "set",
    "本": "pcs",
    "顶": "pcs",
}
DRINKS = (
    ("矿泉水", "mineral water"),
    ("绿茶饮料", "green tea drink"),
    ("果汁", "fruit juice"),
    ("苏打水", "soda water"),
)

CATEGORIES: tuple[Category, ...] = (
    Category(
        "01",
        ("家居用品", "Home goods"),
        (
            _p("收纳盒", "storage box", "个", "大号|large", "中号|medium", "小号|small"),
            _p("毛巾", "towel", "条", "34x76cm", "70x140cm"),
            _p("衣架", "hanger set", "包", "10只装|10 pcs", "20只装|20 pcs"),
            _p("抱枕", "cushion", "个", "45x45cm", "50x50cm"),
            _p("晾衣夹", "peg set", "包", "24只装|24 pcs", "36只装|36 pcs"),
            _p("地垫", "floor mat", "件", "40x60cm", "60x90cm"),
        ),
        25.0,
        0.75,
        0.10,
        270,
        0.55,
        0.8,
    ),
    Category(
        "02",
        ("食品饮料", "Food & beverages"),
        (
            _p("矿泉水", "mineral water", "瓶", "550ml", "1.5L"),
            _p("绿茶饮料", "green tea drink", "瓶", "500ml", "1L"),
            _p("坚果礼盒", "nut gift box", "盒", "750g", "1.2kg"),
            _p("苏打饼干", "soda crackers", "袋", "400g", "800g"),
            _p("速溶咖啡", "instant coffee", "盒", "30条|30 sticks", "60条|60 sticks"),
            _p("果汁", "fruit juice", "瓶", "300ml", "1L"),
        ),
        8.0,
        0.85,
        0.25,
        200,
        0.60,
        0.5,
    ),
    Category(
        "03",
        ("电子配件", "Electronic accessories"),
        (
            _p("数据线", "USB cable", "条", "1m", "2m"),
            _p("充电器", "charger", "个", "20W", "65W"),
            _p("蓝牙耳机", "Bluetooth earphones", "副", "入耳式|in-ear", "头戴式|over-ear"),
            _p("移动电源", "power bank", "个", "10000mAh", "20000mAh"),
            _p("鼠标", "mouse", "个", "无线|wireless", "有线|wired"),
            _p("手机壳", "phone case", "个", "6.1寸|6.1 in", "6.7寸|6.7 in"),
        ),
        45.0,
        0.65,
        0.08,
        330,
        0.65,
        1.6,
    ),
    Category(
        "04",
        ("个护美妆", "Personal care & beauty"),
        (
            _p("洗发水", "shampoo", "瓶", "400ml", "750ml"),
            _p("面霜", "face cream", "瓶", "50g", "100g"),
            _p("牙膏", "toothpaste", "支", "120g", "180g"),
            _p("面膜", "face mask", "盒", "5片|5 sheets", "10片|10 sheets"),
            _p("沐浴露", "shower gel", "瓶", "500ml", "1L"),
            _p("护手霜", "hand cream", "支", "30g", "75g"),
        ),
        30.0,
        0.70,
        0.12,
        300,
        0.55,
        1.4,
    ),
    Category(
        "05",
        ("文具办公", "Stationery & office"),
        (
            _p("中性笔", "gel pen", "盒", "0.5mm 12支|0.5mm x12", "0.38mm 12支|0.38mm x12"),
            _p("笔记本", "notebook", "本", "A5", "B5"),
            _p("文件夹", "file folder", "个", "A4", "A4加厚|A4 heavy"),
            _p("便利贴", "sticky notes", "包", "76x76mm", "76x127mm"),
            _p("订书机", "stapler", "个", "12号|No. 12", "24/6"),
            _p(
                "复印纸",
                "copy paper",
                "包",
                "A4 70g 500张|A4 70g 500 sheets",
                "A4 80g 500张|A4 80g 500 sheets",
            ),
        ),
        12.0,
        0.45,
        0.20,
        240,
        0.70,
        0.6,
    ),
    Category(
        "06",
        ("母婴用品", "Mother & baby"),
        (
            _p("纸尿裤", "diapers", "包", "S码|S", "M码|M", "L码|L"),
            _p("奶瓶", "feeding bottle", "个", "160ml", "240ml"),
            _p("湿巾", "baby wipes", "包", "80抽|80 wipes", "80抽x3包|80 wipes x3"),
            _p("婴儿洗衣液", "baby detergent", "瓶", "1L", "2L"),
            _p("围兜", "bib", "条", "防水|waterproof", "硅胶|silicone"),
            _p("安抚奶嘴", "pacifier", "个", "0-6月|0-6 months", "6-18月|6-18 months"),
        ),
        40.0,
        0.80,
        0.06,
        60,
        0.50,
        1.3,
    ),
    Category(
        "07",
        ("厨房用品", "Kitchenware"),
        (
            _p("保鲜盒", "food container", "套", "三件套|3-piece", "五件套|5-piece"),
            _p("菜刀", "kitchen knife", "把", "切片刀|slicer", "斩骨刀|cleaver"),
            _p("不粘锅", "non-stick pan", "个", "26cm", "28cm"),
            _p("砧板", "chopping board", "个", "中号|medium", "大号|large"),
            _p("保温杯", "vacuum flask", "个", "350ml", "500ml"),
            _p("筷子", "chopsticks", "包", "10双装|10 pairs", "5双装|5 pairs"),
        ),
        35.0,
        0.75,
        0.10,
        20,
        0.55,
        1.1,
    ),
    Category(
        "08",
        ("清洁用品", "Cleaning supplies"),
        (
            _p("洗洁精", "dish soap", "瓶", "1.5kg", "500g"),
            _p(
                "垃圾袋", "garbage bags", "卷", "45x50cm 30只|45x50cm 30 bags", "60x80cm 20只|60x80cm 20 bags"
            ),
            _p("洗衣液", "laundry detergent", "瓶", "2kg", "3kg"),
            _p("抹布", "cleaning cloth", "包", "5片装|5 pcs", "10片装|10 pcs"),
            _p("拖把", "mop", "把", "平板|flat", "旋转|spin"),
            _p("消毒液", "disinfectant", "瓶", "500ml", "1L"),
        ),
        15.0,
        0.70,
        0.15,
        20,
        0.60,
        0.7,
    ),
    Category(
        "09",
        ("服饰配件", "Apparel accessories"),
        (
            _p("袜子", "socks", "包", "5双装|5 pairs", "3双装|3 pairs"),
            _p("帽子", "cap", "个", "均码|one size", "M"),
            _p("围巾", "scarf", "条", "180x30cm", "200x70cm"),
            _p("手套", "gloves", "双", "M", "L"),
            _p("腰带", "belt", "条", "110cm", "120cm"),
            _p("雨伞", "umbrella", "把", "三折|tri-fold", "长柄|long handle"),
        ),
        20.0,
        0.90,
        0.35,
        330,
        0.55,
        1.2,
    ),
    Category(
        "10",
        ("运动户外", "Sports & outdoors"),
        (
            _p("瑜伽垫", "yoga mat", "个", "6mm", "10mm"),
            _p("跳绳", "skipping rope", "条", "2.8m", "计数|counter"),
            _p("水壶", "sports bottle", "个", "750ml", "1L"),
            _p("护膝", "knee pad", "双", "M", "L"),
            _p("帐篷", "tent", "顶", "双人|2-person", "四人|4-person"),
            _p("登山杖", "trekking pole", "支", "三节|3-section", "四节|4-section"),
        ),
        50.0,
        0.95,
        0.30,
        160,
        0.60,
        1.0,
    ),
    Category(
        "11",
        ("宠物用品", "Pet supplies"),
        (
            _p("猫砂", "cat litter", "袋", "6L", "10L"),
            _p("狗粮", "dog food", "袋", "2kg", "10kg"),
            _p("宠物玩具", "pet toy", "个", "小号|small", "大号|large"),
            _p("猫抓板", "cat scratcher", "个", "45cm", "60cm"),
            _p("宠物碗", "pet bowl", "个", "单碗|single", "双碗|double"),
            _p("牵引绳", "leash", "条", "1.2m", "1.5m"),
        ),
        28.0,
        0.80,
        0.05,
        100,
        0.50,
        1.2,
    ),
    Category(
        "12",
        ("汽车用品", "Car accessories"),
        (
            _p("车载支架", "phone holder", "个", "出风口|vent clip", "吸盘|suction cup"),
            _p("脚垫", "car mat", "套", "五座|5-seat", "七座|7-seat"),
            _p("玻璃水", "screen wash", "桶", "2L", "1.3L"),
            _p("车载充电器", "car charger", "个", "双USB|dual USB", "PD快充|PD fast charge"),
            _p("座椅套", "seat cover", "套", "五座|5-seat", "通用|universal"),
            _p("香薰", "car fragrance", "瓶", "100ml", "8ml"),
        ),
        60.0,
        0.85,
        0.10,
        0,
        0.65,
        0.9,
    ),
)

BRANDS = (
    ("禾木", "Hemu"),
    ("云朵", "Yunduo"),
    ("青禾", "Qinghe"),
    ("安贝", "Anbei"),
    ("极客派", "Geekpai"),
    ("沐舒", "Mushu"),
    ("简作", "Jianzuo"),
    ("宜物", "Yiwu Home"),
    ("乐活", "Lehuo"),
    ("绿源", "Lvyuan"),
    ("星辰", "Xingchen"),
    ("贝乐", "Beile"),
    ("悦享", "Yuexiang"),
    ("匠心", "Jiangxin"),
    ("优choice", "Uchoice"),
    ("北极熊", "Polar Bear"),
    ("小麦田", "Wheatfield"),
    ("蓝鲸", "Blue Whale"),
    ("朗途", "Langtu"),
    ("橙子", "Orange"),
)

# (name zh, name en, city zh, city en, region zh, region en)
WAREHOUSES = (
    ("上海总仓", "Shanghai DC", "上海", "Shanghai", "华东", "East China"),
    ("广州仓", "Guangzhou warehouse", "广州", "Guangzhou", "华南", "South China"),
    ("成都仓", "Chengdu warehouse", "成都", "Chengdu", "西南", "Southwest China"),
    ("北京仓", "Beijing warehouse", "北京", "Beijing", "华北", "North China"),
    ("武汉仓", "Wuhan warehouse", "武汉", "Wuhan", "华中", "Central China"),
    ("西安仓", "Xi'an warehouse", "西安", "Xi'an", "西北", "Northwest China"),
    ("沈阳仓", "Shenyang warehouse", "沈阳", "Shenyang", "东北", "Northeast China"),
    ("杭州仓", "Hangzhou warehouse", "杭州", "Hangzhou", "华东", "East China"),
    ("重庆仓", "Chongqing warehouse", "重庆", "Chongqing", "西南", "Southwest China"),
    ("郑州仓", "Zhengzhou warehouse", "郑州", "Zhengzhou", "华中", "Central China"),
)

CITIES = (
    ("苏州", "Suzhou"),
    ("宁波", "Ningbo"),
    ("义乌", "Yiwu"),
    ("东莞", "Dongguan"),
    ("佛山", "Foshan"),
    ("温州", "Wenzhou"),
    ("厦门", "Xiamen"),
    ("青岛", "Qingdao"),
    ("天津", "Tianjin"),
    ("南京", "Nanjing"),
    ("长沙", "Changsha"),
    ("合肥", "Hefei"),
    ("昆明", "Kunming"),
    ("南昌", "Nanchang"),
    ("济南", "Jinan"),
    ("无锡", "Wuxi"),
    ("泉州", "Quanzhou"),
    ("汕头", "Shantou"),
    ("台州", "Taizhou"),
    ("石家庄", "Shijiazhuang"),
)
TRADE_NAMES = (
    ("恒通", "Hengtong"),
    ("鑫源", "Xinyuan"),
    ("华盛", "Huasheng"),
    ("联创", "Lianchuang"),
    ("宏达", "Hongda"),
    ("金桥", "Jinqiao"),
    ("永兴", "Yongxing"),
    ("佳美", "Jiamei"),
    ("瑞丰", "Ruifeng"),
    ("百汇", "Baihui"),
    ("新世纪", "Xinshiji"),
    ("天润", "Tianrun"),
    ("嘉禾", "Jiahe"),
    ("明辉", "Minghui"),
    ("正泰", "Zhengtai"),
    ("广源", "Guangyuan"),
    ("万家", "Wanjia"),
    ("东方", "Dongfang"),
    ("顺发", "Shunfa"),
    ("长城", "Changcheng"),
    ("锦程", "Jincheng"),
    ("福满", "Fuman"),
    ("海纳", "Haina"),
    ("启航", "Qihang"),
    ("美佳", "Meijia"),
    ("汇通", "Huitong"),
    ("隆盛", "Longsheng"),
    ("德润", "Derun"),
    ("盛世", "Shengshi"),
    ("优品", "Youpin"),
)
SUPPLIER_TRADES = (
    ("日用品", "Daily Goods"),
    ("食品", "Foods"),
    ("电子科技", "Electronics"),
    ("化妆品", "Cosmetics"),
    ("文化用品", "Stationery"),
    ("母婴用品", "Baby Products"),
    ("厨具", "Kitchenware"),
    ("清洁用品", "Cleaning Products"),
    ("服饰", "Apparel"),
    ("体育用品", "Sporting Goods"),
    ("宠物用品", "Pet Products"),
    ("汽车用品", "Auto Accessories"),
)
CUSTOMER_KINDS = (
    ("商贸有限公司", "Trading Co. Ltd"),
    ("超市", "Supermarket"),
    ("便利店", "Convenience Stores"),
    ("百货有限公司", "Department Store Co. Ltd"),
    ("电子商务有限公司", "E-commerce Co. Ltd"),
    ("贸易商行", "Trading Firm"),
)
IMPORTERS = (
    (("美国", "United States"), "USD", ("太平洋贸易", "Pacific Trading Inc")),
    (("越南", "Vietnam"), "USD", ("西贡制造", "Saigon Manufacturing JSC")),
    (("泰国", "Thailand"), "USD", ("暹罗工业", "Siam Industries Co")),
    (("马来西亚", "Malaysia"), "USD", ("马六甲贸易", "Malacca Trading Sdn Bhd")),
    (("德国", "Germany"), "EUR", ("莱茵家居", "Rhein Haushalt GmbH")),
    (("意大利", "Italy"), "EUR", ("米兰设计", "Milano Design SpA")),
    (("法国", "France"), "EUR", ("里昂美妆", "Lyon Beaute SA")),
    (("日本", "Japan"), "USD", ("大阪商事", "Osaka Shoji KK")),
)
PACK_SIZES = np.array([1, 6, 12, 24, 50, 100])


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


@dataclass
class Calendar:
    start: date
    end: date
    days: int
    dates: np.ndarray  # datetime64[D], one per day of history
    weekday: np.ndarray  # 0 = Monday
    yyyymmdd: np.ndarray  # int64 date stamps used in document numbers

    @classmethod
    def ending(cls, end: date, days: int) -> Calendar:
        start = end - timedelta(days=days - 1)
        dates = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        return cls(start, end, days, dates, weekday_of(dates), yyyymmdd_of(dates))

    def day(self, d: date) -> int:
        return (d - self.start).days


def weekday_of(dates: np.ndarray) -> np.ndarray:
    return ((dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(np.int8)  # 1970-01-01 = Thursday


def yyyymmdd_of(dates: np.ndarray) -> np.ndarray:
    y = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return y * 10000 + m * 100 + d


@dataclass
class Suppliers:
    ids: list[str]
    names: list[str]
    countries: list[str]
    currency: np.ndarray  # index into CURRENCIES
    lead_time: np.ndarray  # quoted lead time, days
    lead_bias: np.ndarray  # log-mean of actual / quoted lead time (> 0: often late)
    lead_sigma: np.ndarray  # log-sd of actual / quoted lead time
    split_prob: np.ndarray  # chance that a PO line arrives in two receipts
    moq: np.ndarray
    order_days: np.ndarray  # bool [n, 7]: weekdays the supplier takes orders
    categories: list[set[int]]  # categories the supplier sells


@dataclass
class Warehouses:
    ids: list[str]
    names: list[str]
    cities: list[str]
    regions: list[str]
    weight: np.ndarray  # demand of the warehouse relative to the main DC (about 1)


@dataclass
class Skus:
    ids: list[str]
    names: list[str]
    specs: list[str]
    category: np.ndarray  # index into Catalogue.categories
    brands: list[str]
    uoms: list[str]
    cost: np.ndarray  # reference cost at the start of history, CNY per base unit
    price: np.ndarray  # list price at the start of history, CNY per base unit
    supplier: np.ndarray
    moq: np.ndarray
    pack: np.ndarray
    max_order: np.ndarray  # 0 = no cap
    box: np.ndarray  # >1: sold by the box of this many base units (document unit in zh files)
    launch_day: np.ndarray  # day number of launch (negative: before history)
    disc_day: np.ndarray  # day number of discontinuation (NO_DAY: still active)
    rate: np.ndarray  # base demand, base units per day at a warehouse of weight 1
    shape: np.ndarray  # negative-binomial shape (small = lumpy)
    trend: np.ndarray  # yearly log growth
    promo_elasticity: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass
class Customers:
    ids: list[str]
    names: list[str]
    weight: np.ndarray
    home: np.ndarray  # home warehouse
    key_account: np.ndarray  # bool: buys from every warehouse
    discount: np.ndarray  # negotiated discount off list, fraction


@dataclass
class FxRates:
    dates: np.ndarray  # datetime64[D] business days
    rates: np.ndarray  # [len(CURRENCIES) - 1, len(dates)], CNY per unit
    daily: np.ndarray  # [len(CURRENCIES), days]: rate in force on each day of history (CNY row = 1)


@dataclass
class Catalogue:
    lang: str
    cal: Calendar
    categories: tuple[Category, ...]
    suppliers: Suppliers
    warehouses: Warehouses
    skus: Skus
    customers: Customers
    fx: FxRates

    @property
    def n_series(self) -> int:
        return self.skus.n * len(self.warehouses.ids)


def build_catalogue(
    rng: np.random.Generator,
    cal: Calendar,
    lang: str,
    n_skus: int,
    n_warehouses: int,
    n_customers: int | None,
) -> Catalogue:
    n_cat = 8 if n_skus < 100 else 10 if n_skus < 1000 else 12
    categories = CATEGORIES[:n_cat]
    suppliers = build_suppliers(rng, lang, n_skus, n_cat)
    warehouses = build_warehouses(rng, lang, n_warehouses)
    skus = build_skus(rng, lang, cal, categories, suppliers, n_skus)
    if n_customers is None:
        n_customers = int(np.clip(round(20 + n_skus * n_warehouses / 10), 50, 400))
    customers = build_customers(rng, lang, n_customers, n_warehouses)
    fx = build_fx(rng, cal)
    return Catalogue(lang, cal, categories, suppliers, warehouses, skus, customers, fx)


def build_suppliers(rng: np.random.Generator, lang: str, n_skus: int, n_cat: int) -> Suppliers:
    n = int(np.clip(round(n_skus / 25), 15, 40))
    n_import = max(2, round(n * 0.2))
    is_import = np.zeros(n, dtype=bool)
    is_import[rng.choice(n, n_import, replace=False)] = True
    # every category has at least one domestic supplier; the others cover one or two categories
    cats = [{v % n_cat} for v in range(n)]
    for v in range(n):
        if rng.random() < 0.4:
            cats[v].add(int(rng.integers(n_cat)))
    for c in range(n_cat):
        if not any(c in cats[v] and not is_import[v] for v in range(n)):
            domestic = np.flatnonzero(~is_import)
            cats[int(domestic[c % len(domestic)])].add(c)
    ids, names, countries = [], [], []
    currency = np.zeros(n, dtype=np.int8)
    trade_names = rng.permutation(len(TRADE_NAMES))
    imports = 0
    for v in range(n):
        ids.append(f"S{v + 1:03d}")
        if is_import[v]:
            country, ccy, firm = IMPORTERS[imports % len(IMPORTERS)]
            countries.append(pick(country, lang))
            currency[v] = CURRENCIES.index(ccy)
            names.append(
                pick(firm, lang) + ("" if imports < len(IMPORTERS) else f" {imports // len(IMPORTERS) + 1}")
            )
            imports += 1
        else:
            city = CITIES[int(rng.integers(len(CITIES)))]
            trade = TRADE_NAMES[int(trade_names[v % len(TRADE_NAMES)])]
            goods = SUPPLIER_TRADES[min(cats[v]) % len(SUPPLIER_TRADES)]
            countries.append(pick(("中国", "China"), lang))
            if lang == "zh":
                names.append(f"{city[0]}{trade[0]}{goods[0]}有限公司")
            else:
                names.append(f"{city[1]} {trade[1]} {goods[1]} Co. Ltd")
    lead_time = np.where(is_import, rng.integers(25, 46, n), rng.integers(5, 22, n))
    late = rng.random(n) < 0.3
    lead_bias = np.where(late, rng.uniform(0.1, 0.3, n), rng.uniform(-0.2, -0.1, n))
    order_days = np.zeros((n, 7), dtype=bool)
    for v in range(n):
        k = int(rng.choice([1, 2, 2, 3, 5]))
        order_days[v, np.sort(rng.choice(5, k, replace=False))] = True
    return Suppliers(
        ids,
        names,
        countries,
        currency,
        lead_time.astype(np.int64),
        lead_bias,
        rng.uniform(0.1, 0.4, n),
        rng.uniform(0.02, 0.15, n),
        rng.choice([0, 0, 0, 24, 50, 100], n).astype(np.int64),
        order_days,
        cats,
    )


def build_warehouses(rng: np.random.Generator, lang: str, n: int) -> Warehouses:
    width = max(2, len(str(n)))
    ids, names, cities, regions = [], [], [], []
    for w in range(n):
        ids.append(f"W{w + 1:0{width}d}")
        if w < len(WAREHOUSES):
            row = WAREHOUSES[w]
            names.append(pick(row[0:2], lang))
            cities.append(pick(row[2:4], lang))
            regions.append(pick(row[4:6], lang))
        else:
            names.append(f"区域仓{w + 1}" if lang == "zh" else f"Regional warehouse {w + 1}")
            cities.append("")
            regions.append("")
    weight = 1.0 / (1.0 + 0.25 * np.arange(n)) * rng.uniform(0.85, 1.15, n)  # the main DC is the largest
    return Warehouses(ids, names, cities, regions, weight)


def build_skus(
    rng: np.random.Generator,
    lang: str,
    cal: Calendar,
    categories: tuple[Category, ...],
    suppliers: Suppliers,
    n: int,
) -> Skus:
    n_cat = len(categories)
    cat = rng.choice(n_cat, n, p=_normalise(rng.uniform(0.5, 1.5, n_cat)))
    if n >= n_cat:
        cat[:n_cat] = np.arange(n_cat)  # every category has a SKU
    cat = np.sort(cat)
    ids, names, specs, brands, uoms = [], [], [], [], []
    serial = np.zeros(n_cat, dtype=int)
    brand_of_cat = [rng.choice(len(BRANDS), 4, replace=False) for _ in range(n_cat)]
    for i in range(n):
        c = categories[cat[i]]
        serial[cat[i]] += 1
        ids.append(f"{c.code}-{serial[cat[i]]:05d}")
        brand = BRANDS[int(rng.choice(brand_of_cat[cat[i]]))]
        product = c.products[int(rng.integers(len(c.products)))]
        brands.append(pick(brand, lang))
        names.append(f"{brand[0]}{product.name[0]}" if lang == "zh" else f"{brand[1]} {product.name[1]}")
        specs.append(product.spec(int(rng.integers(len(product.specs))), lang))
        uoms.append(product.uom if lang == "zh" else UOM_EN[product.uom])
    medians = np.array([categories[k].cost_median for k in cat])
    cost = np.round(medians * rng.lognormal(0.0, 0.6, n), 2).clip(0.5)
    margin = rng.uniform(0.20, 0.45, n)
    price = np.round(cost / (1 - margin), 2)
    supplier = np.array([_choose_supplier(rng, suppliers, int(k)) for k in cat], dtype=np.int64)
    # cheap items come in bigger packs; the supplier's MOQ applies on top of the item's
    level = len(PACK_SIZES) - 1 - np.digitize(cost, [4, 10, 25, 60, 200]) - rng.integers(0, 2, n)
    pack = PACK_SIZES[np.clip(level, 0, len(PACK_SIZES) - 1)].astype(np.int64)
    supplier_moq = -(-suppliers.moq[supplier] // pack) * pack
    moq = np.maximum(pack * rng.choice([1, 1, 2, 4, 10], n), supplier_moq).astype(np.int64)
    box = np.ones(n, dtype=np.int64)
    boxed = _boxed_skus(rng, cat, n)
    box[boxed] = rng.choice([12, 24], len(boxed))
    pack[boxed] = box[boxed]
    moq[boxed] = np.maximum(moq[boxed] // box[boxed], 1) * box[boxed]
    for i in boxed:  # drinks, sold by the case
        drink = DRINKS[int(rng.integers(len(DRINKS)))]
        names[i] = f"{brands[i]}{drink[0]}" if lang == "zh" else f"{brands[i]} {drink[1]}"
        specs[i] = f"{rng.choice(['330ml', '500ml', '1L'])}x{box[i]}"
        uoms[i] = pick(("瓶", "bottle"), lang)
    max_order = np.where(rng.random(n) < 0.05, moq * 20, 0).astype(np.int64)
    launch_day, disc_day = _lifecycle(rng, cal, n)
    # heavy-tailed popularity: a few best sellers and a long, intermittent tail
    rate = rng.lognormal(np.log(0.8), 1.15, n).clip(0.03, 400.0)
    shape = np.clip(0.6 + 0.6 * rate**0.5, 0.5, 6.0) * rng.uniform(0.7, 1.3, n)
    trend = rng.normal(0.0, 0.15, n)
    return Skus(
        ids,
        names,
        specs,
        cat,
        brands,
        uoms,
        cost,
        price,
        supplier,
        moq,
        pack,
        max_order,
        box,
        launch_day,
        disc_day,
        rate,
        shape,
        trend,
        rng.uniform(2.0, 4.0, n),
    )


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / x.sum()


def _choose_supplier(rng: np.random.Generator, suppliers: Suppliers, category: int) -> int:
    options = [v for v, cats in enumerate(suppliers.categories) if category in cats]
    weights = np.linspace(1.0, 0.3, len(options))
    return int(options[int(rng.choice(len(options), p=weights / weights.sum()))])


def _boxed_skus(rng: np.random.Generator, cat: np.ndarray, n: int) -> np.ndarray:
    """A few food & beverage SKUs (drinks by the case) are sold by the box of 12 or 24."""
    food = np.flatnonzero(cat == 1)
    if len(food) == 0:
        return food
    k = max(1, round(0.04 * n))
    return np.sort(rng.choice(food, min(k, len(food)), replace=False))


def _lifecycle(rng: np.random.Generator, cal: Calendar, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Launch and discontinuation days: most SKUs predate history, some launch or end during it."""
    days = cal.days
    launch = -rng.integers(60, 6 * 365, n)
    disc = np.full(n, NO_DAY, dtype=np.int64)
    order = rng.permutation(n)
    n_new = max(1, round(0.10 * n))
    n_gone = max(1, round(0.08 * n))
    n_legacy = max(1, round(0.04 * n))
    new, gone, legacy = (
        order[:n_new],
        order[n_new : n_new + n_gone],
        order[n_new + n_gone : n_new + n_gone + n_legacy],
    )
    launch[new] = rng.integers(int(days * 0.1), max(int(days * 0.1) + 1, days - 45), len(new))
    disc[gone] = rng.integers(int(days * 0.2), max(int(days * 0.2) + 1, int(days * 0.75)), len(gone))
    disc[legacy] = -rng.integers(30, 400, len(legacy))  # discontinued before history, stock left over
    launch[legacy] = disc[legacy] - rng.integers(365, 4 * 365, len(legacy))
    return launch.astype(np.int64), disc


def build_customers(rng: np.random.Generator, lang: str, n: int, n_warehouses: int) -> Customers:
    combos = len(CITIES) * len(TRADE_NAMES) * len(CUSTOMER_KINDS)
    picks = rng.choice(combos, n, replace=combos < n)
    ids, names = [], []
    for c, p in enumerate(picks):
        city = CITIES[p % len(CITIES)]
        trade = TRADE_NAMES[(p // len(CITIES)) % len(TRADE_NAMES)]
        kind = CUSTOMER_KINDS[p // (len(CITIES) * len(TRADE_NAMES))]
        ids.append(f"C{c + 1:04d}")
        suffix = "" if combos >= n or c < combos else f" {c}"
        names.append(
            (f"{city[0]}{trade[0]}{kind[0]}" if lang == "zh" else f"{city[1]} {trade[1]} {kind[1]}") + suffix
        )
    weight = rng.pareto(1.2, n) + 0.2
    home = rng.integers(0, n_warehouses, n)
    home[:n_warehouses] = np.arange(min(n, n_warehouses))  # every warehouse has a customer
    key = rng.random(n) < 0.08
    discount = np.where(key, rng.uniform(0.03, 0.08, n), rng.choice([0.0, 0.0, 0.02, 0.05], n))
    return Customers(ids, names, weight, home, key, discount)


def build_fx(rng: np.random.Generator, cal: Calendar) -> FxRates:
    """Business-day USD and EUR rates: a mean-reverting random walk around 7.1 and 7.8 CNY."""
    first = np.datetime64(cal.start, "D") - 10
    all_days = np.arange(first, np.datetime64(cal.end, "D") + 1)
    business = all_days[weekday_of(all_days) < 5]
    n_ccy = len(CURRENCIES) - 1
    log_rate = np.zeros((n_ccy, len(business)))
    centre = np.log(np.array(FX_CENTRE[1:]))
    x = centre + rng.normal(0, 0.01, n_ccy)
    shocks = rng.normal(0, 0.003, (len(business), n_ccy))
    for k in range(len(business)):
        x = x + 0.01 * (centre - x) + shocks[k]
        log_rate[:, k] = x
    rates = np.round(np.exp(log_rate), 4)
    idx = (
        np.searchsorted(business, cal.dates, side="right") - 1
    )  # the last rate published on or before the day
    daily = np.ones((len(CURRENCIES), cal.days))
    daily[1:] = rates[:, idx]
    return FxRates(business, rates, daily)
