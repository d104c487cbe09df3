"""Test-wide environment: fake AWS credentials and test table names, set before paotui is imported.

pynamodb reads table names when a record class is defined, so this must run
before any test module imports a domain package; pytest loads the root
conftest first.
"""

import os

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "STAGE": "test",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "paotui",
    "POWERTOOLS_SERVICE_NAME": "paotui-tests",
    "POWERTOOLS_DEV": "false",
    "OUTBOX_TABLE": "paotui-outbox",
    "SMS_SENDER": "outbox",
    "PUSH_SENDER": "outbox",
    "IMAGES_BUCKET": "paotui-product-images",
    "IMAGES_BASE_URL": "https://images.paotui.test",
}
for _name, _value in _ENV.items():
    os.environ[_name] = _value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
