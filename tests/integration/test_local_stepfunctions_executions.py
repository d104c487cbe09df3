"""The local cloud's moto parses a state machine's definition once, and stops an execution from its first moment."""

from __future__ import annotations

import json
import threading
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from jsonpath_ng.ext.parser import ExtendedJsonPathParser
from moto import mock_aws
from moto.core.config import default_user_config
from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from paotui_local.stepfunctions_executions import (
    compile_each_json_path_once,
    parse_each_definition_once,
    stop_from_the_start,
)

ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture
def sfn(monkeypatch):
    parse_each_definition_once()
    compile_each_json_path_once()
    stop_from_the_start()
    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    with mock_aws():
        yield boto3.client("stepfunctions", region_name="us-east-1")


def machine(sfn, states: dict) -> str:
    """A state machine whose definition no other test has (the parse trees are kept per process)."""
    definition = {"Comment": uuid.uuid4().hex, "StartAt": next(iter(states)), "States": states}
    return sfn.create_state_machine(name=uuid.uuid4().hex, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]


def finished(sfn, execution_arn: str) -> dict:
    deadline = time.monotonic() + 10
    while (found := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.02)
    return found


def test_each_execution_runs_its_own_input_through_a_definition_parsed_once(sfn, monkeypatch):
    parses = []
    state_machine = ASLParser.state_machine
    monkeypatch.setattr(ASLParser, "state_machine", lambda parser: parses.append(1) or state_machine(parser))
    arn = machine(
        sfn,
        {
            "Greet": {
                "Type": "Pass",
                "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    )

    names = ["ana", "bo", "cy"]
    runs = [sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"name": name})) for name in names]

    outputs = [json.loads(finished(sfn, run["executionArn"])["output"]) for run in runs]
    assert outputs == [{"greeting": f"hello {name}"} for name in names]
    assert len(parses) == 1  # at create_state_machine; each execution reused its tree


def test_each_json_path_is_compiled_once_for_every_execution(sfn, monkeypatch):
    compiled = []
    make_parser = ExtendedJsonPathParser.__init__
    monkeypatch.setattr(ExtendedJsonPathParser, "__init__", lambda *a, **k: compiled.append(1) or make_parser(*a, **k))
    field = f"f{uuid.uuid4().hex}"  # paths no other test compiled
    arn = machine(sfn, {"Pick": {"Type": "Pass", "InputPath": f"$.{field}", "ResultPath": "$.picked", "End": True}})

    runs = [sfn.start_execution(stateMachineArn=arn, name=f"run-{n}", input=json.dumps({field: n})) for n in range(3)]

    outputs = [json.loads(finished(sfn, run["executionArn"])["output"]) for run in runs]
    assert outputs == [{field: n, "picked": n} for n in range(3)]
    assert len(compiled) == 1  # the input path; the result path is compiled by jsonpath_ng's plain parser


def test_an_invalid_definition_is_refused_each_time_it_is_sent(sfn):
    definition = json.dumps({"StartAt": "Here", "States": {"Here": {"Type": "Teleport"}}})
    for attempt in range(2):
        with pytest.raises(ClientError, match="Teleport"):
            sfn.create_state_machine(name=f"bad-{attempt}", definition=definition, roleArn=ROLE)


def test_an_execution_stopped_while_its_thread_parses_the_definition_is_aborted(sfn, monkeypatch):
    """Its thread is held where moto parses, after start_execution answered: its history can be read, and a stop
    waits for the program to begin and returns once the execution is ABORTED, as in AWS."""
    parsing, go_on = threading.Event(), threading.Event()
    entrypoint = ExecutionWorker._get_evaluation_entrypoint

    def slow_parse(worker):
        parsing.set()
        go_on.wait(10)
        return entrypoint(worker)

    monkeypatch.setattr(ExecutionWorker, "_get_evaluation_entrypoint", slow_parse)
    arn = machine(sfn, {"Sleep": {"Type": "Wait", "Seconds": 3600, "End": True}})
    run = sfn.start_execution(stateMachineArn=arn, name="stopped-early", input="{}")
    assert parsing.wait(10)

    assert sfn.get_execution_history(executionArn=run["executionArn"])["events"] == []
    threading.Timer(0.2, go_on.set).start()
    sfn.stop_execution(executionArn=run["executionArn"])

    assert sfn.describe_execution(executionArn=run["executionArn"])["status"] == "ABORTED"  # as StopExecution returns
