"""The local cloud's reading of templates: short-form tags, Globals, parameters, conditions,
intrinsics, and the function specs it derives (without provisioning anything)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paotui_local.provision import ApiRoute, SqsSource, Stack, StreamSource, describe
from paotui_local.template import Resolver, Template, TemplateError, load_yaml, merge_globals

FIXTURE = Path(__file__).parents[1] / "integration" / "fixtures" / "local_cloud" / "template.yaml"

TEMPLATE = """
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod, local]}
  Size: {Type: Number, Default: 3}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
  Required: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [!Ref Size, 3]]
  Either: !Or [!Condition IsProd, !Equals ["x", "y"]]
Mappings:
  Sizes: {dev: {Memory: 128}, prod: {Memory: 1024}}
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Role: {Type: AWS::IAM::Role}
  ProdOnly: {Type: AWS::SQS::Queue, Condition: IsProd}
"""


class FakeIds:
    def ref(self, logical_id):
        return f"ref:{logical_id}"

    def get_att(self, logical_id, attribute):
        return f"att:{logical_id}.{attribute}"


@pytest.fixture
def resolver(tmp_path) -> Resolver:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    template = Template(path)
    return Resolver(template, template.parameter_values({"Required": "yes"}), FakeIds(), {"AWS::Region": "us-east-1"})


def test_short_form_tags_load_as_long_form():
    loaded = load_yaml("""
a: !Ref X
b: !GetAtt Table.StreamArn
c: !GetAtt [Queue, Arn]
d: !Sub "${AWS::StackName}-x"
e: !Join [",", [!Ref A, b]]
f: !If [Cond, 1, !Ref AWS::NoValue]
g: !Select [0, !Split [",", "a,b"]]
h: !FindInMap [M, K, V]
i: !Base64 text
j: !ImportValue shared
k: !Condition IsProd
when: 2010-09-09
""")
    assert loaded["a"] == {"Ref": "X"}
    assert loaded["b"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert loaded["c"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert loaded["d"] == {"Fn::Sub": "${AWS::StackName}-x"}
    assert loaded["e"] == {"Fn::Join": [",", [{"Ref": "A"}, "b"]]}
    assert loaded["f"] == {"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]}
    assert loaded["g"] == {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
    assert loaded["h"] == {"Fn::FindInMap": ["M", "K", "V"]}
    assert loaded["i"] == {"Fn::Base64": "text"}
    assert loaded["j"] == {"Fn::ImportValue": "shared"}
    assert loaded["k"] == {"Condition": "IsProd"}
    assert loaded["when"] == "2010-09-09"


def test_intrinsics(resolver):
    resolve = resolver.resolve
    assert resolve({"Ref": "Stage"}) == "dev"
    assert resolve({"Ref": "Size"}) == 3
    assert resolve({"Ref": "Zones"}) == ["a", "b"]
    assert resolve({"Ref": "Queue"}) == "ref:Queue"
    assert resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "att:Queue.Arn"
    assert resolve({"Fn::Sub": "${AWS::Region}/${Stage}/${Queue}/${Queue.Arn}/${!Literal}"}) == (
        "us-east-1/dev/ref:Queue/att:Queue.Arn/${Literal}"
    )
    assert resolve({"Fn::Sub": ["${Name}-${Size}", {"Name": {"Ref": "Stage"}}]}) == "dev-3"
    assert resolve({"Fn::Join": ["-", [{"Ref": "Stage"}, True, 2]]}) == "dev-true-2"
    assert resolve({"Fn::Select": ["1", {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 128
    assert resolve({"Fn::Base64": "hi"}) == "aGk="
    assert resolve({"Fn::If": ["IsProd", "big", "small"]}) == "small"


def test_no_value_drops_properties_and_items(resolver):
    value = {
        "Keep": 1,
        "Drop": {"Fn::If": ["IsProd", 2, {"Ref": "AWS::NoValue"}]},
        "List": [1, {"Fn::If": ["IsProd", 2, {"Ref": "AWS::NoValue"}]}],
    }
    assert resolver.resolve(value) == {"Keep": 1, "List": [1]}


def test_conditions_and_inactive_resources(resolver):
    assert resolver.condition("IsProd") is False
    assert resolver.condition("NotProd") is True
    assert resolver.condition("Both") is True
    assert resolver.condition("Either") is False
    assert resolver.is_active("Queue") and not resolver.is_active("ProdOnly")


def test_unresolvable_things_are_errors(resolver):
    with pytest.raises(TemplateError, match="ImportValue"):
        resolver.resolve({"Fn::ImportValue": "shared"})
    with pytest.raises(TemplateError, match="unknown name"):
        resolver.resolve({"Ref": "Nope"})
    with pytest.raises(TemplateError, match="not supported"):
        resolver.resolve({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})


def test_parameters(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    template = Template(path)
    with pytest.raises(TemplateError, match="Required has no default"):
        template.parameter_values()
    values = template.parameter_values({"Required": "r", "Size": "10", "Stage": "prod"})
    assert values["Size"] == 10 and values["Stage"] == "prod"
    with pytest.raises(TemplateError, match="not one of"):
        template.parameter_values({"Required": "r", "Stage": "qa"})


def test_parameters_outside_their_constraints_are_refused_as_cloudformation_refuses_them(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(
        """
Parameters:
  Delay: {Type: Number, Default: 15, MinValue: 0, MaxValue: 900}
  Name: {Type: String, Default: abc, MinLength: 2, MaxLength: 5}
"""
    )
    template = Template(path)
    assert template.parameter_values({"Delay": "900", "Name": "ab"}) == {"Delay": 900, "Name": "ab"}
    for overrides, problem in (
        ({"Delay": "901"}, "Delay=901 is greater than 900"),
        ({"Delay": "-1"}, "Delay=-1 is less than 0"),
        ({"Delay": "soon"}, "Delay='soon' is not a number"),
        ({"Name": "a"}, "Name='a' is shorter than 2"),
        ({"Name": "abcdef"}, "Name='abcdef' is longer than 5"),
    ):
        with pytest.raises(TemplateError, match=re.escape(problem)):
            template.parameter_values(overrides)


def test_globals_merge_like_sam():
    merged = merge_globals(
        {"Timeout": 15, "Layers": ["core"], "Environment": {"Variables": {"A": "1", "B": "2"}}},
        {"Timeout": 30, "Layers": ["extra"], "Environment": {"Variables": {"B": "3", "C": "4"}}},
    )
    assert merged == {
        "Timeout": 30,
        "Layers": ["core", "extra"],
        "Environment": {"Variables": {"A": "1", "B": "3", "C": "4"}},
    }


def test_function_specs_of_the_fixture_stack():
    stack = describe(Stack(Template(FIXTURE), endpoint_url="http://127.0.0.1:9", parameter_overrides={"Stage": "qa"}))
    notes = stack.functions["NotesApi"]
    assert notes.code_dir == FIXTURE.parent / "functions" / "notes"
    assert notes.handler_file == FIXTURE.parent / "functions" / "notes" / "app.py" and notes.code_exists
    assert (notes.timeout, notes.memory_mb, notes.name) == (10, 256, "paotui-NotesApi")
    assert notes.log_group == "/aws/lambda/paotui/NotesApi"
    assert notes.environment["STAGE"] == "qa"
    assert notes.environment["NOTES_TABLE"] == "paotui-NotesTable"
    assert notes.environment["POWERTOOLS_SERVICE_NAME"] == "notes"
    assert notes.environment["EVENTS_TOPIC_ARN"] == "arn:aws:sns:us-east-1:123456789012:paotui-EventsTopic"
    get_note = next(e for e in notes.events if isinstance(e, ApiRoute) and e.method == "GET")
    assert (get_note.path, get_note.stage, get_note.authorizer.function_id) == ("/notes/{noteId}", "qa", "Authorizer")
    assert get_note.authorizer.validation_expression == "^Bearer [-a-z0-9]+$"
    echo = [e for e in stack.functions["Echo"].events if isinstance(e, ApiRoute)]
    assert {(e.method, e.path, e.authorizer) for e in echo} == {
        ("ANY", "/public/{proxy+}", None),
        ("GET", "/public/broken", None),
    }
    (work,) = stack.functions["Worker"].events
    assert isinstance(work, SqsSource)
    assert (work.queue_url, work.batch_size, work.report_failures) == (
        "http://127.0.0.1:9/123456789012/paotui-WorkQueue",
        5,
        True,
    )
    (notes_stream,) = stack.functions["StreamReader"].events
    assert isinstance(notes_stream, StreamSource)
    assert notes_stream.table_name == "paotui-NotesTable"
    assert (notes_stream.bisect, notes_stream.max_retries, notes_stream.report_failures) == (True, 1, True)
    assert notes_stream.on_failure_arn == "arn:aws:sqs:us-east-1:123456789012:paotui-StreamFailures"
    assert not stack.functions["Unfinished"].code_exists
    (api,) = stack.apis.values()
    assert api.gateway_responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == 404


def test_the_real_template_describes_every_function():
    root = Path(__file__).parents[2]
    stack = describe(Stack(Template(root / "template.yaml")))
    assert len(stack.functions) >= 11
    routes = [e for spec in stack.functions.values() for e in spec.events if isinstance(e, ApiRoute)]
    assert any(route.authorizer for route in routes) and any(not route.authorizer for route in routes)
