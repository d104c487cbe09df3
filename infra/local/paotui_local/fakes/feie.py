"""飞鹅云 (Feieyun) as a local fake: the developer account's printers, and what each prints.

Why: ``paotui.printing.feie`` must be exercised end to end (the form-encoded call, the SHA-1 ``sig``, Feieyun's
answer shape and refusals) without a Feieyun account or a printer, and the console's printer settings need one to
bind. The fake serves ``POST /Api/Open/`` on 127.0.0.1, checks ``user`` and ``sig`` as Feieyun does (a wrong one
is refused with a non-zero ``ret``), and keeps in memory the printers in the stock (SN → 识别码, as printed on their
labels), those added to the account, and every job each printer was sent.

How: ``with FakeFeie() as fake:`` (or ``start()``/``stop()``) serves on ``fake.url``; ``secret_json()`` is
``FeieSecret`` pointing here. ``DEMO_PRINTERS`` are in stock from the start; ``stock(sn, key)`` adds one, and
``printed(sn)`` is what a printer has printed, its content as sent. ``offline``/``out_of_paper`` hold SNs whose
status says so (their jobs are still taken, as Feieyun keeps them). ``down = True`` answers every call 503;
``refuse_prints = True`` refuses every print as Feieyun refuses a job for a printer it does not have. Dev tooling
only.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from paotui.printing.feie import signature
from paotui_local.fakes import FakeServer, Response

PATH = "/Api/Open/"
DEMO_PRINTERS = {"960238952": "kx9b3m2q", "960238953": "p4t7w1zc"}  # SN → 识别码, as on their labels


@dataclass(frozen=True)
class Job:
    id: str
    sn: str
    content: str
    copies: int


class FakeFeie(FakeServer):
    name = "fake-feie"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.user = "dev@paotui.local"
        self.ukey = secrets.token_hex(8)
        self.stocked = dict(DEMO_PRINTERS)
        self.account: dict[str, str] = {}  # SN → the name it was added with
        self.jobs: list[Job] = []
        self.offline: set[str] = set()
        self.out_of_paper: set[str] = set()
        self.down = False
        self.refuse_prints = False
        self.calls: list[dict[str, str]] = []
        self._numbers = itertools.count(1)

    def secret_json(self) -> str:
        return json.dumps({"user": self.user, "ukey": self.ukey, "base_url": self.url + PATH})

    def stock(self, sn: str, key: str) -> None:
        with self.lock:
            self.stocked[sn] = key

    def printed(self, sn: str) -> list[Job]:
        with self.lock:
            return [job for job in self.jobs if job.sn == sn]

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        form = {name: values[0] for name, values in parse_qs(body.decode(), keep_blank_values=True).items()}
        with self.lock:
            self.calls.append(form)
        if self.down:
            return Response(503, {"Content-Type": "text/plain"}, b"Service Unavailable")
        if method != "POST" or urlsplit(target).path != PATH:
            return Response(404, {"Content-Type": "text/plain"}, b"Not Found")
        if form.get("user") != self.user:
            return _answer(-2, "参数错误 : 该帐号未注册.")
        if form.get("sig") != signature(self.user, self.ukey, form.get("stime", "")):
            return _answer(-2, "参数错误 : 参数sig不正确.")
        apis = {
            "Open_printerAddlist": self._add,
            "Open_printerDelList": self._delete,
            "Open_printMsg": self._print,
            "Open_queryPrinterStatus": self._status,
        }
        api = apis.get(form.get("apiname", ""))
        if api is None:
            return _answer(-2, "参数错误 : 参数apiname不正确.")
        with self.lock:
            return api(form)

    def _add(self, form: dict[str, str]) -> Response:
        ok, no = [], []
        for line in filter(None, form.get("printerContent", "").split("\n")):
            sn, key, name = ([*line.split("#"), "", ""])[:3]
            if sn not in self.stocked:
                no.append(f"{line}  （错误：打印机编号错误）")
            elif self.stocked[sn] != key:
                no.append(f"{line}  （错误：识别码不正确）")
            elif sn in self.account:
                no.append(f"{line}  （错误：已被添加过）")
            else:
                self.account[sn] = name
                ok.append(line)
        return _answer(0, "ok", {"ok": ok, "no": no})

    def _delete(self, form: dict[str, str]) -> Response:
        ok, no = [], []
        for sn in filter(None, form.get("snlist", "").split("-")):
            if self.account.pop(sn, None) is None:
                no.append(f"{sn}  （错误：打印机不存在）")
            else:
                ok.append(sn)
        return _answer(0, "ok", {"ok": ok, "no": no})

    def _print(self, form: dict[str, str]) -> Response:
        sn = form.get("sn", "")
        if sn not in self.account or self.refuse_prints:
            return _answer(1002, "错误：打印机编号错误或未添加.")
        content = form.get("content", "")
        if not content or len(content.encode()) > 5000:
            return _answer(1003, "参数错误 : 打印内容为空或超过5000字节.")
        job_id = f"{sn}_{time.strftime('%Y%m%d%H%M%S')}_{next(self._numbers)}"  # as Feieyun numbers its jobs
        job = Job(job_id, sn, content, int(form.get("times", "1")))
        self.jobs.append(job)
        return _answer(0, "ok", job.id)

    def _status(self, form: dict[str, str]) -> Response:
        sn = form.get("sn", "")
        if sn not in self.account:
            return _answer(1002, "错误：打印机编号错误或未添加.")
        if sn in self.offline:
            return _answer(0, "ok", "离线。")
        if sn in self.out_of_paper:
            return _answer(0, "ok", "在线，工作状态不正常。")
        return _answer(0, "ok", "在线，工作状态正常。")


def _answer(ret: int, msg: str, data: Any = None) -> Response:
    body = {"msg": msg, "ret": ret, "data": data, "serverExecutedTime": 3}
    return Response(200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode())
