"""nas's search: Optuna studies whose trials train proxies of sampled CNNs under a budget."""

__version__ = "0.2.0"
