"""One word per concept in both catalogues (PRODUCT.md's glossary, kept here as a table).

Each concept has its English term and its one Chinese term; a Chinese synonym of it
appears in no message. Chinese messages use the full-width colon, and the display
names of the enums (badges, states) are capitalised in English.
"""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from stockapp.models import (
    accounts,
    imports,
    ledger,
    orders,
    purchasing,
    supplier_returns,
    warehouse,
)
from stockapp.models.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parents[2]

# English term (a msgid) → the one Chinese term, from PRODUCT.md's glossary and the
# words the screens settled on where it has none (damaged: 残次; the default location).
GLOSSARY = {
    "Product": "商品",
    "Size": "尺码",
    "Colour": "颜色",
    "Variant": "SKU",
    "Location": "货位",
    "Inbound": "入库",
    "Receipt": "入库单",
    "Stocktake": "盘点",
    "Return": "退货",
    "Write-off": "报损",
    "Return to supplier": "退供应商",
    "Bin move": "移库",
    "Stock logs": "库存日志",
    "Operator": "经手人",
    "Size group": "尺码组",
    "Opening stock": "期初库存",
    "Audit trail": "操作日志",
    "Supplier": "供应商",
    "Allocation orders": "配货单",
    "Complete order": "配货完成",
    "Damaged": "残次",
    "Default location": "默认货位",
    "Completed": "已完成",
    "Waiting for approval": "待审核",
}

# Concepts whose English word, wherever a message uses it, is said with the one Chinese
# term (placeholders such as %(location)s are not words of the message).
EVERYWHERE = {
    "damaged": "残次",
    "stocktake": "盘点",
    "location": "货位",
    "write-off": "报损",
    "purchase order": "采购单",
    "operator": "经手人",
    "allocation order": "配货单",
    "supplier": "供应商",
    "warehouse": "仓库",
    "size group": "尺码组",
    "variant": "SKU",
    "audit trail": "操作日志",
    "opening stock": "期初库存",
    "threshold": "预警",
}

# Synonyms that must not come back: the one term is on the right.
FORBIDDEN = {
    "残损": "残次",
    "残次品": "残次",
    "次品": "残次",
    "库位": "货位",
    "储位": "货位",
    "仓位": "货位",
    "规格": "SKU",
    "盘存": "盘点",
}

# The enums whose display names show as badges, states and choices.
VOCABULARIES = [
    orders.OrderStatus,
    orders.ReturnCondition,
    purchasing.POStatus,
    purchasing.ReceiptReason,
    ledger.DocumentStatus,
    ledger.DocumentKind,
    ledger.MovementKind,
    accounts.Role,
    accounts.TokenState,
    accounts.AuditSubject,
    accounts.AuditAction,
    imports.ImportState,
    warehouse.WriteOffReason,
    supplier_returns.SupplierReturnReason,
]

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
HAN = "\u3400-\u9fff"


def catalogue(language: str) -> dict[str, str]:
    path = ROOT / "stockapp" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as po:
        return {
            (m.id if isinstance(m.id, str) else m.id[0]): (
                m.string if isinstance(m.string, str) else m.string[0]
            )
            for m in read_po(po)
            if m.id
        }


@pytest.fixture(scope="module")
def zh() -> dict[str, str]:
    return catalogue("zh")


@pytest.fixture(scope="module")
def en() -> dict[str, str]:
    return catalogue("en")


@pytest.mark.parametrize(("english", "chinese"), GLOSSARY.items())
def test_each_concept_has_its_one_term_in_both_languages(zh, en, english, chinese):
    assert zh.get(english) == chinese
    assert en.get(english) == english


@pytest.mark.parametrize(("word", "chinese"), EVERYWHERE.items())
def test_a_concept_is_said_the_same_way_in_every_message(zh, word, chinese):
    pattern = re.compile(rf"\b{re.escape(word)}s?\b", re.IGNORECASE)
    saying_it = [m for m in zh if pattern.search(PLACEHOLDER.sub("", m))]
    assert saying_it, f"no message says {word}"
    assert [m for m in saying_it if chinese not in zh[m]] == []


@pytest.mark.parametrize(("synonym", "term"), FORBIDDEN.items())
def test_no_synonym_of_a_term_appears(zh, synonym, term):
    assert [m for m, s in zh.items() if synonym in s] == [], f"say {term}, not {synonym}"


def test_chinese_messages_use_the_full_width_colon(zh):
    half_width = re.compile(rf"[{HAN}（）。，]\s*:|:\s*[{HAN}]")
    assert [s for s in zh.values() if half_width.search(s)] == []


def test_a_label_before_a_value_keeps_its_colon_in_the_message(zh, en):
    """ "Customer:" is one message: the colon is the language's, not the template's."""
    labels = [m for m in en if m.endswith(":") and " " not in m.rstrip(":").strip()]
    assert "Customer:" in labels
    assert all(zh[m].endswith("：") for m in labels)


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_display_names_are_capitalised_and_distinct(zh, en, vocabulary: type[Vocabulary]):
    names = [member.label._args[0] for member in vocabulary]
    assert [n for n in names if not n[0].isupper()] == [], "badges start with a capital"
    assert all(en[n] == n for n in names)
    assert len({zh[n] for n in names}) == len(names), "two states with one Chinese name"
