"""飞鹅云 (Feieyun) open platform: the shops' cloud receipt printers.

Protocol, as Feieyun's documentation (help.feieyun.com) and its SDKs describe it:

- Every call is ``POST <base_url>`` (``https://api.feieyun.cn/Api/Open/``), form-encoded, with ``user`` (the
  developer account), ``stime`` (Unix seconds), ``sig`` = the lower-case hex SHA-1 of ``user + UKEY + stime``,
  ``apiname`` and the call's own fields. The answer is ``{"ret": 0|code, "msg", "data", "serverExecutedTime"}``.
- ``Open_printerAddlist`` adds printers to the account: ``printerContent`` lines ``SN#KEY#name``, where KEY is the
  识别码 on the printer's label, which proves whoever adds it holds the printer. ``data`` is ``{"ok": [...],
  "no": [...]}``; a refused line carries the reason: ``"SN#KEY#name （错误：识别码不正确）"``.
- ``Open_printerDelList`` removes them (``snlist``: SNs joined by ``-``).
- ``Open_printMsg`` prints ``content`` (Feieyun's markup: ``<CB>`` centred and large, ``<B>`` large, ``<BR>`` a
  line break, ``<CUT>``…, at most 5,000 bytes) ``times`` copies on printer ``sn``; ``data`` is Feieyun's id of the
  print job. A printer that is offline or out of paper keeps the job until it can print it.
- ``Open_queryPrinterStatus`` answers the printer's state as text: 离线, 在线，工作状态正常, or 在线，工作状态不正常
  (usually out of paper).

Not confirmed from Feieyun's public material, so handled defensively: the ``ret`` codes (any non-zero is a
refusal, whose ``msg`` is passed on; only an HTTP failure or an unreadable answer is "unavailable"); the exact
wording of a refused printer line (the text after ``错误：`` is passed on, and one that says the printer was added
already, 已被添加, is told apart); whether ``stime`` must be recent (it is always now).

Secret JSON (``FeieSecret``): ``{"user", "ukey", "base_url"?}``; ``{}`` leaves cloud printing off.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from paotui.platform.errors import BadGateway, Conflict, ServiceUnavailable, Unprocessable
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

NAME = "feie"
DEFAULT_BASE_URL = "https://api.feieyun.cn/Api/Open/"
MAX_CONTENT_BYTES = 5000
MAX_COPIES = 10  # Feieyun's ``times``: at most 10 copies a job
_REFUSED_LINE = re.compile(r"[（(]\s*错误[:：]\s*(?P<reason>[^）)]*)[）)]\s*$")
_ADDED_ALREADY = "已被添加"

PRINTER_UNAVAILABLE = "PRINTER_CLOUD_UNAVAILABLE"
PRINTER_REFUSED = "PRINTER_REFUSED"
PRINTER_TAKEN = "PRINTER_TAKEN"


class PrinterState(StrEnum):
    OFFLINE = "offline"
    READY = "ready"
    NEEDS_ATTENTION = "needs_attention"  # online but not working: most often out of paper
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class FeieConfig:
    user: str
    ukey: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 10.0
    """Seconds to wait for an answer (connecting gets at most 5)."""

    def __post_init__(self) -> None:
        for name in ("user", "ukey", "base_url"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"Feieyun config: {name} is required")

    @classmethod
    def from_secret(cls, json_text: str) -> FeieConfig | None:
        """From ``FeieSecret`` (keys in the module docstring); None for ``{}``; unknown keys are refused."""
        from paotui.platform.secrets import optional_config_from_secret

        return optional_config_from_secret(cls, json_text, "Feieyun")


def signature(user: str, ukey: str, stime: str) -> str:
    """Feieyun's ``sig``: SHA-1 of user + UKEY + stime, 40 lower-case hex digits."""
    return hashlib.sha1(f"{user}{ukey}{stime}".encode()).hexdigest()  # noqa: S324 (Feieyun's protocol)


def signed_form(config: FeieConfig, apiname: str, fields: dict[str, str], stime: int) -> dict[str, str]:
    return {
        "user": config.user,
        "stime": str(stime),
        "sig": signature(config.user, config.ukey, str(stime)),
        "apiname": apiname,
        **fields,
    }


def refused_reason(line: str) -> str:
    """The reason Feieyun gives for a printer line it refused (the text after 错误：), or the whole line."""
    match = _REFUSED_LINE.search(line)
    return match["reason"].strip() if match else line.strip()


class FeieCloud:
    """The printer cloud of one Feieyun developer account; built once per container and secret value."""

    name = NAME

    def __init__(self, config: FeieConfig):
        import requests  # here, not at the top: see ``configured``

        self.config = config
        self._http = requests.Session()

    def add_printer(self, sn: str, key: str, label: str) -> bool:
        """Add the printer to the account: True if it was added now, False if the account had it already (whose
        it is there is the caller's to know). 422 ``PRINTER_REFUSED`` with Feieyun's reason otherwise (a wrong 识别码,
        an unknown SN, a printer another account holds)."""
        line = "#".join((sn, key, label.replace("#", " ")))
        data = self._call("Open_printerAddlist", {"printerContent": line}, sn=sn)
        refused = [str(entry) for entry in (data or {}).get("no") or []]
        if not refused:
            return True
        reason = refused_reason(refused[0])
        if _ADDED_ALREADY in reason:
            return False
        raise Unprocessable(
            f"Feieyun won't add this printer: {reason}",
            code=PRINTER_REFUSED,
            details={"provider": NAME, "provider_message": reason},
        )

    def remove_printer(self, sn: str) -> None:
        data = self._call("Open_printerDelList", {"snlist": sn}, sn=sn)
        refused = [str(entry) for entry in (data or {}).get("no") or []]
        if refused:  # not in the account (any more): nothing left to remove
            logger.info("feieyun had no such printer", extra={"sn": sn, "provider_message": refused[0]})

    def print(self, sn: str, content: str, copies: int = 1) -> str:
        """Send a ticket to the printer; Feieyun's id of the print job."""
        if len(content.encode()) > MAX_CONTENT_BYTES:
            raise ValueError(f"a ticket has at most {MAX_CONTENT_BYTES} bytes")
        fields = {"sn": sn, "content": content, "times": str(max(1, min(copies, MAX_COPIES)))}
        job = self._call("Open_printMsg", fields, sn=sn)
        if not isinstance(job, str) or not job:
            raise _unavailable("Feieyun's answer is not one we understand.")
        return job

    def printer_state(self, sn: str) -> PrinterState:
        text = str(self._call("Open_queryPrinterStatus", {"sn": sn}, sn=sn) or "")
        if "离线" in text:
            return PrinterState.OFFLINE
        if "不正常" in text:
            return PrinterState.NEEDS_ATTENTION
        if "正常" in text:
            return PrinterState.READY
        return PrinterState.UNKNOWN

    def _call(self, apiname: str, fields: dict[str, str], *, sn: str) -> Any:
        """One signed call: its ``data``; a refusal → 422 ``PRINTER_REFUSED``; unreachable or failing → 502."""
        import requests

        form = signed_form(self.config, apiname, fields, int(time.time()))
        timeout = (min(5.0, self.config.timeout), self.config.timeout)
        try:
            response = self._http.post(self.config.base_url, data=form, timeout=timeout)
        except requests.RequestException as error:
            raise _unavailable("Feieyun could not be reached.", reason=type(error).__name__) from None
        if response.status_code != 200:
            raise _unavailable("Feieyun did not answer.", http_status=response.status_code)
        try:
            answer = json.loads(response.content)
            ret, message = int(answer["ret"]), str(answer.get("msg") or "")
        except (ValueError, KeyError, TypeError):
            raise _unavailable("Feieyun's answer is not one we understand.") from None
        logger.info("feieyun call", extra={"apiname": apiname, "feie_ret": ret, "sn": sn})
        if ret != 0:
            raise Unprocessable(
                f"Feieyun refused: {message}",
                code=PRINTER_REFUSED,
                details={"provider": NAME, "provider_code": ret, "provider_message": message},
            )
        return answer.get("data")


def _unavailable(message: str, **details: object) -> BadGateway:
    return BadGateway(message, code=PRINTER_UNAVAILABLE, details={"provider": NAME, **details})


def taken() -> Conflict:
    return Conflict("This printer is bound to another shop.", code=PRINTER_TAKEN, details={"provider": NAME})


def configured() -> FeieCloud | None:
    """The deployment's Feieyun account, or None while ``FeieSecret`` is ``{}``. (Secrets Manager and ``requests``
    are loaded when the account is first used: CatalogApi and OrdersApi load this module at every cold start.)"""
    from paotui.platform.secrets import secret_value

    arn = get_settings().feie_secret_arn
    return _cloud(secret_value(arn)) if arn else None


def required() -> FeieCloud:
    """The deployment's Feieyun account; 503 ``PRINTING_OFF`` while an operator has not set one up."""
    cloud = configured()
    if cloud is None:
        raise ServiceUnavailable("Cloud printing is not set up on this platform.", code="PRINTING_OFF")
    return cloud


@lru_cache(maxsize=2)
def _cloud(document: str) -> FeieCloud | None:
    """One adapter per secret value: it keeps its HTTP connections."""
    config = FeieConfig.from_secret(document)
    return FeieCloud(config) if config else None
