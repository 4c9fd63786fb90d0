"""The citizen-facing web side: the chat widget's files and the demo
municipal page that embeds it (`make run`, port 8000)."""
