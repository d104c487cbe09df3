"""Notify: message templates and delivery by SMS and mobile push (SNS in AWS, the outbox locally)."""
