"""warroom: the living record of an incident bridge call, in a terminal."""

__version__ = "0.1.0"
