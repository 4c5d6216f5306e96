"""`python -m moldau.broker config/server.properties [--override key=value ...]`."""

import sys

from moldau.broker.main import main

sys.exit(main())
