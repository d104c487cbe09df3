"""docs/watchdog.md's diagram is the one the state machine's definition draws, edge for edge."""

from paotui_local import asl_diagram


def test_the_documented_diagram_is_generated_from_the_definition():
    assert asl_diagram.documented() == asl_diagram.mermaid(asl_diagram.load()), (
        "the watchdog changed: run .venv/bin/python -m paotui_local.asl_diagram --write"
    )


def test_every_transition_of_the_definition_is_an_edge():
    document = asl_diagram.load()
    diagram = asl_diagram.mermaid(document)
    for name, state in document["States"].items():
        targets = [state.get("Next"), state.get("Default")]
        targets += [rule["Next"] for rule in state.get("Choices", []) + state.get("Catch", [])]
        for target in filter(None, targets):
            assert f"    {name} --> {target}" in diagram
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            assert f"    {name} --> [*]" in diagram


def test_labels_name_what_a_transition_waits_for():
    diagram = asl_diagram.mermaid(asl_diagram.load())
    assert "AwaitPayment --> PaymentTimedOut : timeout" in diagram
    assert "AwaitAssignment --> OfferWasRejected : OfferRejected" in diagram
