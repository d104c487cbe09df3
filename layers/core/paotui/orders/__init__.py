"""Orders: intake, the lifecycle state machine, and queries by customer, merchant and rider."""
