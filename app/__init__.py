"""kefu: reply suggestions for online-shop customer service chat."""

__version__ = "0.1.0"
