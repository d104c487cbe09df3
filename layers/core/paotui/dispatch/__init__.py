"""Dispatch: choose a rider for a confirmed order and offer it to them, one offer at a time."""
