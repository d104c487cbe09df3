"""Routes of RidersApi for pay and performance: a rider's KPIs and daily statement; admins' incentive rules and
leaderboard. Thin: parse, authorize, call the service. Dates are China-time days (YYYY-MM-DD)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.platform import clock
from paotui.platform.auth import Principal, require_role
from paotui.platform.errors import Unprocessable
from paotui.platform.settings import get_settings
from paotui.riders import earnings, incentives, kpis
from paotui.riders.earnings import Statement
from paotui.riders.incentives import IncentiveRulesView, SaveIncentiveRules
from paotui.riders.kpis import Kpis, Leaderboard, Metric, PeriodKind

router = APIGatewayRouter()

RiderCaller = Annotated[Principal, Depends(require_role("rider"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
Day = Annotated[date | None, Query(alias="date", description="a China-time day, YYYY-MM-DD; today if left out")]


def _today() -> date:
    return clock.china_day(clock.now())


@router.get("/riders/me/kpis")
def get_kpis(caller: RiderCaller, period: Annotated[PeriodKind, Query()] = "day", day: Day = None) -> Kpis:
    """The caller's KPIs for the day, ISO week or month containing ``date``."""
    return kpis.rider_kpis(caller.user_id, kpis.period_of(period, day or _today()))


@router.get("/riders/me/earnings")
def get_earnings(
    caller: RiderCaller,
    start: Annotated[date | None, Query(alias="from", description="first China-time day; today if left out")] = None,
    end: Annotated[date | None, Query(alias="to", description="last China-time day; ``from`` if left out")] = None,
) -> Statement:
    """The caller's daily statement: each day's ledger lines and total, at most ``earnings_statement_max_days``."""
    start = start or _today()
    return earnings.statement(caller.user_id, start, end or start)


@router.get("/admin/incentives")
def get_incentives(_admin: Admin) -> IncentiveRulesView:
    return incentives.current_rules()


@router.put("/admin/incentives")
def put_incentives(body: SaveIncentiveRules, caller: Admin) -> IncentiveRulesView:
    """Replace the rules (``version``: the one read); in force for deliveries from now. 409 ``VERSION_CONFLICT``."""
    return incentives.save_rules(body, by=caller.user_id)


@router.get("/admin/riders/leaderboard")
def get_leaderboard(
    _admin: Admin,
    period: Annotated[PeriodKind, Query()] = "day",
    day: Day = None,
    metric: Annotated[Metric, Query()] = "earnings",
    limit: Annotated[int, Query(ge=1)] = 20,
) -> Leaderboard:
    """Riders active in the period, best first by ``metric``."""
    most = get_settings().leaderboard_max_riders
    if limit > most:
        raise Unprocessable(f"Ask for at most {most} riders.", code="LIMIT_TOO_HIGH", details={"max": most})
    return kpis.leaderboard(kpis.period_of(period, day or _today()), metric, limit)
