"""The machinery for the admins' YAML files: lines kept, every problem reported at once.

Every file has a pydantic model; every problem is reported with file, line and what was
expected, all at once, so one ``tenderwatch config check`` shows everything to fix. The
files themselves, and the one object holding them, are ``monitor/config.py``.
"""

from monitor.appconfig.errors import ConfigError, ConfigProblem
from monitor.appconfig.loader import load_file

__all__ = ["ConfigError", "ConfigProblem", "load_file"]
