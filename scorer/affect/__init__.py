"""Affect: circumplex coordinates, fusion of modalities, cue planning."""
