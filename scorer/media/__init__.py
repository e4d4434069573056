"""Media input: probe, sampled frames and audio as numpy, through PyAV (bundled FFmpeg)."""

from scorer.media.decode import (
    check_same_source,
    iter_frames,
    load_audio,
    open_container,
    probe,
    source_fingerprint,
)

__all__ = ["check_same_source", "iter_frames", "load_audio", "open_container", "probe",
           "source_fingerprint"]
