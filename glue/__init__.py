"""Rasa-side glue that runs inside the Rasa server: input channel, tracker store."""
