"""Entry point of the desktop bundle: the GUI by default, the CLI when given a command.

``scorer`` with no arguments, or with ``--gui [GUI options]``, or run through the
``scorer-gui`` link, opens the application; with other arguments (``--version``,
``analyze ...``) it runs the ``scorer`` command.
"""

import multiprocessing
import os
import sys


def main() -> int:
    # a frozen app re-runs itself for multiprocessing helpers (the library's worker
    # processes, the resource tracker); this answers those runs before argument parsing
    multiprocessing.freeze_support()
    args = sys.argv[1:]
    as_gui = os.path.basename(sys.argv[0]) == "scorer-gui"
    if as_gui or not args or args[0] == "--gui":
        from ui.app import main as gui_main

        return gui_main(args if as_gui else args[1:])
    from scorer.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
