"""Orders counted per China-time day and hour, for operators (the platform) and merchants (their own shop)."""
