"""The product range of the demo company: categories with their products, specs, units and demand
character, and the brands. Text comes in (Chinese, English) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass


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
