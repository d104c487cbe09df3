"""One typed settings object, read from environment variables.

Every field maps to the upper-cased environment variable of the same name
(``orders_table`` ← ``ORDERS_TABLE``). Every timeout and limit lives here so
that local and test stages can shrink minutes to seconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = "local"
    aws_region: str = "us-east-1"

    # tables
    users_table: str = "paotui-users"
    identities_table: str = "paotui-identities"
    otp_table: str = "paotui-otp"
    merchants_table: str = "paotui-merchants"
    merchant_applications_table: str = "paotui-merchant-applications"
    products_table: str = "paotui-products"
    stock_ledger_table: str = "paotui-stock-ledger"
    slots_table: str = "paotui-slots"
    orders_table: str = "paotui-orders"
    payments_table: str = "paotui-payments"
    riders_table: str = "paotui-riders"
    offers_table: str = "paotui-offers"
    watches_table: str = "paotui-watches"
    idempotency_table: str = "paotui-idempotency"
    sessions_table: str = "paotui-sessions"
    addresses_table: str = "paotui-addresses"
    channel_bindings_table: str = "paotui-channel-bindings"
    devices_table: str = "paotui-devices"  # rider app installs that receive push (paotui.notify.devices)
    inbox_table: str = "paotui-inbox"  # every push a user was sent (paotui.notify.inbox)
    rider_tracks_table: str = "paotui-rider-tracks"
    incentives_table: str = "paotui-incentives"  # riders' incentive rules, every version (paotui.riders.incentives)
    earnings_table: str = "paotui-earnings"  # riders' ledger lines and the facts applied (paotui.riders.earnings)
    rider_kpis_table: str = "paotui-rider-kpis"  # riders' counters per day, week and month (paotui.riders.kpis)
    coupons_table: str = "paotui-coupons"  # customers' coupons (paotui.coupons)
    incidents_table: str = "paotui-incidents"  # what operators must act on (paotui.ops.incidents)
    analytics_table: str = "paotui-analytics"  # orders' counters per China-time day and hour (paotui.analytics)
    merchant_ledger_table: str = "paotui-merchant-ledger"  # merchants' lines, day totals, payouts (paotui.settlement)
    merchant_accounts_table: str = "paotui-merchant-accounts"  # merchants' balances (paotui.settlement)
    rider_cash_table: str = "paotui-rider-cash"  # cash riders took at doors and handed in (paotui.settlement.cash)
    outbox_table: str = ""  # local stage only: where SMS and pushes land

    # messaging and workflow
    domain_events_topic_arn: str = ""
    dispatch_queue_url: str = ""
    notify_queue_url: str = ""  # NotifyWorker sends itself delayed offer reminders (the SMS fallback)
    watchdog_state_machine_arn: str = ""
    ops_alarm_topic_arn: str = ""  # operators are paged here (incidents, like the DLQ alarms)

    # secrets
    jwt_secret_arn: str = ""
    payment_secret_arn: str = ""  # the sandbox channel's signing secret (local and test stages)
    wechatpay_secret_arn: str = ""  # WeChat Pay v3 merchant keys (payments.wechatpay); "{}" until configured
    alipay_secret_arn: str = ""  # Alipay app keys (payments.alipay); "{}" until configured
    eleme_secret_arn: str = ""  # Ele.me open platform app id and secret (orders.eleme); "{}" leaves the channel off
    dada_secret_arn: str = ""  # Dada open platform app (carriers.dada); "{}" leaves the carrier off
    feie_secret_arn: str = ""  # Feieyun cloud printers (printing.feie); "{}" leaves cloud printing off
    amap_secret_arn: str = ""  # AMap Web service key (catalog.geocoding); "{}" leaves address lookup off

    # delivery channels: "sns" in AWS, "outbox" locally
    sms_sender: str = "outbox"
    push_sender: str = "outbox"  # "sns" in AWS, "sns+outbox" in the local cloud (moto's SNS and the outbox)
    public_base_url: str = "http://127.0.0.1:3000"

    # mobile push (paotui.notify.channels): SNS platform applications; an empty ARN leaves that platform off
    fcm_platform_application_arn: str = ""
    apns_platform_application_arn: str = ""
    apns_sandbox_platform_application_arn: str = ""
    max_devices_per_user: int = 5  # one more registration drops the least recently seen device
    inbox_retention_seconds: int = 30 * 24 * 3600
    inbox_page_size: int = 20
    inbox_scan_max_items: int = 200  # a filtered inbox page (a merchant's console alerts) reads at most this many

    # auth: short-lived access tokens (JWT), renewed with rotating refresh tokens (docs/adr/0006)
    jwt_ttl_seconds: int = 15 * 60
    refresh_ttl_seconds: int = 30 * 24 * 3600
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_resend_seconds: int = 30

    # WeChat mini-program login (code2session); the app secret lives in Secrets Manager
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_appid: str = ""
    wechat_secret_arn: str = ""
    wechat_timeout_seconds: float = 5.0
    # WeChat subscribe messages to customers (paotui.notify.wechat_subscribe): message → template id as JSON
    # ({"DELIVERING": "<id>", "*": "<id for the rest>"}); empty, or "" for a message: texted instead
    wechat_subscribe_templates: str = ""
    wechat_subscribe_page: str = "pages/order/detail?id={order_id}"  # where tapping the message opens
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "formal"  # which build that page is in
    wechat_token_refresh_margin_seconds: int = 300  # an access token is fetched again this long before it expires

    # product images: uploaded to S3 by presigned POST, served from images_base_url (a CDN in AWS)
    images_bucket: str = "paotui-product-images"
    images_base_url: str = ""
    s3_public_endpoint: str = ""  # local stage: where a browser reaches S3 (the local gateway); empty in AWS
    image_max_bytes: int = 5 * 1024 * 1024
    image_upload_ttl_seconds: int = 900

    # customers' address books
    max_addresses_per_user: int = 20

    # catalog: the widest delivery radius a merchant may set (bounds the H3 search), ETA speed
    merchant_max_radius_m: int = 10_000
    delivery_speed_m_per_min: int = 250
    # a merchant closed now is listed (taking scheduled orders) when it opens within this many hours
    scheduled_horizon_hours: int = 24

    # errands (docs/adr/0008): the platform's fee rules, a catalog FeeRules document as JSON
    errand_fee_rules: str = (
        '{"base_fee": 800, "base_distance_m": 3000,'
        ' "tiers": [{"up_to_m": 10000, "fee_per_km": 200}, {"up_to_m": 20000, "fee_per_km": 300}],'
        ' "surcharges": [{"code": "night", "label": "夜间服务费", "start": "22:00", "end": "06:00", "amount": 500}],'
        ' "weight": {"free_g": 5000, "fee_per_kg": 200}}'
    )
    errand_min_distance_m: int = 50  # pick-up and drop-off closer than this are the same place
    errand_max_distance_m: int = 20_000
    errand_max_weight_g: int = 50_000
    errand_max_goods_fen: int = 200_000  # what a rider fronts for a buy errand, repaid on delivery
    errand_lead_minutes: int = 20  # a rider reaching the pick-up (and shopping) before riding to the drop-off
    schedule_max_days: int = 7  # how far ahead an order or an errand pick-up may be booked (SCHEDULE_TOO_FAR)

    # order lifecycle timers (seconds)
    payment_timeout_seconds: int = 900
    confirm_timeout_seconds: int = 600
    offer_ttl_seconds: int = 30
    offer_sms_fallback_seconds: int = 15  # an offer still unanswered this long after its push is texted; 0: never
    delivery_timeout_seconds: int = 3600  # picked up and not delivered this long: operations are paged
    # the order watchdog (paotui.workflow): pickup overdue, lateness, delivery exceptions, scheduled dispatch
    pickup_timeout_seconds: int = 1800  # assigned and not picked up this long: alerts; twice this: operations
    late_grace_seconds: int = 300  # not delivered this long after promised_at: late (orders.compensation)
    delivery_contact_window_seconds: int = 600  # after a failed delivery, the customer's time to answer
    return_timeout_seconds: int = 3600  # returning this long without the merchant confirming: operations
    scheduled_dispatch_lead_seconds: int = 600  # a scheduled order is offered this long before the rider must leave

    # dispatch
    rider_cell_resolution: int = 8
    dispatch_search_rings: int = 6
    dispatch_zone_resolution: int = 6  # H3 cells (~36 km²) whose open orders are planned together in a round
    # how long before a rider must leave for the store the offer goes out: time to answer and get going
    dispatch_lead_minutes: float = 10.0
    merchant_cell_resolution: int = 6
    rider_default_capacity: int = 3

    # no rider takes an order (paotui.dispatch.escalation): level n is reached after its count of offers made or
    # its seconds of waiting, whichever comes first
    escalation_widen_after_offers: int = 3  # 1: riders are searched out to escalation_search_rings
    escalation_widen_after_seconds: int = 120
    escalation_bonus_after_offers: int = 5  # 2: the rider's fee gains escalation_bonus_fen, once more per level on
    escalation_bonus_after_seconds: int = 240
    escalation_carrier_after_offers: int = 8  # 3: the merchant's carrier takes it, if allow_carrier_fallback
    escalation_carrier_after_seconds: int = 360
    escalation_operations_after_offers: int = 12  # 4: operators are paged, the customer gets a new ETA
    escalation_operations_after_seconds: int = 600
    escalation_search_rings: int = 10  # H3 rings at rider_cell_resolution (~8 km instead of ~5)
    escalation_bonus_fen: int = 300
    no_rider_eta_wait_seconds: int = 900  # the customer's new ETA: this wait for a rider, then the ride

    # riders: onboarding, presence and location (paotui.riders.onboarding, .presence, .location)
    rider_max_capacity: int = 10  # the most open orders an admin may let one rider carry
    rider_silence_minutes: float = 10.0  # an on-duty rider unheard this long is set offline (RiderPresenceJob)
    location_min_interval_seconds: float = 3.0  # at most one location update (a batch counts once) per interval
    location_max_speed_kmh: float = 150.0  # a point implying more, from the last trusted one, is flagged suspect
    location_max_age_seconds: int = 600  # a batched point older than this is refused
    location_clock_skew_seconds: int = 30  # how far in the future a point's time may be (the phone's clock)
    rider_track_ttl_days: int = 7  # an order's track of rider points expires this long after each point

    # third-party carriers (paotui.carriers): a carrier rider's position older than this is asked for again
    # when the order is viewed (carriers push statuses, not positions)
    carrier_position_max_age_seconds: int = 30

    # rider navigation (paotui.riders.navigation, .route): travel times, how map links name us
    road_detour: float = 1.3  # road over great-circle distance, in dispatch's travel times and riders' routes
    route_exact_max_orders: int = 8  # a rider's stops are ordered exactly up to this many orders, greedily beyond
    map_link_source: str = "paotui"  # AMap's sourceApplication and src; Baidu's src: andr.<it>.<it>, webapp.<it>.<it>
    tencent_map_referer: str = "paotui"  # Tencent Maps' referer: the developer key from lbs.qq.com

    # the rider's status flow (orders.proof): geofences at the store and the door, proof of delivery
    geofence_radius_m: int = 300  # how near the pick-up (arriving) or the address (delivered) the rider must be
    rider_position_max_age_seconds: int = 120  # a rider's last reported location stands in for one this fresh
    delivery_code_max_attempts: int = 5  # wrong 收货码 guesses before the code locks (a photo still works)
    errand_proof_of_delivery: Literal["code", "photo", "code_or_photo", "none"] = "code"  # errands have no merchant
    proof_photos_bucket: str = "paotui-proof-photos"
    proof_photo_max_bytes: int = 8 * 1024 * 1024
    proof_photo_upload_ttl_seconds: int = 600
    proof_photo_url_ttl_seconds: int = 300  # the links customers, merchants and operators see a photo by

    # shop applicants' licences (catalog.documents): uploaded by presigned POST, kept in a private bucket
    shop_documents_bucket: str = "paotui-shop-documents"
    document_max_bytes: int = 8 * 1024 * 1024
    document_upload_ttl_seconds: int = 900
    document_url_ttl_seconds: int = 600  # the links applicants and operators see a licence by

    # riders' earnings and KPIs (paotui.riders.earnings, .kpis)
    earnings_statement_max_days: int = 31  # the longest daily statement one request returns
    settlement_statement_max_days: int = 92  # the longest merchant statement (a quarter) one request returns
    default_commission_bp: int = 800  # a shop's commission without a rate of its own: 8% of its dishes
    rider_cash_limit: int = 200000  # fen a rider may hold from doors before no more cash orders are offered (¥2,000)
    leaderboard_max_riders: int = 100  # the most riders one leaderboard request ranks
    analytics_max_days: int = 92  # the longest range one analytics report covers by day
    analytics_max_hourly_days: int = 2  # ... and by hour

    # delivery exceptions and compensation (paotui.orders.exceptions, .refund_rules, .compensation)
    delivery_max_attempts: int = 2  # a customer may ask for another try while fewer deliveries than this failed
    # what a returned order refunds, per failure reason: full | goods_only | delivery_fee_only | none
    # ("unspecified": a carrier's failure, which gives no reason); a merchant may override (its refund_rules)
    delivery_failure_refund_rules: str = (
        '{"buyer_refused": "delivery_fee_only", "unreachable": "delivery_fee_only",'
        ' "wrong_address": "delivery_fee_only", "unspecified": "full"}'
    )
    merchant_fault_failure_reasons: str = ""  # comma-separated: always refunded in full, whatever the merchant says
    # a late order's compensation, a paotui.orders.compensation.CompensationRule as JSON
    late_compensation_rule: str = '{"kind": "coupon", "amount": 500, "min_spend": 2000, "valid_days": 30}'

    # refunds (paotui.payments.refund_sweep, RefundSweepJob): one still PROCESSING this long is asked about at its
    # provider; long enough that the refund call and the provider's first callbacks have had their chance
    refund_sweep_after_minutes: float = 10.0

    # operations (paotui.ops): incidents and the reconciliation sweep
    incident_retention_seconds: int = 90 * 24 * 3600  # a resolved incident is kept this long
    reconcile_lookback_days: int = 3  # the sweep checks the open orders created on this many days, today included
    reconcile_grace_seconds: int = 120  # how far past its deadline an order must be before the sweep steps in
    reconcile_max_runs: int = 3  # watchdog executions an order may have; a lost last one goes to operators

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for name in cls.model_fields:
            raw = environ.get(name.upper())
            if raw is not None and raw != "":
                values[name] = raw
        if "aws_region" not in values and environ.get("AWS_DEFAULT_REGION"):
            values["aws_region"] = environ["AWS_DEFAULT_REGION"]
        return cls(**values)

    @property
    def is_local(self) -> bool:
        return self.stage in ("local", "test")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings, read once (Lambda env vars never change in a container)."""
    return Settings.from_env()
