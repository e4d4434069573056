"""Entry point of the desktop bundle: the GUI by default, the CLI when given a command.

``scorer-bundle/scorer`` with no arguments (or ``--gui``) opens the application; with
arguments (``--version``, ``analyze ...``) it runs the ``scorer`` command.
"""

import sys


def main() -> int:
    args = sys.argv[1:]
    if not args or args == ["--gui"]:
        from ui.app import main as gui_main

        return gui_main()
    from scorer.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
