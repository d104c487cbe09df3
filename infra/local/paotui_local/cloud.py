"""The whole local cloud as one object: embedded moto, the provisioned stack, pollers, gateway, seed.

Order matters: moto and the process environment first, then provisioning,
then the functions' environment (table names, ARNs, local overrides) before
any domain module is imported, because pynamodb models read table names at
import. Tests start the same object on a fixture template.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import logging
import os
import time
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from moto.core.config import default_user_config

from paotui_local import outbox
from paotui_local.fakes import FakeServer
from paotui_local.fakes.alipay import FakeAlipay
from paotui_local.fakes.amap import FakeAMap
from paotui_local.fakes.dada import FakeDada
from paotui_local.fakes.eleme import PUSH_PATH, FakeEleme
from paotui_local.fakes.feie import FakeFeie
from paotui_local.fakes.wechat_subscribe import FakeWeChat
from paotui_local.fakes.wechatpay import FakeWechatPay
from paotui_local.functions import DEFAULT_TEMPLATE, FunctionPool, pools
from paotui_local.gateway import S3_PREFIX, Gateway
from paotui_local.moto_server import LocalMotoServer
from paotui_local.pollers import Poller, PollSettings, pollers_for
from paotui_local.provision import REGION, Stack, provision
from paotui_local.template import Template

log = logging.getLogger("paotui_local")

LOCAL_PARAMETERS = {
    "Stage": "local",
    "PaymentTimeoutSeconds": "300",
    "ConfirmTimeoutSeconds": "300",
    "OfferTtlSeconds": "60",
    "OfferSmsFallbackSeconds": "20",
    "DeliveryTimeoutSeconds": "600",
    "PickupTimeoutSeconds": "300",
    "LateGraceSeconds": "60",
    "DeliveryContactWindowSeconds": "60",
    "ReturnTimeoutSeconds": "300",
    "ScheduledDispatchLeadSeconds": "60",
}
"""Template parameter values for the local stage: timers paced for a person trying the flow by hand
(curl, the console), shorter than AWS's so that they are seen firing. The e2e tests and benches set their
own through ``TIMER_VARIABLES``."""

TIMER_VARIABLES = {
    "PaymentTimeoutSeconds": "PAYMENT_TIMEOUT_SECONDS",
    "ConfirmTimeoutSeconds": "CONFIRM_TIMEOUT_SECONDS",
    "OfferTtlSeconds": "OFFER_TTL_SECONDS",
    "OfferSmsFallbackSeconds": "OFFER_SMS_FALLBACK_SECONDS",
    "DeliveryTimeoutSeconds": "DELIVERY_TIMEOUT_SECONDS",
    "PickupTimeoutSeconds": "PICKUP_TIMEOUT_SECONDS",
    "LateGraceSeconds": "LATE_GRACE_SECONDS",
    "DeliveryContactWindowSeconds": "DELIVERY_CONTACT_WINDOW_SECONDS",
    "ReturnTimeoutSeconds": "RETURN_TIMEOUT_SECONDS",
    "ScheduledDispatchLeadSeconds": "SCHEDULED_DISPATCH_LEAD_SECONDS",
}
"""Environment variables (the settings' names) that override the timer parameters when the cloud starts."""

PUSH_PLATFORM_APPLICATIONS = {
    "FcmPlatformApplicationArn": "GCM",
    "ApnsPlatformApplicationArn": "APNS",
    "ApnsSandboxPlatformApplicationArn": "APNS_SANDBOX",
}
"""Template parameters naming SNS platform applications, and the SNS platform each one is for."""

PER_FUNCTION_VARIABLES = {"POWERTOOLS_SERVICE_NAME"}
"""Variables meant to differ between functions; one process cannot give each its own."""


def timer_overrides(environ: Mapping[str, str]) -> dict[str, str]:
    """Timer parameters set through their settings' variables (how the e2e harness shortens them)."""
    return {parameter: environ[name] for parameter, name in TIMER_VARIABLES.items() if environ.get(name)}


@dataclass
class Options:
    template: Path = DEFAULT_TEMPLATE
    port: int = 3000
    moto_port: int = 0
    stack_name: str = "paotui"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    seed: bool = True
    max_containers: int = 4
    poll: PollSettings = field(default_factory=PollSettings)


class LocalCloud:
    def __init__(self, options: Options | None = None):
        self.options = options or Options()
        self.stack: Stack | None = None
        self.pools: dict[str, FunctionPool] = {}
        self.gateway: Gateway | None = None
        self.pollers: list[Poller] = []
        self.payment_fakes: dict[str, FakeServer] = {}
        self.wechat_login: FakeWeChat | None = None  # sign-in (code2session) and subscribe messages
        self.eleme: FakeEleme | None = None
        self.dada: FakeDada | None = None
        self.amap: FakeAMap | None = None
        self.feie: FakeFeie | None = None
        self.moto_url = ""
        self.outbox_table = ""
        self._moto: LocalMotoServer | None = None
        self._saved_env: dict[str, str] | None = None
        self._saved_moto_config: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        return self.gateway.url if self.gateway else ""

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        options = self.options
        self._saved_env = dict(os.environ)
        self._saved_moto_config = copy.deepcopy(default_user_config)  # the config call below changes it process-wide
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request otherwise
        # moto's ASL evaluator logs each exception on its way up as an ERROR, also those that a Choice's
        # IsPresent or a Catch handles (every new order's watchdog, every timeout it waits for). An
        # execution that does fail shows in its history, and the reconciliation sweep reports it.
        logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
        self._moto = LocalMotoServer(ip_address="127.0.0.1", port=options.moto_port, verbose=False)
        self._moto.start()
        moto_port = self._moto.get_host_and_port()[1]
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        log.info("AWS services (moto) on %s", self.moto_url)  # for the AWS CLI, and the e2e harness
        self._set_aws_environment(moto_port)
        self._moto_api("reset", {})  # moto's backends are per process: start from nothing
        self._moto_api("config", {"stepfunctions": {"execute_state_machine": True}})

        template = Template(options.template)
        self.wechat_login = FakeWeChat().start()
        overrides = {k: v for k, v in LOCAL_PARAMETERS.items() if k in template.parameters}
        if "WeChatAppId" in template.parameters:
            overrides["WeChatAppId"] = self.wechat_login.appid
        if "WeChatSubscribeTemplates" in template.parameters:  # every customer message has the fake's template
            overrides["WeChatSubscribeTemplates"] = json.dumps({"*": self.wechat_login.template_id})
        overrides.update(self._create_push_applications(template))
        overrides.update(options.parameter_overrides)
        started = time.perf_counter()
        self.stack = provision(
            Stack(template, name=options.stack_name, endpoint_url=self.moto_url, parameter_overrides=overrides)
        )
        self.outbox_table = f"{options.stack_name}-LocalOutbox"
        outbox.create_table(self.stack.client("dynamodb"), self.outbox_table)
        self.wechat_login.on_message = partial(outbox.write, self.stack.client("dynamodb"), self.outbox_table)
        log.info(
            "provisioned %d resources and %d functions from %s in %.0f ms",
            len(self.stack.resources),
            len(self.stack.functions),
            template.path.name,
            (time.perf_counter() - started) * 1000,
        )
        for spec in self.stack.functions.values():
            if not spec.code_exists:
                log.warning(
                    "%s: no handler code at %s (Handler %s); it fails when invoked",
                    spec.logical_id,
                    spec.handler_file,
                    spec.handler,
                )

        self._start_payment_fakes()
        self._start_eleme()
        self._start_dada()
        self._start_amap()
        self._start_feie()
        self.pools = pools(self.stack.functions, options.max_containers)
        self.gateway = Gateway(
            self.stack,
            self.pools,
            port=options.port,
            outbox_table=self.outbox_table,
            payment_fakes=self.payment_fakes,
            wechat_login=self.wechat_login,
            eleme=self.eleme,
            dada=self.dada,
            feie=self.feie,
        )
        if self.eleme:
            self.eleme.push_url = self.gateway.url + PUSH_PATH
        os.environ.update(self._function_environment())
        self._warm_containers()
        self.pollers = pollers_for(self.stack, self.pools, options.poll)
        for poller in self.pollers:
            poller.start()
        self.gateway.start()
        if options.seed:
            self._seed()

    def _warm_containers(self) -> None:
        """One container per function before the ready line, so first requests don't pay process start-up."""
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(p.warm) for p in self.pools.values() if p.spec.code_exists]:
                try:
                    future.result()
                except Exception:  # noqa: BLE001 (the function fails again, visibly, when invoked)
                    log.exception("warming a container failed")
        log.info("warmed %d functions in %.0f ms", len(self.pools), (time.perf_counter() - started) * 1000)

    def stop(self) -> None:
        """Stop everything that started and put the process environment and moto's configuration back."""
        if self.gateway:
            self.gateway.stop()
            self.gateway = None
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            poller.join(timeout=5)
        self.pollers = []
        for pool in self.pools.values():
            pool.close()
        servers = [*self.payment_fakes.values(), self.wechat_login, self.eleme, self.dada, self.amap, self.feie]
        for fake in [server for server in servers if server]:
            fake.stop()
        self.payment_fakes = {}
        self.wechat_login = self.eleme = self.dada = self.amap = self.feie = None
        if self._moto:
            self._moto.stop()
            self._moto = None
        if self._saved_env is not None:
            os.environ.clear()
            os.environ.update(self._saved_env)
            self._saved_env = None
        if self._saved_moto_config is not None:
            default_user_config.clear()
            default_user_config.update(self._saved_moto_config)
            self._saved_moto_config = None

    def _create_push_applications(self, template: Template) -> dict[str, str]:
        """SNS platform applications for rider push (FCM, APNs), made in moto as an operator makes them in AWS;
        their ARNs become the template's parameters. Devices then get real (moto) endpoints, and pushes to
        them are published through SNS like in AWS."""
        sns = boto3.session.Session().client("sns", endpoint_url=self.moto_url, region_name=REGION)
        arns = {}
        for parameter, platform in PUSH_PLATFORM_APPLICATIONS.items():
            if parameter in template.parameters:
                name = f"{self.options.stack_name}-riders-{platform.lower()}"
                application = sns.create_platform_application(
                    Name=name, Platform=platform, Attributes={"PlatformCredential": "local"}
                )
                arns[parameter] = application["PlatformApplicationArn"]
        return arns

    def _start_payment_fakes(self) -> None:
        """WeChat Pay and Alipay as local fakes, their keys in the channels' secrets, as an operator sets them in AWS;
        likewise the mini-program's app secret for WeChat sign-in.

        Refunds settle (with their signed callback) as soon as they are asked for, as they mostly do for real.
        """
        fakes = {"wechat": FakeWechatPay(auto_settle_refunds=True), "alipay": FakeAlipay(auto_notify_refunds=True)}
        secrets = self.stack.client("secretsmanager")
        if "WeChatSecret" in self.stack.resources:  # the mini-program's app secret, as code2session checks it
            secrets.put_secret_value(SecretId=self.stack.ref("WeChatSecret"), SecretString=self.wechat_login.secret)
        for channel, logical_id in (("wechat", "WeChatPaySecret"), ("alipay", "AlipaySecret")):
            if logical_id not in self.stack.resources:
                continue
            fake = fakes[channel].start()
            self.payment_fakes[channel] = fake
            secrets.put_secret_value(SecretId=self.stack.ref(logical_id), SecretString=fake.secret_json())

    def _start_eleme(self) -> None:
        """Ele.me's fake app, its id, key and secret in ``ElemeSecret`` as an operator sets them in AWS; it pushes
        orders to the gateway (``POST /dev/eleme/orders``) and grants a merchant's shops
        (``POST /dev/eleme/authorizations``)."""
        if "ElemeSecret" not in self.stack.resources:
            return
        self.eleme = FakeEleme().start()
        self.stack.client("secretsmanager").put_secret_value(
            SecretId=self.stack.ref("ElemeSecret"), SecretString=self.eleme.secret_json()
        )

    def _start_dada(self) -> None:
        """Dada's open platform as a local fake, its app in ``DadaSecret`` as an operator sets it in AWS; merchants
        delivering by Dada use its test shop (11047059, city 021), and ``POST /dev/dada/<order id>/<status>``
        moves an order there, which calls back the gateway."""
        if "DadaSecret" not in self.stack.resources:
            return
        self.dada = FakeDada().start()
        self.stack.client("secretsmanager").put_secret_value(
            SecretId=self.stack.ref("DadaSecret"), SecretString=self.dada.secret_json()
        )

    def _start_amap(self) -> None:
        """AMap's geocoding as a local fake, its key (signatures on) in ``AMapSecret`` as an operator sets it in
        AWS: the console's phone-order form finds addresses around the demo merchants."""
        if "AMapSecret" not in self.stack.resources:
            return
        self.amap = FakeAMap().start()
        self.stack.client("secretsmanager").put_secret_value(
            SecretId=self.stack.ref("AMapSecret"), SecretString=self.amap.secret_json()
        )

    def _start_feie(self) -> None:
        """Feieyun's printer cloud as a local fake, the platform's account in ``FeieSecret`` as an operator sets it in
        AWS: a merchant binds one of its demo printers (``fakes.feie.DEMO_PRINTERS``) in the console, and ``GET
        /dev/feie/<SN>`` shows the tickets it printed."""
        if "FeieSecret" not in self.stack.resources:
            return
        self.feie = FakeFeie().start()
        self.stack.client("secretsmanager").put_secret_value(
            SecretId=self.stack.ref("FeieSecret"), SecretString=self.feie.secret_json()
        )

    def _set_aws_environment(self, moto_port: int) -> None:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "MOTO_PORT": str(moto_port),  # moto's Step Functions calls services through it
                "AWS_ENDPOINT_URL": self.moto_url,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "STAGE": "local",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "paotui")
        os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "paotui")

    def _moto_api(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.moto_url}/moto-api/{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def _function_environment(self) -> dict[str, str]:
        """The union of the functions' variables (one process hosts them all) plus local overrides.

        A variable whose value differs between functions is left out: no value would be right.
        """
        values: dict[str, dict[str, str]] = {}
        for spec in self.stack.functions.values():
            for name, value in spec.environment.items():
                values.setdefault(name, {})[spec.logical_id] = value
        environment: dict[str, str] = {}
        for name, by_function in values.items():
            if len(set(by_function.values())) == 1:
                environment[name] = next(iter(by_function.values()))
            elif name not in PER_FUNCTION_VARIABLES:
                log.warning("%s differs between functions (%s); it is not set", name, by_function)
        s3 = f"{self.gateway.url}{S3_PREFIX}"
        environment.update(
            {
                "S3_PUBLIC_ENDPOINT": s3,
                # offers go out as soon as a round has a rider for them: a demo needn't wait for kitchens
                "DISPATCH_LEAD_MINUTES": "120",
                "WECHAT_API_BASE": self.wechat_login.url,
                "IMAGES_BASE_URL": f"{s3}/{environment.get('IMAGES_BUCKET', '')}",
                "STAGE": "local",
                "SMS_SENDER": "outbox",
                "PUSH_SENDER": "sns+outbox",  # to the devices' moto endpoints, and where people can see it
                "OUTBOX_TABLE": self.outbox_table,
                "PUBLIC_BASE_URL": self.gateway.url,
            }
        )
        return environment

    def _seed(self) -> None:
        """Run ``paotui_local.seed.seed()`` (or ``seed(stack)``) -> fixture; a failure is logged, not fatal."""
        started = time.perf_counter()
        try:
            seed = importlib.import_module("paotui_local.seed").seed
            wants_stack = bool(inspect.signature(seed).parameters)
            self.gateway.seed_fixture = seed(self.stack) if wants_stack else seed()
        except ModuleNotFoundError as exc:
            if exc.name != "paotui_local.seed":
                log.exception("seeding failed; GET /dev/seed will answer 404")
            else:
                log.info("no paotui_local/seed.py: starting without a demo fixture")
            return
        except Exception:
            log.exception("seeding failed; GET /dev/seed will answer 404")
            return
        log.info("seeded the demo fixture in %.0f ms", (time.perf_counter() - started) * 1000)
