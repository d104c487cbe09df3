"""template.yaml as data: CloudFormation tags, SAM Globals, Parameters, Conditions and intrinsics.

The local cloud reads the same template that ``sam deploy`` deploys, so nothing
about the system is described twice. Resolution needs physical ids, which the
caller supplies (``ids.ref`` / ``ids.get_att``): real ones once a resource
exists in moto, predictable ones before.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml


class TemplateError(Exception):
    """The template asks for something the local cloud cannot do."""


# ---------------------------------------------------------------- loading

_SHORT_FORMS = (
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Equals",
    "Not",
    "And",
    "Or",
    "Length",
    "ToJsonString",
)


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form tags, turned into their long forms."""


def _construct(node: yaml.Node, loader: _CfnLoader) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _long_form(key: str):
    return lambda loader, node: {key: _construct(node, loader)}


def _get_att(loader: _CfnLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct(node, loader)
    if isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::GetAtt": value}


for _name in _SHORT_FORMS:
    _CfnLoader.add_constructor(f"!{_name}", _long_form(f"Fn::{_name}"))
_CfnLoader.add_constructor("!Ref", _long_form("Ref"))
_CfnLoader.add_constructor("!Condition", _long_form("Condition"))
_CfnLoader.add_constructor("!GetAtt", _get_att)
# CloudFormation keeps unquoted dates (AWSTemplateFormatVersion) as strings.
_CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def load_template(path: str | Path) -> dict[str, Any]:
    """The raw template (intrinsics in long form), for tools that only read names and paths."""
    return load_yaml(Path(path).read_text(encoding="utf-8")) or {}


# ---------------------------------------------------------------- the template

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_API = "AWS::Serverless::Api"
IMPLICIT_API = "ServerlessRestApi"
"""The API SAM creates for Api events that name no RestApiId."""


def merge_globals(global_props: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rule: maps merge (resource wins), lists concatenate, scalars are replaced."""
    merged = copy.deepcopy(dict(global_props))
    for key, value in props.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict) and not _is_intrinsic(value):
            merged[key] = merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


class Template:
    """One parsed template; resource properties come back with SAM Globals applied."""

    def __init__(self, path: str | Path):
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise TemplateError(f"no template at {self.path}")
        self.body = load_template(self.path)
        self.resources: dict[str, dict[str, Any]] = self.body.get("Resources") or {}
        self.parameters: dict[str, dict[str, Any]] = self.body.get("Parameters") or {}
        self.conditions: dict[str, Any] = self.body.get("Conditions") or {}
        self.mappings: dict[str, Any] = self.body.get("Mappings") or {}
        self.globals: dict[str, Any] = self.body.get("Globals") or {}

    @property
    def root(self) -> Path:
        """Relative CodeUri and DefinitionUri paths are relative to the template's folder."""
        return self.path.parent

    def type_of(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        return resource.get("Type") if resource else None

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources[logical_id]
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == SERVERLESS_FUNCTION:
            return merge_globals(self.globals.get("Function") or {}, props)
        if kind == SERVERLESS_API:
            return merge_globals(self.globals.get("Api") or {}, props)
        return copy.deepcopy(props)

    def implicit_api_properties(self) -> dict[str, Any]:
        return copy.deepcopy(self.globals.get("Api") or {})

    def parameter_values(self, overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Parameter defaults with overrides applied; a parameter with neither is an error."""
        overrides = dict(overrides or {})
        values: dict[str, Any] = {}
        for name, spec in self.parameters.items():
            if name in overrides:
                value: Any = _typed(name, spec.get("Type", "String"), overrides[name])
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no default; pass it as an override ({name}=...)")
            problem = _constraint_broken(spec, value)
            if problem:
                raise TemplateError(f"parameter {name}={value!r} {problem}")
            if spec.get("Type", "String") == "CommaDelimitedList" and isinstance(value, str):
                value = [part.strip() for part in value.split(",")]
            values[name] = value
        return values


def _typed(name: str, kind: str, raw: str) -> Any:
    if kind == "Number":
        try:
            number = float(raw)
        except ValueError:
            raise TemplateError(f"parameter {name}={raw!r} is not a number") from None
        return int(number) if number.is_integer() else number
    return raw


def _constraint_broken(spec: Mapping[str, Any], value: Any) -> str | None:
    """What CloudFormation would refuse the value for (AllowedValues, AllowedPattern, Min/Max Value/Length)."""
    allowed, pattern = spec.get("AllowedValues"), spec.get("AllowedPattern")
    if allowed and str(value) not in [str(a) for a in allowed]:
        return f"is not one of {allowed}"
    if pattern and not re.fullmatch(pattern, str(value)):
        return f"does not match {pattern}"
    if "MinValue" in spec and float(value) < float(spec["MinValue"]):
        return f"is less than {spec['MinValue']}"
    if "MaxValue" in spec and float(value) > float(spec["MaxValue"]):
        return f"is greater than {spec['MaxValue']}"
    if "MinLength" in spec and len(str(value)) < int(spec["MinLength"]):
        return f"is shorter than {spec['MinLength']}"
    if "MaxLength" in spec and len(str(value)) > int(spec["MaxLength"]):
        return f"is longer than {spec['MaxLength']}"
    return None


# ---------------------------------------------------------------- resolution


class PhysicalIds(Protocol):
    """What Ref and Fn::GetAtt of a resource return."""

    def ref(self, logical_id: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...


NO_VALUE = object()
"""AWS::NoValue: the property or list item is dropped."""

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates intrinsic functions against parameters, conditions, mappings and physical ids."""

    def __init__(self, template: Template, parameters: Mapping[str, Any], ids: PhysicalIds, pseudo: Mapping[str, Any]):
        self.template = template
        self.parameters = dict(parameters)
        self.ids = ids
        self.pseudo = dict(pseudo)
        self._conditions: dict[str, bool] = {}

    # -- conditions

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            if name not in self.template.conditions:
                raise TemplateError(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(self.template.conditions[name]))
        return self._conditions[name]

    def is_active(self, logical_id: str) -> bool:
        condition = self.template.resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)

    # -- values

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if key.startswith("Fn::"):
                method = getattr(self, "_fn_" + key[4:].lower(), None)
                if method is None:
                    raise TemplateError(f"{key} is not supported by the local cloud")
                return method(arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: Any) -> Any:
        name = self.resolve(name)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template.resources or name == IMPLICIT_API:
            return self.ids.ref(name)
        raise TemplateError(f"Ref to unknown name {name}")

    def _fn_getatt(self, arg: Any) -> Any:
        logical_id, attribute = self.resolve(arg)
        if logical_id not in self.template.resources and logical_id != IMPLICIT_API:
            raise TemplateError(f"Fn::GetAtt of unknown resource {logical_id}")
        return self.ids.get_att(logical_id, attribute)

    def _fn_sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return to_text(variables[name])
            if "." in name and name.split(".", 1)[0] in self.template.resources:
                return to_text(self._fn_getatt(name.split(".", 1)))
            return to_text(self._ref(name))

        return _SUB_VAR.sub(substitute, text)

    def _fn_join(self, arg: Any) -> str:
        delimiter, items = self.resolve(arg)
        return delimiter.join(to_text(item) for item in items)

    def _fn_select(self, arg: Any) -> Any:
        index, items = self.resolve(arg)
        return items[int(index)]

    def _fn_split(self, arg: Any) -> list[str]:
        delimiter, text = self.resolve(arg)
        return text.split(delimiter)

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, arg: Any) -> bool:
        left, right = self.resolve(arg)
        return to_text(left) == to_text(right)

    def _fn_not(self, arg: Any) -> bool:
        (value,) = self.resolve(arg)
        return not value

    def _fn_and(self, arg: Any) -> bool:
        return all(self.resolve(arg))

    def _fn_or(self, arg: Any) -> bool:
        return any(self.resolve(arg))

    def _fn_findinmap(self, arg: Any) -> Any:
        map_name, top, second = self.resolve(arg)[:3]
        try:
            return self.template.mappings[map_name][top][second]
        except KeyError as exc:
            raise TemplateError(f"Fn::FindInMap {map_name}/{top}/{second} not found") from exc

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(to_text(self.resolve(arg)).encode()).decode()

    def _fn_getazs(self, _arg: Any) -> list[str]:
        region = self.pseudo["AWS::Region"]
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_length(self, arg: Any) -> int:
        return len(self.resolve(arg))

    def _fn_tojsonstring(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg), separators=(",", ":"))

    def _fn_importvalue(self, arg: Any) -> str:
        raise TemplateError(f"Fn::ImportValue {self.resolve(arg)!r}: exports of other stacks do not exist locally")


def to_text(value: Any) -> str:
    """A resolved value as CloudFormation writes it into strings (true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
