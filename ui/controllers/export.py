"""Export: the dialog, the background export, and a result the editor can read in full."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from scorer.errors import Cancelled
from ui import commands, core
from ui.thread import run_in_process, running_tasks


def describe_report(report: dict) -> str:
    """A one-line summary of an export report for the status line."""
    files = [Path(f).name for f in report.get("files", [])]
    notes = list(report.get("notes", []))
    text = f"{len(files)} files ({', '.join(files[:6])}{'…' if len(files) > 6 else ''})"
    if notes:
        text += f"; {len(notes)} notes: " + "; ".join(notes[:2])
    return text


class ExportController(QObject):
    """Exports off the GUI thread and shows what was written (files and notes)."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.last_export = None
        self.result_box: QMessageBox | None = None
        self.dialog = None

    def open_dialog(self) -> None:
        win = self.win
        if win.doc.project is None:
            return
        from ui.export_dialog import ExportDialog

        out_dir = (win.video_path.parent if win.video_path else Path.home()) / \
            f"{win.doc.project.title}-export"
        dialog = ExportDialog(win.doc.project, out_dir, win)
        self.dialog = dialog  # tests reach the open dialog here
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return
        self.export(dialog.formats(), dialog.out_dir(), dialog.cue_sheet(),
                    force=dialog.force.isChecked())

    def export(self, formats: list[str], out_dir: Path, cue_sheet: dict | None = None,
               force: bool = False) -> None:
        """Export what the editor sees (the project as it is now) in the background."""
        win = self.win
        if not core.available("export"):
            win.say(core.missing_message("export"), error=True)
            return
        if cue_sheet is not None and cue_sheet != win.doc.project.cue_sheet:
            win.doc.undo_stack.push(commands.EditCueSheet(win.doc, cue_sheet))
        sf2 = win.settings["audio/soundfont"] or None
        win.busy(True)
        win.say(f"Exporting {', '.join(formats)} to {out_dir}…")
        kwargs = {"project": win.doc.project.to_dict(),
                  "project_path": str(win.doc.path) if win.doc.path else None,
                  "formats": list(formats), "out_dir": str(out_dir), "force": force, "sf2": sf2}

        def progress(stage, fraction):
            win.progress.setValue(int(1000 * fraction))
            win.say(f"Exporting: {stage} {int(fraction * 100)}%")

        def done(report, error):
            win.tasks.pop("export", None)
            win.busy(bool(running_tasks()))
            self.last_export = (report, error)
            if isinstance(error, Cancelled):
                win.say("Export cancelled; no partial files were left.")
            elif error is not None:
                win.say(f"Export failed: {error}", error=True)
            else:
                win.say(f"Exported to {out_dir}: {describe_report(report)}")
                self._show_result(Path(out_dir), report)

        win.tasks["export"] = run_in_process("export", "export", kwargs, done,
                                             progress=progress)

    def _show_result(self, out_dir: Path, report: dict) -> None:
        """A non-modal box listing every file and note, with a button to open the folder."""
        files = [Path(f).name for f in report.get("files", [])]
        notes = list(report.get("notes", []))
        box = QMessageBox(QMessageBox.Icon.Information, "Export finished",
                          f"{len(files)} files written to\n{out_dir}", parent=self.win)
        details = "Files:\n" + "\n".join(f"  {f}" for f in files)
        if notes:
            details += "\n\nNotes:\n" + "\n".join(f"  {n}" for n in notes)
        box.setDetailedText(details)
        box.setInformativeText(("Notes: " + "; ".join(notes[:3])) if notes
                               else "Every format was written.")
        open_button = box.addButton("Open Folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        open_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(out_dir))))
        box.setModal(False)
        box.show()
        self.result_box = box
