"""skae: scikit-learn estimators for autoencoders, trained with PyTorch through skorch."""

from ._base import BaseAutoEncoder
from ._vanilla import AutoEncoder

__version__ = "0.1.0.dev0"

__all__ = ["AutoEncoder", "BaseAutoEncoder", "__version__"]
