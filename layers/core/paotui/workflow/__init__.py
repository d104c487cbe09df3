"""Workflow: the per-order watchdog execution and the task tokens it waits on."""
