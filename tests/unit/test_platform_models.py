"""Typed text: what a person types must be storable in DynamoDB and sendable by SNS, SQS, SMS and push."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paotui.platform.models import Line, Prose, RequestModel


class Typed(RequestModel):
    name: Line | None = None
    note: Prose | None = None


@pytest.mark.parametrize("text", ["老王生煎", "Zoë's 🍜", "A\u200dB", "2 号楼 301"])
def test_printable_text_of_any_script_is_taken_as_typed(text):
    assert Typed(name=text, note=text).model_dump() == {"name": text, "note": text}


def test_a_note_keeps_its_line_breaks_and_tabs():
    assert Typed(note="门口\n放门卫\t谢谢\r\n").note == "门口\n放门卫\t谢谢"  # stripped at the ends, as every field


@pytest.mark.parametrize("text", ["a\ud800b", "a\udfffb", "\ud83d"])
@pytest.mark.parametrize("field", ["name", "note"])
def test_a_lone_surrogate_is_refused_it_has_no_utf8(field, text):
    with pytest.raises(ValidationError):
        Typed(**{field: text})


@pytest.mark.parametrize("text", ["a\x00b", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b"])
@pytest.mark.parametrize("field", ["name", "note"])
def test_a_control_character_is_refused(field, text):
    with pytest.raises(ValidationError, match="must not contain control characters"):
        Typed(**{field: text})


@pytest.mark.parametrize("text", ["一行\n两行", "a\tb", "a\rb"])
def test_a_name_is_one_line(text):
    with pytest.raises(ValidationError, match="must not contain control characters"):
        Typed(name=text)


def test_length_limits_still_apply_on_top():
    from paotui.orders.models import CancelOrder

    with pytest.raises(ValidationError, match="at most 200"):
        CancelOrder(reason="退" * 201)
    assert CancelOrder(reason="不想要了\n谢谢").reason == "不想要了\n谢谢"
