"""Preview: every channel's rendering of an item, with lengths, disclaimers and the verdict."""
