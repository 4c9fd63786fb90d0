"""Kommunebot domain logic: knowledge base, answers, outcome records.

Nothing in this package imports Rasa, so it can be tested and reused
without a trained model; the Rasa glue lives in ``actions/``.
"""
