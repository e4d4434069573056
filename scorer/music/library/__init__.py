"""The music library: index, emotion of each piece, retrieval, fitting to the cue.

The index holds the user's music and a public-domain default library.

Modules: :mod:`.index` (SQLite index, incremental, parallel), :mod:`.features` (readers and
features), :mod:`.rules` (published feature -> valence/arousal rules), :mod:`.retrieval`
(vectorised ranking with diversity), :mod:`.adapt` (tempo, key, length, instruments),
:mod:`.suggest` (suggestions per cue), :mod:`.default` (the music21 corpus subset).
"""
