"""Editor tooling: scaffold new errands and municipalities, and check all
content (knowledge, training data, domain, test stories) before training."""
