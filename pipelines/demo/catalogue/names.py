"""Name tables of the company's sites and partners: warehouses, cities, trade names, customer kinds and
the importers; each text is a (Chinese, English) pair, and ``pick`` chooses the run's language.
"""

from __future__ import annotations

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


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]
