"""Demo data: a believable catalogue with stock and some history, to try StockApp out."""

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..database import write_transaction
from ..extensions import db
from ..models import Balance, Order, PurchaseOrder, ReturnCondition, Style, Supplier, Variant
from . import catalogue, counting, ledger, orders, purchasing, receiving, returns, suppliers

CUSTOMERS = ["王老板", "李姐服饰", "陈记批发", "张家档口", "刘总"]
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
    """Create ``styles`` styles with stock, counts, a reversal and some allocation
    orders (open, picking, complete with a return); return how many styles.

    Every movement goes through the ledger, as in real use. Style codes and
    order numbers that already exist are skipped, so running it twice adds
    nothing twice.
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
    _orders(operator_id, rng)
    _purchasing(operator_id, rng)
    return created


def _purchasing(operator_id: int, rng: random.Random) -> None:
    """Two suppliers and three POs: one waiting, one partly received (and a receipt
    of it waiting for approval), one overdue."""
    variants = list(db.session.scalars(select(Variant.id).order_by(Variant.id).limit(40)))
    if not variants or db.session.scalar(select(PurchaseOrder.id).limit(1)):
        return
    ids = [
        db.session.scalar(select(Supplier.id).where(Supplier.name == name))
        or suppliers.save(name=name, contact=contact, phone=phone, actor_id=operator_id)
        for name, contact, phone in (
            ("广州新塘服装厂", "陈生", "020-8222 1234"),
            ("杭州四季青面料行", "王姐", "0571-8666 5678"),
        )
    ]
    today = date.today()
    for n, (supplier_id, days) in enumerate(((ids[0], 7), (ids[1], 3), (ids[0], -5))):
        chosen = sorted(rng.sample(variants, 6))
        po = purchasing.create(
            number=f"PO-DEMO-{n + 1:03d}",
            supplier_id=supplier_id,
            expected_on=today + timedelta(days=days),
            lines=[
                purchasing.OrderedLine(v, rng.randint(10, 40), Decimal(rng.randrange(30, 120)))
                for v in chosen
            ],
            operator_id=operator_id,
            place=True,
        )
        if n == 1:
            for half in chosen[:3], chosen[3:]:
                receipt = receiving.create(
                    po_id=po["id"],
                    lines=[receiving.ArrivedLine(v, rng.randint(5, 10)) for v in half],
                    operator_id=operator_id,
                    note="第一批到货" if half == chosen[:3] else "第二批到货（草稿）",
                )
                if half == chosen[:3]:
                    receiving.submit(receipt["document"]["id"], operator_id=operator_id)


def _orders(operator_id: int, rng: random.Random) -> None:
    """Five orders over the first styles: two open, two being picked, one complete
    with a return."""
    variants = list(db.session.scalars(select(Variant.id).order_by(Variant.id).limit(60)))
    if not variants:
        return
    for n, customer in enumerate(CUSTOMERS):
        number = f"PH-DEMO-{n + 1:03d}"
        if db.session.scalar(select(Order.id).where(Order.number == number)):
            continue
        chosen = rng.sample(variants, min(rng.randint(4, 9), len(variants)))
        lines = [(v, rng.randint(1, 12)) for v in sorted(chosen)]
        order = orders.create(
            number=number, customer=customer, lines=lines, operator_id=operator_id
        )
        if n < 2:
            continue
        on_hand = dict(
            db.session.execute(
                select(Balance.variant_id, Balance.qty).where(Balance.variant_id.in_(chosen))
            ).all()
        )
        # The complete one is picked in full, as far as the stock goes; the others in part.
        picks = [
            (v, min(qty, on_hand.get(v, 0), qty if n == 4 else rng.randint(0, qty)))
            for v, qty in lines
        ]
        if not any(qty for _, qty in picks):
            continue
        orders.record_picks(order["id"], lines=picks, operator_id=operator_id)
        if n == 4:
            orders.complete(order["id"], operator_id=operator_id)
            variant = next(v for v, qty in picks if qty)
            returns.book_return(
                order_id=order["id"],
                lines=[returns.ReturnLine(variant, 1, ReturnCondition.DAMAGED)],
                operator_id=operator_id,
                note="客户退回一件，有污渍",
            )


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
