"""Calls into QMediaPlayer that cannot deadlock with the FFmpeg backend's threads.

Why: PySide keeps Python's GIL during a direct QMediaPlayer call (``stop()``, ``setSource()``,
``play()``...). Some of those calls wait for a mutex that a backend thread holds while it
destroys an object connected to one of our Python-made objects (QAudioOutput, QVideoSink);
that destruction calls the PySide wrapper's ``disconnectNotify``, which needs the GIL: each
thread waits for the other for ever (seen in py-spy as ``QBasicMutex::lockInternal`` under
``QMediaPlayer::stop`` on the main thread and ``Shiboken::GilState::acquire`` under
``QObject::~QObject`` on the backend's thread).

The fix: the call is queued and run by a short local event loop. Qt then invokes the C++ slot
from its event dispatcher, where PySide has released the GIL, so the backend thread can take
it and finish. User input is not processed meanwhile, so no key press re-enters the window.
"""

from __future__ import annotations

from PySide6.QtCore import Q_ARG, QEventLoop, QMetaObject, QObject, Qt, QUrl

_ARG_TYPES = {"setPosition": "qint64", "setPlaybackRate": "qreal", "setSource": QUrl}


def call(player: QObject, method: str, *args) -> None:
    """Run ``player.method(*args)`` with the GIL released; returns when it has run."""
    qargs = [Q_ARG(_ARG_TYPES[method], a) for a in args]
    if not QMetaObject.invokeMethod(player, method, Qt.ConnectionType.QueuedConnection,
                                    *qargs):
        raise RuntimeError(f"QMediaPlayer has no invokable {method}")
    loop = QEventLoop()
    # posted events for one thread run in order: the player's call, then the quit
    QMetaObject.invokeMethod(loop, "quit", Qt.ConnectionType.QueuedConnection)
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
