"""Operations: incidents operators must act on, and the sweep that reconciles orders with their watchdogs."""
