"""Tools for okr-sync's own developers: type checking through the package mapping, the import layers."""
