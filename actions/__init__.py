"""Rasa custom actions. Importing the package makes every log record of the
action server CPR-redacted, however the server was started."""

from bot.privacy.logs import install as _install_log_redaction

_install_log_redaction()
