"""A generated noisy business catalog: many tables with pinyin-abbreviated names whose meaning is
only in their Chinese comments, sharing words with the demo's metro tables (站点, 线路, 客流...),
with foreign keys to their entity's main table and a few rows of low-cardinality values.

Deterministic: the same arguments give the same DDL, so questions can name their tables.
"""

from __future__ import annotations

import random

import asyncpg

from tests.helpers.pg import Databases
from txt2sql_api.demo.loader import load_demo

# (abbreviation, Chinese name) of the business entities.
ENTITIES = [
    ("hy", "会员"), ("dd", "订单"), ("sp", "商品"), ("md", "门店"), ("yg", "员工"),
    ("bm", "部门"), ("gys", "供应商"), ("ck", "仓库"), ("kc", "库存"), ("cl", "车辆"),
    ("sj", "司机"), ("gjxl", "公交线路"), ("gjzd", "公交站点"), ("cdz", "充电站"),
    ("jyz", "加油站"), ("kdwd", "快递网点"), ("kh", "客户"), ("ht", "合同"), ("fp", "发票"),
    ("fk", "付款"), ("xm", "项目"), ("sb", "设备"), ("gd", "工单"), ("xj", "巡检"),
    ("tcc", "停车场"), ("xq", "小区"), ("ld", "楼栋"), ("fw", "房屋"), ("xs", "学生"),
    ("js", "教师"), ("kcb", "课程"), ("yy", "医院"), ("ks", "科室"), ("ys", "医生"),
    ("hz", "患者"), ("yp", "药品"), ("hb", "航班"), ("jc", "机场"), ("jd", "酒店"),
    ("jq", "景区"), ("yk", "游客"), ("mp", "门票"), ("gg", "广告"), ("hd", "活动"),
    ("yhq", "优惠券"), ("jf", "积分"), ("ts", "投诉"), ("pj", "评价"), ("wl", "物流"),
    ("qs", "骑手"),
]  # fmt: skip

# (abbreviation, Chinese suffix) of the kinds of table kept per entity; "xx" is the main one.
KINDS = [
    ("xx", "信息"), ("mx", "明细"), ("rtj", "日统计"), ("yhz", "月汇总"), ("ls", "历史"),
    ("tz", "台账"), ("pz", "配置"), ("rz", "操作日志"), ("bgjl", "变更记录"), ("sh", "审核"),
    ("da", "档案"), ("qd", "清单"), ("fx", "分析"), ("bf", "备份"), ("kl", "客流统计"),
    ("ndtj", "年度统计"), ("zb", "周报"), ("pm", "排名"), ("yj", "预警"), ("khjl", "考核记录"),
]  # fmt: skip

# (abbreviation, Chinese name, SQL type) of the columns tables draw from.
COLUMNS = [
    ("mc", "名称", "varchar(64)"), ("zt", "状态", "varchar(8)"), ("lx", "类型", "varchar(16)"),
    ("rq", "日期", "date"), ("cjsj", "创建时间", "timestamptz"),
    ("gxsj", "更新时间", "timestamptz"), ("je", "金额（元）", "numeric(12,2)"),
    ("sl", "数量", "integer"), ("bz", "备注", "text"), ("dz", "地址", "varchar(128)"),
    ("dh", "联系电话", "varchar(20)"), ("fzr", "负责人", "varchar(32)"),
    ("ssqy", "所属区域", "varchar(16)"), ("dj", "等级", "varchar(8)"),
    ("pf", "评分", "numeric(3,1)"), ("kssj", "开始时间", "timestamptz"),
    ("jssj", "结束时间", "timestamptz"), ("cs", "城市", "varchar(16)"),
    ("jd", "经度", "numeric(9,6)"), ("wd", "纬度", "numeric(9,6)"), ("xl", "线路", "varchar(16)"),
    ("zd", "站点", "varchar(32)"), ("kll", "客流量（人次）", "integer"),
    ("sc", "时长（分钟）", "integer"), ("bm", "编码", "varchar(32)"), ("ms", "描述", "text"),
    ("bbh", "版本号", "integer"), ("czr", "操作人", "varchar(32)"),
    ("shzt", "审核状态", "varchar(8)"), ("yxq", "有效期", "date"),
]  # fmt: skip

VALUES = {
    "zt": ["正常", "停用", "注销"],
    "dj": ["普通", "银卡", "金卡", "钻石"],
    "cs": ["杭州", "宁波", "温州", "绍兴", "湖州"],
    "ssqy": ["华东区", "华南区", "华北区", "西南区"],
    "shzt": ["待审核", "已通过", "已驳回"],
    "lx": ["线上", "线下", "混合"],
}
COLUMNS_PER_TABLE = 20
ROWS_PER_TABLE = 12


def table_name(entity: int, kind: int) -> str:
    return f"{ENTITIES[entity][0]}{KINDS[kind][0]}"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _table_ddl(rng: random.Random, entity: int, kind: int, schema: str) -> list[str]:
    abbr, noun = ENTITIES[entity]
    name = table_name(entity, kind)
    main = table_name(entity, 0)
    comment = f"{noun}{KINDS[kind][1]}"
    picked = rng.sample(COLUMNS, COLUMNS_PER_TABLE - 2)
    key = f"{abbr}bh"
    columns = ["id bigint PRIMARY KEY"]
    comments = [("id", f"{comment}记录编号")]
    if kind == 0:
        columns.append(f"{key} varchar(16) NOT NULL UNIQUE")
        comments.append((key, f"{noun}编号"))
    else:
        columns.append(f"{key} varchar(16) NOT NULL REFERENCES {schema}.{main} ({key})")
        comments.append((key, f"{noun}编号，关联 {main}.{key}"))
    for col, label, sql_type in picked:
        check = ""
        if col == "dj" and kind == 0:
            check = f" CHECK (dj IN ({', '.join(map(_sql_literal, VALUES['dj']))}))"
        columns.append(f"{col} {sql_type}{check}")
        comments.append((col, f"{noun}{label}" if rng.random() < 0.5 else label))
    statements = [
        f"CREATE TABLE {schema}.{name} ({', '.join(columns)})",
        f"COMMENT ON TABLE {schema}.{name} IS {_sql_literal(comment)}",
    ]
    statements += [
        f"COMMENT ON COLUMN {schema}.{name}.{col} IS {_sql_literal(text)}" for col, text in comments
    ]
    statements.append(_rows(name, entity, picked, schema))
    return statements


def _rows(name: str, entity: int, picked: list[tuple[str, str, str]], schema: str) -> str:
    abbr = ENTITIES[entity][0]
    names = ["id", f"{abbr}bh"] + [col for col, _, _ in picked if col in VALUES]
    exprs = ["g", f"'{abbr.upper()}' || lpad(g::text, 4, '0')"] + [
        f"(ARRAY[{', '.join(map(_sql_literal, VALUES[col]))}])[1 + g % {len(VALUES[col])}]"
        for col, _, _ in picked
        if col in VALUES
    ]
    return (
        f"INSERT INTO {schema}.{name} ({', '.join(names)}) "
        f"SELECT {', '.join(exprs)} FROM generate_series(1, {ROWS_PER_TABLE}) AS g"
    )


def catalog_ddl(tables: int, *, schema: str = "public", seed: int = 7) -> str:
    """DDL and rows for `tables` tables (entities' main tables first, so references resolve)."""
    rng = random.Random(seed)
    per_entity = -(-tables // len(ENTITIES))
    if per_entity > len(KINDS):
        raise ValueError(f"at most {len(ENTITIES) * len(KINDS)} tables")
    order = [(e, k) for k in range(per_entity) for e in range(len(ENTITIES))][:tables]
    statements: list[str] = []
    for entity, kind in order:
        statements += _table_ddl(rng, entity, kind, schema)
    return ";\n".join(statements) + ";"


async def noisy_database(databases: Databases, tables: int) -> str:
    """A new database holding the demo and `tables` generated tables."""
    url = await databases.create()
    await load_demo(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(catalog_ddl(tables))
    finally:
        await conn.close()
    return url
