"""The working-day calendar the office owns (ADR 0016)."""
