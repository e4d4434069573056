"""Media input: probe, sampled frames and audio as numpy, through PyAV (bundled FFmpeg)."""

from scorer.media.decode import iter_frames, load_audio, open_container, probe

__all__ = ["iter_frames", "load_audio", "open_container", "probe"]
