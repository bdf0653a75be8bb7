"""skae: scikit-learn estimators for autoencoders, trained with PyTorch through skorch."""

from ._base import BaseAutoEncoder
from ._contractive import ContractiveAutoEncoder
from ._convolutional import ConvolutionalAutoEncoder
from ._denoising import DenoisingAutoEncoder
from ._imputer import AutoEncoderImputer
from ._onnx import register_onnx_converters, to_onnx
from ._persistence import load
from ._scorers import mass_volume_scorer, reconstruction_error_scorer
from ._sparse import SparseAutoEncoder
from ._vanilla import AutoEncoder
from ._variational import VariationalAutoEncoder

__version__ = "0.1.0.dev0"

__all__ = [
    "AutoEncoder",
    "AutoEncoderImputer",
    "BaseAutoEncoder",
    "ContractiveAutoEncoder",
    "ConvolutionalAutoEncoder",
    "DenoisingAutoEncoder",
    "SparseAutoEncoder",
    "VariationalAutoEncoder",
    "__version__",
    "load",
    "mass_volume_scorer",
    "reconstruction_error_scorer",
    "register_onnx_converters",
    "to_onnx",
]
