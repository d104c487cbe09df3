"""Create the template's stateful resources in moto and describe its functions.

moto's CloudFormation cannot deploy a SAM-transformed template, so this module
creates what moto must hold (tables, queues, topics, subscriptions, secrets,
state machines) in dependency order, and turns every AWS::Serverless::Function
into a :class:`FunctionSpec` the gateway and the pollers run. Everything else
(IAM, alarms, log groups, layers, the API itself) gets a predictable physical
id so that references to it resolve, and is otherwise skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from paotui_local.template import (
    IMPLICIT_API,
    SERVERLESS_API,
    SERVERLESS_FUNCTION,
    Resolver,
    Template,
    TemplateError,
    load_yaml,
    to_text,
)

log = logging.getLogger("paotui_local")

ACCOUNT_ID = "123456789012"
"""moto's default account."""
REGION = "us-east-1"
DUMMY_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/paotui-local"


# ---------------------------------------------------------------- function specs


@dataclass(frozen=True)
class AuthorizerSpec:
    """A TOKEN Lambda authorizer as API Gateway runs it."""

    name: str
    function_id: str
    header: str = "Authorization"
    validation_expression: str | None = None
    ttl_seconds: int = 300


@dataclass(frozen=True)
class ApiSpec:
    """A REST API: its id, stage, and the GatewayResponses that shape the gateway's own answers."""

    logical_id: str
    api_id: str
    stage: str
    gateway_responses: dict[str, Any]


@dataclass(frozen=True)
class ApiRoute:
    function_id: str
    method: str  # upper case, or ANY
    path: str  # API Gateway path template: /orders/{orderId}, /files/{proxy+}
    api_id: str
    stage: str
    authorizer: AuthorizerSpec | None


@dataclass(frozen=True)
class SqsSource:
    function_id: str
    queue_arn: str
    queue_url: str
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class Schedule:
    """An EventBridge schedule: not timed locally; ``POST /dev/jobs/<function>`` runs the function once."""

    function_id: str
    expression: str


@dataclass(frozen=True)
class StreamSource:
    function_id: str
    stream_arn: str
    table_name: str
    batch_size: int
    starting_position: str
    bisect: bool
    max_retries: int  # -1: until the record expires, as in Lambda
    report_failures: bool
    on_failure_arn: str | None


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str  # "app.handler": module path inside code_dir, then the function
    environment: dict[str, str]
    timeout: int
    memory_mb: int
    log_group: str
    events: tuple[ApiRoute | SqsSource | StreamSource | Schedule, ...] = ()

    @property
    def handler_file(self) -> Path:
        module = self.handler.rsplit(".", 1)[0]
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_function(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    @property
    def code_exists(self) -> bool:
        return self.handler_file.is_file()


# ---------------------------------------------------------------- the stack

_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    SERVERLESS_FUNCTION: "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::LayerVersion": "LayerName",
}


@dataclass
class Resource:
    """A resource as moto holds it: what Ref returns, and its Fn::GetAtt attributes."""

    type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


class Stack:
    """The local deployment of one template: physical ids by logical id, and function specs.

    Before (or without) provisioning, every resource has a predictable physical
    id, which is enough to describe functions (see ``functions.load_handler``).
    """

    def __init__(
        self,
        template: Template,
        *,
        name: str = "paotui",
        endpoint_url: str = "http://127.0.0.1:5000",
        parameter_overrides: Mapping[str, str] | None = None,
    ):
        self.template = template
        self.name = name
        self.region = REGION
        self.account_id = ACCOUNT_ID
        self.endpoint_url = endpoint_url
        self.parameters = template.parameter_values(parameter_overrides)
        self.resources: dict[str, Resource] = {}
        self.functions: dict[str, FunctionSpec] = {}
        self.apis: dict[str, ApiSpec] = {}  # by api id
        self.resolver = Resolver(template, self.parameters, self, self._pseudo())
        self._clients: dict[str, Any] = {}
        self._session = boto3.session.Session()  # one loader: each service's model is read once, not per client

    def _pseudo(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.name}/local",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::NotificationARNs": [],
        }

    @property
    def physical_ids(self) -> dict[str, Any]:
        """Ref of every provisioned resource: table names, queue URLs, topic/secret/state machine ARNs."""
        return {logical_id: resource.ref for logical_id, resource in self.resources.items()}

    def client(self, service: str) -> Any:
        """A shared client of the local endpoint (boto3 clients are thread-safe)."""
        if service not in self._clients:
            self._clients[service] = self.new_client(service)
        return self._clients[service]

    def new_client(self, service: str, connections: int = 10) -> Any:
        """A client of its own with a pool of ``connections``: the pollers share one per service, a connection
        each, so that their long polls never hold the shared client's connections."""
        return self._session.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(max_pool_connections=connections),
        )

    # -- physical ids (PhysicalIds protocol of the resolver)

    def ref(self, logical_id: str) -> Any:
        return self._resource(logical_id).ref

    def get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self._resource(logical_id)
        if attribute in resource.attributes:
            return resource.attributes[attribute]
        return f"{resource.ref}.{attribute}"

    def _resource(self, logical_id: str) -> Resource:
        return self.resources.get(logical_id) or self._predicted(logical_id)

    def physical_name(self, logical_id: str) -> str:
        kind = self.template.type_of(logical_id) or SERVERLESS_API
        key = _NAME_PROPERTY.get(kind)
        props = self.template.resources.get(logical_id, {}).get("Properties") or {}
        if key and key in props:
            return to_text(self.resolver.resolve(props[key]))
        if kind == "AWS::S3::Bucket":  # bucket names are lower case (and CloudFormation would make one up)
            return f"{self.name}-{logical_id}".lower()
        suffix = ".fifo" if kind == "AWS::SQS::Queue" and str(props.get("FifoQueue")).lower() == "true" else ""
        return f"{self.name}-{logical_id}{suffix}"

    def _predicted(self, logical_id: str) -> Resource:
        kind = self.template.type_of(logical_id) or SERVERLESS_API
        name = self.physical_name(logical_id)
        region, account = self.region, self.account_id
        if kind == "AWS::DynamoDB::Table":
            arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
            return Resource(kind, name, {"Arn": arn, "StreamArn": f"{arn}/stream/local"})
        if kind == "AWS::SQS::Queue":
            url = f"{self.endpoint_url}/{account}/{name}"
            arn = f"arn:aws:sqs:{region}:{account}:{name}"
            return Resource(kind, url, {"Arn": arn, "QueueName": name, "QueueUrl": url})
        if kind == "AWS::SNS::Topic":
            arn = f"arn:aws:sns:{region}:{account}:{name}"
            return Resource(kind, arn, {"TopicArn": arn, "TopicName": name})
        if kind == "AWS::SecretsManager::Secret":
            return Resource(kind, f"arn:aws:secretsmanager:{region}:{account}:secret:{name}")
        if kind == "AWS::S3::Bucket":
            return Resource(kind, name, _bucket_attributes(name, region))
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
            return Resource(kind, arn, {"Arn": arn, "Name": name})
        if kind in (SERVERLESS_FUNCTION, "AWS::Lambda::Function"):
            return Resource(kind, name, {"Arn": f"arn:aws:lambda:{region}:{account}:function:{name}"})
        if kind in (SERVERLESS_API, "AWS::ApiGateway::RestApi"):
            api_id = hashlib.sha1(f"{self.name}/{logical_id}".encode()).hexdigest()[:10]
            return Resource(kind, api_id, {"RootResourceId": api_id[:6]})
        if kind == "AWS::IAM::Role":
            return Resource(kind, name, {"Arn": f"arn:aws:iam::{account}:role/{name}", "RoleId": name})
        if kind == "AWS::Logs::LogGroup":
            return Resource(kind, name, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"})
        if kind == "AWS::Serverless::LayerVersion":
            return Resource(kind, f"arn:aws:lambda:{region}:{account}:layer:{name}:1")
        service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "local"
        return Resource(kind, name, {"Arn": f"arn:aws:{service}:{region}:{account}:{name}"})

    # -- lookups the pollers need

    def queue_url(self, queue_arn: str) -> str:
        for resource in self.resources.values():
            if resource.attributes.get("Arn") == queue_arn and resource.type == "AWS::SQS::Queue":
                return resource.ref
        return f"{self.endpoint_url}/{self.account_id}/{queue_arn.rsplit(':', 1)[1]}"


# ---------------------------------------------------------------- provisioning


def provision(stack: Stack) -> Stack:
    """Create every provisionable resource in moto (dependencies first), then describe functions."""
    template, done, visiting = stack.template, set(), set()

    def ensure(logical_id: str) -> None:
        if logical_id in done:
            return
        if logical_id in visiting:
            raise TemplateError(f"circular reference through {logical_id}")
        visiting.add(logical_id)
        for dependency in _dependencies(template.resources[logical_id], template.resources):
            if template.type_of(dependency) in _PROVISIONERS and stack.resolver.is_active(dependency):
                ensure(dependency)
        kind = template.type_of(logical_id)
        stack.resources[logical_id] = _PROVISIONERS[kind](stack, logical_id)
        log.debug("created %s %s: %s", kind, logical_id, stack.resources[logical_id].ref)
        visiting.discard(logical_id)
        done.add(logical_id)

    for logical_id, resource in template.resources.items():
        if resource.get("Type") in _PROVISIONERS and stack.resolver.is_active(logical_id):
            ensure(logical_id)
    return describe(stack)


def _dependencies(node: Any, resources: Mapping[str, Any]) -> list[str]:
    """Logical ids a resource refers to: Ref, Fn::GetAtt, ${X} in Fn::Sub, DependsOn."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "Ref" and isinstance(item, str):
                    found.append(item)
                elif key == "Fn::GetAtt" and isinstance(item, list) and item:
                    found.append(str(item[0]))
                elif key == "Fn::Sub":
                    text = item if isinstance(item, str) else item[0]
                    found.extend(m.split(".", 1)[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
                elif key == "DependsOn":
                    found.extend([item] if isinstance(item, str) else item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return [name for name in dict.fromkeys(found) if name in resources]


def _resolved(stack: Stack, logical_id: str) -> dict[str, Any]:
    return stack.resolver.resolve(stack.template.properties(logical_id))


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def _create_table(stack: Stack, logical_id: str) -> Resource:
    props = _resolved(stack, logical_id)
    name = stack.physical_name(logical_id)
    provisioned = "ProvisionedThroughput" in props
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED" if provisioned else "PAY_PER_REQUEST"),
    }
    if provisioned:
        args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    index_keys = ("IndexName", "KeySchema", "Projection") + (("ProvisionedThroughput",) if provisioned else ())
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(kind):
            args[kind] = [{k: index[k] for k in index_keys if k in index} for index in props[kind]]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    description = stack.client("dynamodb").create_table(**args)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _truthy(ttl.get("Enabled")):
        stack.client("dynamodb").update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    attributes = {"Arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        attributes["StreamArn"] = description["LatestStreamArn"]
    return Resource("AWS::DynamoDB::Table", name, attributes)


_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def _create_queue(stack: Stack, logical_id: str) -> Resource:
    props = _resolved(stack, logical_id)
    name = stack.physical_name(logical_id)
    attributes = {key: to_text(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = to_text(props["RedrivePolicy"])
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Resource("AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _create_bucket(stack: Stack, logical_id: str) -> Resource:
    """A bucket with the template's CORS rules (lifecycle, encryption and policies are AWS's business)."""
    props = _resolved(stack, logical_id)
    name = stack.physical_name(logical_id)
    s3 = stack.client("s3")
    s3.create_bucket(Bucket=name)
    rules = (props.get("CorsConfiguration") or {}).get("CorsRules")
    if rules:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [_cors_rule(rule) for rule in rules]})
    return Resource("AWS::S3::Bucket", name, _bucket_attributes(name, stack.region))


def _cors_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    names = {"MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}
    return {names.get(key, key): value for key, value in rule.items() if key != "Id"}


def _bucket_attributes(name: str, region: str) -> dict[str, str]:
    return {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
    }


def _create_topic(stack: Stack, logical_id: str) -> Resource:
    props = _resolved(stack, logical_id)
    name = stack.physical_name(logical_id)
    attributes = {key: to_text(props[key]) for key in ("FifoTopic", "ContentBasedDeduplication") if key in props}
    sns = stack.client("sns")
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for subscription in props.get("Subscription") or []:
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    return Resource("AWS::SNS::Topic", arn, {"TopicArn": arn, "TopicName": name})


def _create_subscription(stack: Stack, logical_id: str) -> Resource:
    props = _resolved(stack, logical_id)
    attributes = {}
    for key in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy"):
        if key in props:
            attributes[key] = to_text(props[key])
    arn = stack.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Resource("AWS::SNS::Subscription", arn)


_PASSWORD_OPTIONS = (
    "PasswordLength",
    "ExcludeCharacters",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "ExcludeLowercase",
    "IncludeSpace",
    "RequireEachIncludedType",
)


def _create_secret(stack: Stack, logical_id: str) -> Resource:
    props = _resolved(stack, logical_id)
    secrets = stack.client("secretsmanager")
    args: dict[str, Any] = {"Name": stack.physical_name(logical_id)}
    if "SecretString" in props:
        args["SecretString"] = props["SecretString"]
    elif "GenerateSecretString" in props:
        spec = props["GenerateSecretString"]
        options = {key: spec[key] for key in _PASSWORD_OPTIONS if key in spec}
        password = secrets.get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in spec:
            document = json.loads(spec["SecretStringTemplate"])
            document[spec["GenerateStringKey"]] = password
            args["SecretString"] = json.dumps(document)
        else:
            args["SecretString"] = password
    if props.get("Description"):
        args["Description"] = props["Description"]
    arn = secrets.create_secret(**args)["ARN"]
    return Resource("AWS::SecretsManager::Secret", arn)


def _create_state_machine(stack: Stack, logical_id: str) -> Resource:
    kind = stack.template.type_of(logical_id)
    props = _resolved(stack, logical_id)
    definition = _definition(stack.template.root, props, logical_id)
    role = props.get("Role") or props.get("RoleArn")
    machine_type = props.get("Type") or props.get("StateMachineType") or "STANDARD"
    name = stack.physical_name(logical_id)
    arn = stack.client("stepfunctions").create_state_machine(
        name=name,
        definition=definition,
        roleArn=role if isinstance(role, str) and role.startswith("arn:") else DUMMY_ROLE_ARN,
        type=machine_type,
    )["stateMachineArn"]
    return Resource(kind, arn, {"Arn": arn, "Name": name})


def _definition(root: Path, props: Mapping[str, Any], logical_id: str) -> str:
    """The ASL text with DefinitionSubstitutions applied, as CloudFormation does (textually)."""
    uri = props.get("DefinitionUri")
    if isinstance(uri, str):
        path = (root / uri).resolve()
        if not path.is_file():
            raise TemplateError(f"{logical_id}: DefinitionUri {uri} not found at {path}")
        text = path.read_text(encoding="utf-8")
    elif "Definition" in props:
        text = json.dumps(props["Definition"])
    elif isinstance(props.get("DefinitionString"), str):
        text = props["DefinitionString"]
    else:
        raise TemplateError(f"{logical_id}: only a local DefinitionUri, Definition or DefinitionString is supported")
    for name, value in (props.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + name + "}", to_text(value))
    try:
        document = load_yaml(text) if isinstance(uri, str) and uri.endswith((".yaml", ".yml")) else json.loads(text)
    except (ValueError, TemplateError) as exc:
        raise TemplateError(f"{logical_id}: the definition is not valid after substitutions: {exc}") from exc
    return json.dumps(document)


_PROVISIONERS: dict[str, Callable[[Stack, str], Resource]] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::SQS::Queue": _create_queue,
    "AWS::SNS::Topic": _create_topic,
    "AWS::S3::Bucket": _create_bucket,
    "AWS::SNS::Subscription": _create_subscription,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::Serverless::StateMachine": _create_state_machine,
    "AWS::StepFunctions::StateMachine": _create_state_machine,
}


# ---------------------------------------------------------------- functions


def describe(stack: Stack) -> Stack:
    """Fill ``stack.functions`` (every active AWS::Serverless::Function, Globals applied) and ``stack.apis``."""
    template = stack.template
    ids = [
        logical_id
        for logical_id, resource in template.resources.items()
        if resource.get("Type") == SERVERLESS_FUNCTION and stack.resolver.is_active(logical_id)
    ]
    by_arn = {}
    for logical_id in ids:
        by_arn[stack.ref(logical_id)] = logical_id
        by_arn[stack.get_att(logical_id, "Arn")] = logical_id
    apis = _Apis(stack, by_arn)
    stack.functions = {logical_id: _function_spec(stack, logical_id, apis) for logical_id in ids}
    stack.apis = {api.api_id: api for api in apis.specs.values()}
    return stack


def _function_spec(stack: Stack, logical_id: str, apis: _Apis) -> FunctionSpec:
    raw = stack.template.properties(logical_id)
    resolve = stack.resolver.resolve
    code_uri = resolve(raw.get("CodeUri", "."))
    if not isinstance(code_uri, str):
        raise TemplateError(f"{logical_id}: CodeUri must be a local folder, got {code_uri!r}")
    variables = resolve((raw.get("Environment") or {}).get("Variables") or {})
    name = stack.ref(logical_id)
    log_group = resolve((raw.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{name}")
    events = []
    for event_name, event in (raw.get("Events") or {}).items():
        kind, props = event.get("Type"), event.get("Properties") or {}
        if kind == "Api":
            events.append(apis.route(logical_id, props))
        elif kind == "SQS":
            events.append(_sqs_source(stack, logical_id, resolve(props)))
        elif kind == "DynamoDB":
            events.append(_stream_source(logical_id, resolve(props)))
        elif kind == "Schedule":
            events.append(Schedule(logical_id, resolve(props["Schedule"])))
        else:
            log.warning("%s: event %s of type %s is not run by the local cloud", logical_id, event_name, kind)
    return FunctionSpec(
        logical_id=logical_id,
        name=name,
        arn=stack.get_att(logical_id, "Arn"),
        code_dir=(stack.template.root / code_uri).resolve(),
        handler=resolve(raw.get("Handler", "app.handler")),
        environment={key: to_text(value) for key, value in variables.items()},
        timeout=int(resolve(raw.get("Timeout", 3))),
        memory_mb=int(resolve(raw.get("MemorySize", 128))),
        log_group=log_group,
        events=tuple(event for event in events if event is not None),
    )


def _sqs_source(stack: Stack, function_id: str, props: dict[str, Any]) -> SqsSource | None:
    if not _enabled(props):
        return None
    if props.get("FilterCriteria"):
        log.warning("%s: FilterCriteria on the SQS event is not applied locally", function_id)
    return SqsSource(
        function_id=function_id,
        queue_arn=props["Queue"],
        queue_url=stack.queue_url(props["Queue"]),
        batch_size=int(props.get("BatchSize", 10)),
        report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
    )


def _stream_source(function_id: str, props: dict[str, Any]) -> StreamSource | None:
    if not _enabled(props):
        return None
    if props.get("FilterCriteria"):
        log.warning("%s: FilterCriteria on the DynamoDB event is not applied locally", function_id)
    stream_arn = props["Stream"]
    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return StreamSource(
        function_id=function_id,
        stream_arn=stream_arn,
        table_name=stream_arn.split(":", 5)[5].split("/")[1],
        batch_size=int(props.get("BatchSize", 100)),
        starting_position=props.get("StartingPosition", "LATEST"),
        bisect=_truthy(props.get("BisectBatchOnFunctionError", False)),
        max_retries=int(props.get("MaximumRetryAttempts", -1)),
        report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        on_failure_arn=on_failure,
    )


def _enabled(props: Mapping[str, Any]) -> bool:
    return str(props.get("Enabled", True)).lower() != "false"


class _Apis:
    """Each REST API (explicit, or SAM's implicit one) once: stage, authorizers, gateway responses."""

    def __init__(self, stack: Stack, functions_by_arn: Mapping[str, str]):
        self.stack = stack
        self.functions_by_arn = functions_by_arn
        self.specs: dict[str, ApiSpec] = {}
        self._auth: dict[str, dict[str, Any]] = {}

    def route(self, function_id: str, event_props: Mapping[str, Any]) -> ApiRoute:
        resolve = self.stack.resolver.resolve
        rest_api = event_props.get("RestApiId")
        api = self._api(rest_api["Ref"] if isinstance(rest_api, dict) and "Ref" in rest_api else IMPLICIT_API)
        auth = resolve(event_props.get("Auth") or {})
        authorizer = auth.get("Authorizer", self._auth[api.logical_id].get("DefaultAuthorizer"))
        return ApiRoute(
            function_id=function_id,
            method=str(resolve(event_props["Method"])).upper(),
            path=resolve(event_props["Path"]),
            api_id=api.api_id,
            stage=api.stage,
            authorizer=self._authorizer(api.logical_id, authorizer),
        )

    def _api(self, logical_id: str) -> ApiSpec:
        if logical_id not in self.specs:
            template = self.stack.template
            raw = template.implicit_api_properties() if logical_id == IMPLICIT_API else template.properties(logical_id)
            if raw.get("DefinitionBody") or raw.get("DefinitionUri"):
                log.warning("%s: the OpenAPI definition is ignored; routes come from function events", logical_id)
            props = self.stack.resolver.resolve(
                {key: raw[key] for key in ("StageName", "Auth", "GatewayResponses") if key in raw}
            )
            self._auth[logical_id] = props.get("Auth") or {}
            self.specs[logical_id] = ApiSpec(
                logical_id=logical_id,
                api_id=self.stack.ref(logical_id),
                stage=to_text(props.get("StageName", "Prod")),
                gateway_responses=props.get("GatewayResponses") or {},
            )
        return self.specs[logical_id]

    def _authorizer(self, api: str, name: str | None) -> AuthorizerSpec | None:
        if not name or name == "NONE":
            return None
        authorizers = self._auth[api].get("Authorizers") or {}
        if name not in authorizers:
            raise TemplateError(f"{api}: authorizer {name} is not defined")
        config = authorizers[name]
        if config.get("FunctionPayloadType", "TOKEN") != "TOKEN" or "FunctionArn" not in config:
            raise TemplateError(f"{api}: authorizer {name}: only TOKEN Lambda authorizers are supported locally")
        function_id = self.functions_by_arn.get(config["FunctionArn"])
        if function_id is None:
            raise TemplateError(f"{api}: authorizer {name} points at {config['FunctionArn']}, not a function here")
        identity = config.get("Identity") or {}
        return AuthorizerSpec(
            name=name,
            function_id=function_id,
            header=identity.get("Header", "Authorization"),
            validation_expression=identity.get("ValidationExpression"),
            ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
        )
