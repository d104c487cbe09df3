"""infra/statemachines/order-watchdog.asl.json is a sound Amazon States Language document.

The file holds ``${...}`` placeholders that CloudFormation (and the local
cloud) replace textually from the template's DefinitionSubstitutions; the
timeouts are unquoted so that they become numbers. The checks here are
structural: it parses once substituted, every transition lands on a state,
every wait can time out and be closed, nothing retries an answer the worker
gave on purpose, and every message it sends is a valid DomainEvent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from paotui.platform.events import DomainEvent

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = ROOT / "infra" / "statemachines" / "order-watchdog.asl.json"

QUEUE_URLS = {
    "WatchdogQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/watchdog",
    "DispatchQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/dispatch",
}
TIMEOUTS = {
    "PaymentTimeoutSeconds": 900,
    "ConfirmTimeoutSeconds": 600,
    "OfferTtlSeconds": 30,
    "DeliveryTimeoutSeconds": 3600,
}
# await state -> (step in the message, the timeout placeholder it uses)
AWAITS = {
    "AwaitPayment": ("payment", "PaymentTimeoutSeconds"),
    "AwaitConfirmation": ("confirmation", "ConfirmTimeoutSeconds"),
    "AwaitAssignment": ("assignment", "OfferTtlSeconds"),
    "AwaitDelivery": ("delivery", "DeliveryTimeoutSeconds"),
}
DELIBERATE_ERRORS = {"OrderClosed", "OfferRejected"}  # sent by our workers with SendTaskFailure
WAIT_FOR_TOKEN = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
SEND = "arn:aws:states:::sqs:sendMessage"


def raw() -> str:
    return DEFINITION.read_text(encoding="utf-8")


def substituted(values: dict | None = None) -> str:
    values = {**QUEUE_URLS, **TIMEOUTS, **(values or {})}
    return re.sub(r"\$\{(\w+)\}", lambda m: str(values[m.group(1)]), raw())


def definition() -> dict:
    return json.loads(substituted())


def states() -> dict[str, dict]:
    return definition()["States"]


def targets(state: dict) -> list[str]:
    out = [state["Next"]] if "Next" in state else []
    out += [c["Next"] for c in state.get("Catch", [])]
    out += [c["Next"] for c in state.get("Choices", [])]
    if "Default" in state:
        out.append(state["Default"])
    return out


def catch_target(state: dict, error: str) -> str | None:
    for catcher in state.get("Catch", []):
        if error in catcher["ErrorEquals"] or "States.ALL" in catcher["ErrorEquals"]:
            return catcher["Next"]
    return None


def render(body: dict, sample: str = "x") -> dict:
    """A message body as Step Functions would send it: ``key.$`` paths become values."""
    out = {}
    for key, value in body.items():
        if key.endswith(".$"):
            out[key[:-2]] = sample
        elif isinstance(value, dict):
            out[key] = render(value, sample)
        else:
            out[key] = value
    return out


# --- the file and the template agree ----------------------------------------------------------------


def test_placeholders_are_exactly_the_template_substitutions():
    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    substitutions = template["Resources"]["OrderWatchdog"]["Properties"]["DefinitionSubstitutions"]
    assert set(re.findall(r"\$\{(\w+)\}", raw())) == set(substitutions) == set(QUEUE_URLS) | set(TIMEOUTS)


def test_is_valid_json_after_substitution():
    document = definition()
    assert document["StartAt"] in document["States"]


def test_timeouts_are_unquoted_so_they_substitute_to_numbers():
    for name in TIMEOUTS:
        assert re.search(r'"TimeoutSeconds":\s*\$\{' + name + r"\}", raw()), name
    for name, state in states().items():
        if "TimeoutSeconds" in state:
            assert isinstance(state["TimeoutSeconds"], int), name


def test_short_local_timeouts_substitute_too():
    document = json.loads(substituted({name: 2 for name in TIMEOUTS}))
    assert all(document["States"][name]["TimeoutSeconds"] == 2 for name in AWAITS)


# --- graph ------------------------------------------------------------------------------------------


def test_every_transition_lands_on_a_state():
    names = set(states())
    for name, state in states().items():
        for target in targets(state):
            assert target in names, f"{name} -> {target}"


def test_every_state_is_reachable_and_can_end():
    graph = {name: targets(state) for name, state in states().items()}
    seen, todo = set(), [definition()["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph[name])
    assert seen == set(states())
    for name, state in states().items():
        assert targets(state) or state.get("End") or state["Type"] in ("Succeed", "Fail"), name


def test_happy_path_order():
    document, path, name = definition(), [], definition()["StartAt"]
    while "Next" in states()[name]:
        path.append(name)
        name = states()[name]["Next"]
    assert path == list(AWAITS)
    assert document["States"][name]["Type"] == "Succeed"


def test_only_sqs_service_integrations():
    for name, state in states().items():
        if state["Type"] == "Task":
            assert state["Resource"] in (WAIT_FOR_TOKEN, SEND), name


# --- awaits -------------------------------------------------------------------------------------------


def await_states() -> dict[str, dict]:
    return {name: state for name, state in states().items() if state.get("Resource") == WAIT_FOR_TOKEN}


def test_the_await_states_are_the_documented_steps():
    assert set(await_states()) == set(AWAITS)


@pytest.mark.parametrize("name", sorted(AWAITS))
def test_await_can_time_out_and_be_closed(name):
    state = await_states()[name]
    _, placeholder = AWAITS[name]
    # the TIMEOUTS values are distinct, so this also proves which placeholder the state uses
    assert state["TimeoutSeconds"] == TIMEOUTS[placeholder]
    assert catch_target(state, "States.Timeout"), f"{name} does not catch States.Timeout"
    closed = catch_target(state, "OrderClosed")
    assert closed and states()[closed]["Type"] == "Succeed", f"{name}: OrderClosed must end the execution cleanly"
    assert state["ResultPath"] is None, "the execution input (order_id) must survive the wait"
    for catcher in state["Catch"]:
        assert catcher.get("ResultPath", "$") != "$", f"{name}: a catcher must not replace the input with the error"


@pytest.mark.parametrize("name", sorted(AWAITS))
def test_await_message_is_a_domain_event(name):
    state = await_states()[name]
    parameters = state["Parameters"]
    assert parameters["QueueUrl"] == QUEUE_URLS["WatchdogQueueUrl"]
    body = parameters["MessageBody"]
    assert body["type"] == "watchdog.await"
    assert body["data"]["step"] == AWAITS[name][0]
    assert body["data"]["task_token.$"] == "$$.Task.Token"
    assert body["data"]["order_id.$"] == "$.order_id"
    assert body["subject.$"] == "$.order_id"
    # a retried wait re-sends with a new token: its id must differ, or consumers would skip it
    assert all(part in body["id.$"] for part in ("$$.Execution.Name", "$$.State.EnteredTime", "$$.State.RetryCount"))
    event = DomainEvent.model_validate(render(body))
    assert set(event.data) == {"order_id", "step", "task_token"}


@pytest.mark.parametrize("name", sorted(AWAITS))
def test_deliberate_failures_are_never_retried(name):
    retriers = await_states()[name].get("Retry", [])
    for error in DELIBERATE_ERRORS:
        for retrier in retriers:
            matches = error in retrier["ErrorEquals"] or {"States.ALL", "States.TaskFailed"} & set(
                retrier["ErrorEquals"]
            )
            if matches:
                assert retrier.get("MaxAttempts") == 0, f"{name} would retry {error} via {retrier['ErrorEquals']}"
                break


def test_sends_retry_transient_sqs_errors():
    for name, state in states().items():
        if state.get("Type") == "Task":
            errors = {e for r in state.get("Retry", []) if r.get("MaxAttempts", 3) > 0 for e in r["ErrorEquals"]}
            assert "SQS.SdkClientException" in errors, name


# --- timeouts and redispatch -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("await_name", "step"),
    [("AwaitPayment", "payment"), ("AwaitConfirmation", "confirmation"), ("AwaitDelivery", "delivery")],
)
def test_timeout_posts_watchdog_timeout_and_ends(await_name, step):
    timed_out = states()[catch_target(states()[await_name], "States.Timeout")]
    assert timed_out["Resource"] == SEND
    assert timed_out["Parameters"]["QueueUrl"] == QUEUE_URLS["WatchdogQueueUrl"]
    body = timed_out["Parameters"]["MessageBody"]
    assert body["type"] == "watchdog.timeout"
    event = DomainEvent.model_validate(render(body))
    assert event.data == {"order_id": "x", "step": step}
    assert timed_out.get("End") is True


def _follow_to_send(name: str) -> tuple[str, list[str]]:
    """Walk Pass states from ``name`` to the first Task; returns it and the Pass states passed."""
    passed = []
    while states()[name]["Type"] == "Pass":
        passed.append(name)
        name = states()[name]["Next"]
    return name, passed


@pytest.mark.parametrize(
    ("error", "reason"), [("States.Timeout", "offer_expired"), ("OfferRejected", "offer_rejected")]
)
def test_assignment_redispatches_and_waits_again(error, reason):
    start = catch_target(states()["AwaitAssignment"], error)
    assert start, f"AwaitAssignment does not catch {error}"
    send, passed = _follow_to_send(start)
    redispatch = states()[send]
    assert redispatch["Resource"] == SEND
    assert redispatch["Parameters"]["QueueUrl"] == QUEUE_URLS["DispatchQueueUrl"]
    assert redispatch["Next"] == "AwaitAssignment"
    body = redispatch["Parameters"]["MessageBody"]
    assert body["type"] == "dispatch.requested"
    DomainEvent.model_validate(render(body))
    # the reason is set by the Pass state on the way, read back by the send
    reason_path = body["data"]["reason.$"]
    assert any(states()[p].get("Result") == reason and states()[p].get("ResultPath") == reason_path for p in passed), (
        f"{error} should redispatch with reason {reason}"
    )


def test_every_message_sent_is_a_domain_event():
    for name, state in states().items():
        if state.get("Type") == "Task":
            body = state["Parameters"]["MessageBody"]
            assert "$$.Execution.Name" in body["id.$"] and "$$.State.EnteredTime" in body["id.$"], name
            if state["Resource"] == SEND:  # stable across retries, so a re-sent timeout/redispatch is deduped
                assert "RetryCount" not in body["id.$"], name
            assert set(render(body)) == set(DomainEvent.model_fields), name
            DomainEvent.model_validate(render(body))
