"""``paotui-local``: run the local cloud until Ctrl-C or SIGTERM.

stdout carries exactly one line, ``paotui local cloud ready on <url>``, for
scripts that wait for it; everything else (our logs, the functions' JSON logs
and metrics, which Powertools prints to stdout) goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from paotui.platform.observability import logger as domain_logger
from paotui_local.cloud import LOCAL_PARAMETERS, TIMER_VARIABLES, LocalCloud, Options, timer_overrides
from paotui_local.functions import DEFAULT_TEMPLATE
from paotui_local.pollers import PollSettings
from paotui_local.template import TemplateError

log = logging.getLogger("paotui_local")


def _parameter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected Name=Value, got {text!r}")
    return name, value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="paotui-local",
        description="Run paotui on this machine: moto, "
        "the template's resources, the API gateway and the event pollers.",
    )
    parser.add_argument("--port", type=int, default=3000, help="gateway port (0: any free port)")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--moto-port", type=int, default=0, help="embedded moto port (default: any free port)")
    parser.add_argument("--no-seed", action="store_true", help="do not load the demo fixture")
    parser.add_argument("--stack-name", default="paotui", help="prefix of physical names (default: paotui)")
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        type=_parameter,
        action="extend",
        default=[],
        metavar="Name=Value",
        help="template parameters; they win over the local defaults ("
        + " ".join(f"{k}={v}" for k, v in LOCAL_PARAMETERS.items())
        + ") and over the timer variables in the environment ("
        + ", ".join(TIMER_VARIABLES.values())
        + ")",
    )
    parser.add_argument("--max-containers", type=int, default=4, help="concurrent invocations per function")
    parser.add_argument(
        "--sqs-retry-delay",
        type=int,
        default=PollSettings.sqs_retry_delay,
        help="seconds a failed SQS message stays invisible",
    )
    parser.add_argument("--log-level", default=os.environ.get("PAOTUI_LOCAL_LOG_LEVEL", "INFO"))
    return parser.parse_args(argv)


def _configure_logging(level: str) -> None:
    """Our lines through a handler of their own: Powertools' Logger puts a filter on the root
    handlers that drops every record whose logger name contains its service name ("paotui")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
    _domain_lines_through(handler)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        datefmt="%H:%M:%S",
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )


def _domain_lines_through(handler: logging.Handler) -> None:
    """The seeder runs the domain's services in this process. Their Powertools logger was made at import,
    before any of this: it wrote JSON to the real stdout, where only the ready line belongs, and each line
    again through the root handler, as "service_undefined". Here they read like the cloud's own lines."""
    domain = logging.getLogger(domain_logger.name)
    domain.removeHandler(domain_logger.registered_handler)
    domain.addHandler(handler)
    domain.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ready_stream, sys.stdout = sys.stdout, sys.stderr
    _configure_logging(args.log_level.upper())

    options = Options(
        template=args.template,
        port=args.port,
        moto_port=args.moto_port,
        stack_name=args.stack_name,
        parameter_overrides={**timer_overrides(os.environ), **dict(args.parameter_overrides)},
        seed=not args.no_seed,
        max_containers=args.max_containers,
        poll=PollSettings(sqs_retry_delay=args.sqs_retry_delay),
    )
    stopping = threading.Event()
    cloud = LocalCloud(options)
    try:
        cloud.start()
    except (TemplateError, OSError) as exc:
        log.error("cannot start: %s", exc)
        return 1
    except KeyboardInterrupt:
        return 0
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    print(f"paotui local cloud ready on {cloud.url}", file=ready_stream, flush=True)
    while not stopping.wait(0.5):
        pass
    log.info("stopping")
    cloud.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
