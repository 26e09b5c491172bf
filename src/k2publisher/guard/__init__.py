"""Guard stage: disclaimers, claims and limits are checked before anything is sent."""
