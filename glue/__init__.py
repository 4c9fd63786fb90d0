"""Rasa-side glue that runs inside the Rasa server: input channel, tracker store.

Importing the package (credentials.yml names glue.rest_channel) also
installs the cached action-response validator, see action_validation.py.
"""

from glue.action_validation import install as _install_action_validation

_install_action_validation()
