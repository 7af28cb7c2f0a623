import sys

from bot.cli import main

if __name__ == "__main__":  # also keeps spawned worker processes from re-running the CLI
    sys.exit(main())
