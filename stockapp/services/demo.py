"""Demo data: a believable catalogue with stock and some history, to try StockApp out."""

import random
from decimal import Decimal

from sqlalchemy import select

from ..database import write_transaction
from ..extensions import db
from ..models import Balance, Style, Variant
from . import catalogue, counting, ledger, receiving

CATEGORIES = {
    "T恤": ["纯棉圆领T恤", "条纹短袖T恤", "印花T恤", "宽松落肩T恤"],
    "衬衫": ["牛津纺衬衫", "法兰绒格子衬衫", "亚麻休闲衬衫"],
    "卫衣": ["连帽卫衣", "圆领加绒卫衣"],
    "牛仔裤": ["直筒牛仔裤", "修身弹力牛仔裤", "阔腿牛仔裤"],
    "外套": ["夹克外套", "羽绒服", "风衣"],
    "连衣裙": ["碎花连衣裙", "针织连衣裙"],
}
LETTER_SIZES = ["S", "M", "L", "XL", "2XL"]
NUMBER_SIZES = ["28", "29", "30", "31", "32", "33", "34", "36"]
COLOURS = ["黑色", "白色", "藏青", "灰色", "卡其", "酒红", "浅蓝"]


def fill(*, operator_id: int, styles: int = 36, seed: int = 2026) -> int:
    """Create ``styles`` styles with stock, counts and a reversal; return how many.

    Every movement goes through the ledger, as in real use. Style codes that
    already exist are skipped, so running it twice adds nothing twice.
    """
    rng = random.Random(seed)
    names = [(cat, name) for cat, names in CATEGORIES.items() for name in names]
    created = 0
    for n in range(styles):
        category, name = names[n % len(names)]
        code = f"{'DJ' if category == '牛仔裤' else 'A'}{1001 + n}"
        if db.session.scalar(select(Style.id).where(Style.code == code)):
            continue
        sizes = NUMBER_SIZES[1:7] if category == "牛仔裤" else LETTER_SIZES
        colours = rng.sample(COLOURS, rng.randint(1, 3))
        cost = Decimal(rng.randrange(30, 300))
        style_id = catalogue.create_style(
            code=code,
            name=name,
            sizes=sizes,
            colours=colours,
            category=category,
            unit="件",
            cost_price=cost,
            sale_price=(cost * Decimal("1.8")).quantize(Decimal("1")),
        )
        created += 1
        variant_ids = list(
            db.session.scalars(select(Variant.id).where(Variant.style_id == style_id))
        )
        for batch in range(rng.randint(1, 3)):
            receiving.receive(
                lines=[(v, rng.randint(5, 60)) for v in variant_ids if rng.random() < 0.85],
                operator_id=operator_id,
                note=f"{name} 第{batch + 1}批到货",
            )
        if n % 5 == 0:
            _count_some(variant_ids, operator_id, rng)
        if n % 9 == 0:
            receipt = receiving.receive(
                lines=[(variant_ids[0], 7)], operator_id=operator_id, note="录入错误"
            )
            with write_transaction():
                ledger.reverse(
                    receipt["document"]["id"], operator_id=operator_id, reason="重复入库，冲销"
                )
    return created


def _count_some(variant_ids, operator_id, rng) -> None:
    sample = rng.sample(variant_ids, min(3, len(variant_ids)))
    on_hand = dict(
        db.session.execute(
            select(Balance.variant_id, Balance.qty).where(Balance.variant_id.in_(sample))
        ).all()
    )
    counting.count(
        lines=[
            counting.CountLine(v, max(on_hand.get(v, 0) + rng.randint(-3, 2), 0), on_hand.get(v, 0))
            for v in sample
        ],
        operator_id=operator_id,
        note="月度抽盘",
    )
