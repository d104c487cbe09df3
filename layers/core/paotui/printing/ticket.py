"""A kitchen ticket (小票) in Feieyun's markup, for a 58 mm receipt printer: 32 columns, a CJK character taking two.

What the kitchen and the rider read from the bag: the reference in large print, the channel and times, each dish
with its quantity and amount, the money, the customer's note and where it goes. The total and the note are bold
(``<BOLD>``; ``<B>`` would double their width). The customer's phone is masked (the rider calls through the app),
and whatever a customer or shop typed is kept from being read as markup.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from paotui.platform.clock import CHINA, parse_iso
from paotui.platform.ids import short_ref
from paotui.platform.money import fen_to_yuan

WIDTH = 32
RULE = "-" * WIDTH
CHANNELS = {"mini_program": "小程序", "phone": "电话", "walk_in": "到店", "eleme": "饿了么"}


def width(text: str) -> int:
    """Columns ``text`` takes on the printer: wide and full-width characters two, others one."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def plain(text: str) -> str:
    """Typed text as printable text: markup brackets made full-width, line breaks and control characters spaces."""
    text = text.replace("<", "＜").replace(">", "＞")
    return "".join(" " if unicodedata.category(char).startswith("C") else char for char in text).strip()


def spread(left: str, right: str) -> list[str]:
    """``left`` and ``right`` on one line, right-aligned, if they fit; else ``left`` on lines of its own."""
    gap = WIDTH - width(left) - width(right)
    if gap >= 1:
        return [left + " " * gap + right]
    return [*wrap(left), " " * (WIDTH - width(right)) + right]


def wrap(text: str) -> list[str]:
    """``text`` cut into lines of at most :data:`WIDTH` columns."""
    lines, line = [], ""
    for char in text:
        if width(line + char) > WIDTH:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def china_clock(iso_text: str) -> str:
    return parse_iso(iso_text).astimezone(CHINA).strftime("%m-%d %H:%M")


def masked(phone: str) -> str:
    """+8613912345678 → 139****5678."""
    digits = phone.removeprefix("+86")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else digits


def ticket(order: Any, shop_name: str) -> str:
    """The ticket of ``order`` (an ``OrderRecord``) for the shop named ``shop_name``: Feieyun content."""
    amounts, address = order.amounts, order.address
    when = [f"下单 {china_clock(order.created_at)}"]
    if order.scheduled_for:
        when.append(f"预约 {china_clock(order.scheduled_for)}")
    money = [
        *spread("菜品", fen_to_yuan(int(amounts.items_total))),
        *spread("配送费", fen_to_yuan(int(amounts.delivery_fee))),
    ]
    if amounts.discount:
        money += spread("优惠", "-" + fen_to_yuan(int(amounts.discount)))
    total = spread("合计", "¥" + fen_to_yuan(int(amounts.total)))
    collect = int(amounts.collect_on_delivery or 0)
    lines = [
        f"<CB>#{short_ref(order.id)}</CB>",
        f"<C>{plain(shop_name)}</C>",
        f"{CHANNELS.get(order.channel, order.channel)}  {'  '.join(when)}",
        RULE,
        *_dishes(order.items),
        RULE,
        *money,
        *(f"<BOLD>{line}</BOLD>" for line in total),
        *(spread("货到付款（骑手代收）", fen_to_yuan(collect)) if collect else []),
    ]
    if order.note:
        lines += [RULE, *(f"<BOLD>{line}</BOLD>" for line in wrap("备注：" + plain(order.note)))]
    lines += [
        RULE,
        *wrap(" ".join(filter(None, [plain(address.contact_name), masked(address.contact_phone)]))),
        *wrap(plain(address.detail)),
    ]
    return "".join(f"{line}<BR>" for line in lines)


def bound_page(shop_name: str, label: str) -> str:
    """What a printer prints once bound: that it works, and for which shop."""
    return f"<CB>打印机已绑定</CB><BR><C>{plain(shop_name)}</C><BR><C>{plain(label)}</C><BR>接单后将自动打印小票<BR>"


def _dishes(items: Iterable[Any]) -> list[str]:
    lines: list[str] = []
    for item in items:
        lines += spread(f"{plain(item.name)} ×{int(item.quantity)}", fen_to_yuan(int(item.line_total)))
    return lines
