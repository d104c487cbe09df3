"""docs/watchdog.md's diagram is the one the state machine's definition draws, edge for edge."""

from collections.abc import Iterator

from paotui_local import asl_diagram


def scopes(machine: dict, indent: str = "    ") -> Iterator[tuple[dict, str]]:
    """Each state machine (the document, then every Parallel's branches) with the indent its lines have."""
    yield machine, indent
    for state in machine["States"].values():
        for branch in state.get("Branches", []):
            yield from scopes(branch, indent + "    ")


def test_the_documented_diagram_is_generated_from_the_definition():
    assert asl_diagram.documented() == asl_diagram.mermaid(asl_diagram.load()), (
        "the watchdog changed: run .venv/bin/python -m paotui_local.asl_diagram --write"
    )


def test_every_transition_of_the_definition_is_an_edge():
    document = asl_diagram.load()
    diagram = asl_diagram.mermaid(document)
    for machine, indent in scopes(document):
        assert f"{indent}[*] --> {machine['StartAt']}" in diagram
        for name, state in machine["States"].items():
            targets = [state.get("Next"), state.get("Default")]
            targets += [rule["Next"] for rule in state.get("Choices", []) + state.get("Catch", [])]
            for target in filter(None, targets):
                assert f"{indent}{name} --> {target}" in diagram
            if state.get("End") or state["Type"] in ("Succeed", "Fail"):
                assert f"{indent}{name} --> [*]" in diagram


def test_a_parallel_state_holds_its_branches_side_by_side():
    diagram = asl_diagram.mermaid(asl_diagram.load())
    block = diagram.split("    state Fulfil {\n", 1)[1].split("\n    }\n", 1)[0]
    first, second = block.split("\n        --\n")
    assert "AwaitPickup --> AwaitDelivery" in first and "AwaitPickup" not in second
    assert "WaitUntilLate --> MarkLate" in second


def test_labels_name_what_a_transition_waits_for():
    diagram = asl_diagram.mermaid(asl_diagram.load())
    assert "AwaitPayment --> PaymentTimedOut : timeout" in diagram
    assert "AwaitAssignment --> OfferWasRejected : OfferRejected" in diagram
    assert "AwaitPickup --> AwaitAssignment : RiderReassigned" in diagram
    assert "Fulfil --> AwaitContact : DeliveryFailed" in diagram
    assert "DispatchDue --> WaitForDispatchTime : dispatch_in > 0" in diagram
    assert "Resume --> NewOrder : no resume" in diagram
    assert "AwaitReturn --> ReportFailure : any error" in diagram
