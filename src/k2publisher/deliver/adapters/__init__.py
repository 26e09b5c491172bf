"""Built-in channel adapters, registered through the ``k2publisher.channels`` entry point."""
