"""Facts added to parsed errors: who holds a value, what rules it breaks, what to do."""
