"""The console's pages, one module per group, each with its own Blueprint.

Which URL reaches which handler is written once, in bot/console/app.py.
"""
