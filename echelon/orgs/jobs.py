"""Job handlers of the registry (imports and exports) are registered here."""
