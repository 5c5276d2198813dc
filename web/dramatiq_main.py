"""What `gongzhi worker` runs: dramatiq's command line, logging as the platform does (GONGZHI_LOG_FORMAT).

Run with `--skip-logging`, so dramatiq's supervising process and the worker processes it starts use the
platform's log format rather than dramatiq's own.
"""

import sys

from dramatiq.cli import main

from web.logs import configure_logging

if __name__ == "__main__":
    configure_logging()
    sys.exit(main())
