"""The tool's command line: ``python scripts/migrate.py --help`` (installed: ``nhi-migrate``).

A thin entry point; everything is in ``nhi_migration.cli``. Python puts this file's
folder on the import path, so it runs from a checkout as well as installed.
"""

import sys

from nhi_migration.cli import main

if __name__ == "__main__":
    sys.exit(main())
