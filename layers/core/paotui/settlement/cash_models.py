"""Request and response models of riders' cash (settlement.cash; amounts in fen, a hand-in negative), apart from
the shops' statement models so that RidersApi loads only these."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from paotui.platform.models import Prose, RequestModel, ResponseModel


class CashMoveView(ResponseModel):
    """Cash a rider took at a door (``collected``, with its order) or handed in (``handed_in``, negative, with the
    operator's note and who took it)."""

    kind: str
    amount: int
    at: str
    order_id: str | None = None
    note: str | None = None
    by: str | None = None


class CashView(ResponseModel):
    """A rider's cash: ``held`` (fen taken at doors and not handed in) and a page of moves, newest first; pass
    ``next_cursor`` back as ``cursor`` (null: the last)."""

    rider_id: str
    held: int
    moves: list[CashMoveView]
    next_cursor: str | None


class HandInRequest(RequestModel):
    """Cash an operator took from the rider (at a station, or a transfer the rider made)."""

    amount: Annotated[int, Field(gt=0, le=100_000_00)]
    note: Annotated[Prose, StringConstraints(max_length=200)] | None = None


class HandInView(ResponseModel):
    move: CashMoveView
    held: int  # what the rider holds after it
