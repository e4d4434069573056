from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorer.errors import ScorerError
from scorer.timebase import (
    as_rate,
    frame_to_seconds,
    frames_to_timecode,
    seconds_to_frame,
    timecode_to_frames,
)

# Known drop-frame values (SMPTE 12M): at 29.97 frames ;00 and ;01 vanish each minute except
# every tenth; one hour is 107,892 frames.
DF_2997 = [
    (0, "00:00:00;00"),
    (1799, "00:00:59;29"),
    (1800, "00:01:00;02"),
    (3597, "00:01:59;29"),
    (3598, "00:02:00;02"),
    (17981, "00:09:59;29"),
    (17982, "00:10:00;00"),
    (17983, "00:10:00;01"),
    (107892, "01:00:00;00"),
]
DF_5994 = [(3599, "00:00:59;59"), (3600, "00:01:00;04"), (35964, "00:10:00;00"),
           (215784, "01:00:00;00")]


@pytest.mark.parametrize(("frame", "tc"), DF_2997)
def test_drop_frame_2997_known_values(frame, tc):
    assert frames_to_timecode(frame, "30000/1001") == tc
    assert timecode_to_frames(tc, "29.97") == frame


@pytest.mark.parametrize(("frame", "tc"), DF_5994)
def test_drop_frame_5994_known_values(frame, tc):
    assert frames_to_timecode(frame, Fraction(60000, 1001)) == tc
    assert timecode_to_frames(tc, "59.94") == frame


def test_non_drop_rates():
    assert frames_to_timecode(24 * 3600, 24) == "01:00:00:00"
    assert frames_to_timecode(25 * 61 + 3, 25) == "00:01:01:03"
    # 23.976 counts 24 labels a second, never drops
    assert frames_to_timecode(24 * 60, "23.976") == "00:01:00:00"
    assert timecode_to_frames("00:01:00:00", "23.976") == 1440


def test_drop_frame_label_that_does_not_exist():
    with pytest.raises(ScorerError, match="does not exist"):
        timecode_to_frames("00:01:00;00", "29.97")


def test_drop_frame_refused_at_25():
    with pytest.raises(ScorerError):
        frames_to_timecode(10, 25, drop_frame=True)


@pytest.mark.parametrize("bad", ["", "1:2:3", "00:00:00:30", "aa:bb:cc:dd", "00:61:00:00"])
def test_malformed_timecode(bad):
    with pytest.raises(ScorerError):
        timecode_to_frames(bad, 30)


def test_rates_are_exact():
    assert as_rate("29.97") == Fraction(30000, 1001)
    assert as_rate(29.97) == Fraction(30000, 1001)
    assert as_rate("24000/1001") == Fraction(24000, 1001)
    assert frame_to_seconds(30000, "29.97") == 1001
    assert seconds_to_frame(Fraction(1001), "29.97") == 30000


@given(st.integers(min_value=0, max_value=23 * 3600 * 24),  # under 24 h at every rate
       st.sampled_from(["29.97", "59.94", "23.976", "25", "24", "30", "50"]))
def test_timecode_round_trip(frame, rate):
    assert timecode_to_frames(frames_to_timecode(frame, rate), rate) == frame


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(["29.97", "23.976", "25"]))
def test_frame_time_round_trip(frame, rate):
    assert seconds_to_frame(frame_to_seconds(frame, rate), rate) == frame
    assert seconds_to_frame(float(frame_to_seconds(frame, rate)), rate) == frame
