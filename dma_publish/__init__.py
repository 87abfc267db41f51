"""dma-publish: scores validated NHS Digital Maturity Assessment returns and publishes them."""

__version__ = "0.1.0"
