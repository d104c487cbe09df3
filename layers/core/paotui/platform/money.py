"""Money in integer fen (分), and the yuan strings providers and platforms write it as: never through floats."""

from __future__ import annotations

import re

_YUAN = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?")


def yuan_to_fen(text: str) -> int:
    """``"25.9"`` / ``"25.90"`` → 2590, exactly (no floats); ValueError on anything else."""
    match = _YUAN.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an amount in yuan: {text!r}")
    whole, cents = match.groups()
    return int(whole) * 100 + int((cents or "").ljust(2, "0"))


def fen_to_yuan(fen: int) -> str:
    """2590 → ``"25.90"``."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"not an amount in fen: {fen!r}")
    return f"{fen // 100}.{fen % 100:02d}"
