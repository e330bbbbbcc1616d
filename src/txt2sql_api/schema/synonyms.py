"""Words that mean the same in business Chinese, for every database: a question that says 消费总额
finds a column commented 订单总金额, and 按数量 an uncommented `quantity` or a pinyin `sl`.

Each group lists Chinese words, English words and the pinyin abbreviations that schemas name
columns with (`je` 金额, `sl` 数量, `rq` 日期). A group word found in the question makes the
other words of its group count as the question's terms, a little below its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from txt2sql_api.text import PhraseIndex

GROUPS: tuple[tuple[str, ...], ...] = (
    ("金额", "总额", "总金额", "消费", "消费额", "销售额", "营业额", "营收", "收入", "流水",
     "amount", "amt", "je", "zje"),
    ("数量", "件数", "个数", "多少件", "销量", "qty", "quantity", "units", "num", "sl"),
    ("销售", "销售额", "销量", "卖出", "售出", "卖了", "sales", "sold", "sale", "xs"),
    ("日期", "时间", "时候", "何时", "哪天", "date", "time", "rq", "sj"),
    ("客户", "会员", "顾客", "用户", "买家", "customer", "member", "user", "kh", "hy"),
    ("员工", "职工", "人员", "雇员", "员工号", "employee", "staff", "yg", "zg"),
    ("门店", "店铺", "网点", "分店", "商店", "store", "shop", "md"),
    ("商品", "产品", "货品", "物品", "product", "goods", "item", "sku", "sp"),
    ("价格", "单价", "售价", "价钱", "price", "jg"),
    ("部门", "科室", "department", "dept", "bm"),
    ("工资", "薪资", "薪水", "薪酬", "salary", "wage", "gz", "xz"),
    ("供应商", "厂商", "供货商", "supplier", "vendor", "gys"),
    ("库存", "存货", "inventory", "stock", "kc"),
    ("退货", "退款", "refund", "return", "th", "tk"),
    ("类别", "类型", "分类", "品类", "category", "type", "lb", "lx"),
    ("利润", "毛利", "盈利", "profit", "margin", "lr"),
    ("成本", "费用", "花费", "cost", "expense", "cb", "fy"),
    ("折扣", "优惠", "discount", "zk"),
    ("地址", "住址", "address", "dz"),
    ("电话", "手机", "联系方式", "phone", "mobile", "tel", "dh"),
    ("联系方式", "邮箱", "电子邮件", "email", "mail", "yx"),
    ("离职", "辞职", "left", "resigned", "quit", "lz"),
    ("招聘", "在招", "招人", "recruiting", "hiring", "zp"),
    ("城市", "地区", "city", "region", "cs"),
    ("名称", "名字", "姓名", "name", "mc", "xm"),
    ("订单", "单据", "order", "dd"),
    ("状态", "status", "state", "zt"),
)  # fmt: skip
# A synonym's term counts this much of the question's own.
SYNONYM_FACTOR = 0.8


@dataclass(frozen=True)
class Synonym:
    """`word` of the question stands also for `other`."""

    word: str
    other: str


class Synonyms:
    def __init__(self, groups: Sequence[Sequence[str]] = GROUPS) -> None:
        self._groups = [tuple(group) for group in groups]
        self._phrases: PhraseIndex[int] = PhraseIndex()
        for number, group in enumerate(self._groups):
            for word in group:
                self._phrases.add(word, number)

    def of(self, text: str) -> Iterable[Synonym]:
        """Each other word of the groups whose words occur in `text`."""
        for start, end, numbers in self._phrases.find(text):
            word = text[start:end]
            for number in sorted(numbers):
                for other in self._groups[number]:
                    if other.casefold() != word.casefold():
                        yield Synonym(word, other)


BUILT_IN = Synonyms()
