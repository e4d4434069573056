"""The main window's work, split by concern: analysis, cue edits and music, transport, export.

Each controller holds a reference to the window's views and document.
"""
