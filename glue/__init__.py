"""Rasa-side glue: the input channels, the tracker store, and the launchers
of the Rasa server and the action server (`kommunebot serve rasa|actions`).

Importing the package stays cheap (no Rasa, no TensorFlow), because the
installed `kommunebot` command starts here.
"""

# Both the Rasa server and the action server start in this package (and
# Rasa imports it for the channels): no log line of theirs keeps a CPR number.
from bot.privacy.logs import install as _install_log_redaction

_install_log_redaction()
