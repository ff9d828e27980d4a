"""Run the alerts service with its clock moved forward (end-to-end tests only).

``python -m tests.e2e.alerts_clock PORT [INSTANCE_ID]`` serves alerts like ``ducha serve alerts``,
but ``services.alerts.clock.now()`` returns the real time plus
``DUCHA_TEST_CLOCK_OFFSET_DAYS`` days, so a test can let days pass for the colour
rule and the reminders without waiting for them.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from services.cli import main
from services.core import clock

if __name__ == "__main__":
    offset = timedelta(days=float(os.environ.get("DUCHA_TEST_CLOCK_OFFSET_DAYS", "0")))
    clock.set_clock(lambda: clock.system_clock() + offset)
    instance = sys.argv[2:3]
    main(
        [
            "serve",
            "alerts",
            "--port",
            sys.argv[1],
            *(["--instance-id", *instance] if instance else []),
        ]
    )
