"""Local clouds forked from one process that has already imported everything a cloud imports.

Why: the e2e tier starts a cloud per test module, and a fresh ``python -m paotui_local`` spends
~2.5 s of CPU importing moto, botocore and our modules before it does anything. A child forked
from this process starts with all of that loaded, then runs exactly what ``python -m
paotui_local`` runs (:func:`paotui_local.__main__.main`) with its own arguments and environment,
in a process of its own that the caller kills when done.

Protocol, over the UNIX ``SOCK_SEQPACKET`` socket given as fd ``--channel``: each request is one
JSON message ``{"argv": [...], "env": {...}}`` carrying one file descriptor, which becomes the
child's stdout and stderr; the answer is ``{"pid": N}``. The zygote ends when the caller closes
the socket. It never starts a thread (a fork copies only the forking thread, so a lock another
thread held would stay held in the child), and lets the kernel reap its children.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import socket
import sys
import threading

MOTO_SERVICES = ("dynamodb", "dynamodbstreams", "iam", "s3", "secretsmanager", "sns", "sqs", "stepfunctions", "sts")
"""The services a cloud's moto serves: moto imports each one's backend, and reads its botocore data, on its first
request otherwise."""

PRELOADED = (
    "paotui_local.__main__",
    "paotui_local.seed",
    "moto.awslambda",
    "moto.moto_api",
    *(f"moto.{service}" for service in MOTO_SERVICES),
)

MAX_REQUEST_BYTES = 1 << 20


def serve(channel: socket.socket) -> None:
    """Fork a cloud for each request until the caller closes the channel."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    while True:
        message, fds, _flags, _address = socket.recv_fds(channel, MAX_REQUEST_BYTES, 1)
        if not message:
            return
        (output,) = fds  # the harness sends one with every request
        request = json.loads(message)
        if threading.active_count() != 1:
            raise RuntimeError("the zygote has started a thread; forking it would be unsafe")
        pid = os.fork()
        if pid == 0:
            channel.close()
            _run_cloud(request["argv"], request["env"], output)
        os.close(output)
        channel.send(json.dumps({"pid": pid}).encode())


def _run_cloud(argv: list[str], env: dict[str, str], output: int) -> None:
    """In the child: the cloud's own stdio and environment, then the same ``main`` as ``python -m paotui_local``."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the cloud waits for its own children
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.close(devnull)
        os.environ.clear()
        os.environ.update(env)
        from paotui_local.__main__ import main

        code = main(argv)
    except SystemExit as exit_:  # argparse's --help and errors
        code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    except BaseException:  # noqa: BLE001 (the child must never return into the zygote's loop)
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _load_moto_service_data() -> None:
    """What moto reads on a service's first request, cached process-wide: its regions (from a botocore
    session moto keeps) and its botocore service model."""
    from moto.core.base_backend import AccountSpecificBackend
    from moto.core.utils import get_service_model

    session = AccountSpecificBackend.get_session()
    for partition in session.get_available_partitions():
        for service in MOTO_SERVICES:
            session.get_available_regions(service, partition_name=partition)
    for service in MOTO_SERVICES:
        get_service_model(service)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paotui_local.zygote", description=__doc__.splitlines()[0])
    parser.add_argument("--channel", type=int, required=True, help="fd of the SOCK_SEQPACKET socket to serve")
    args = parser.parse_args(argv)
    for name in PRELOADED:
        importlib.import_module(name)
    _load_moto_service_data()
    with socket.socket(fileno=args.channel) as channel:
        serve(channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
