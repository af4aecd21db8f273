"""Loading and validating the admins' YAML files under ``config/``.

Every file has a pydantic model; every problem is reported with file, line and what was
expected, all at once, so one ``tenderwatch config check`` shows everything to fix.
"""

from monitor.appconfig.errors import ConfigError, ConfigProblem
from monitor.appconfig.loader import AppConfig, load_config, load_file

__all__ = ["AppConfig", "ConfigError", "ConfigProblem", "load_config", "load_file"]
