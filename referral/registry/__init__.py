"""The household registry: areas, households, members, consent."""
