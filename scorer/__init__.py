"""Scorer: reads the emotion of a clip's scenes and scores it with music. Core library, no Qt."""

__version__ = "0.1.0"
