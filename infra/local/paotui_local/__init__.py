"""The local cloud: template.yaml provisioned into an embedded moto, with a gateway and pollers.

``paotui-local`` (or ``python -m paotui_local``) runs it; see docs/adr/0002-local-cloud.md.
"""
