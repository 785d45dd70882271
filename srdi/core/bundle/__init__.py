"""The model bundle: everything needed to score a firm, without pickles.

Exceptions defined here (:mod:`srdi.core.bundle.errors`)::

    BundleError                 any problem with a bundle on disk
    ├── BundleFormatError       a file is missing or malformed
    └── BundleMismatchError     the bundle's features or rule tables differ from this code
    NoChampionError             the registry has no ``@champion`` model yet

Modules, one reason to change each: ``model`` (:class:`ModelBundle` and its
prediction surface), ``reference`` (percentiles and bands in the reference
population), ``attribution`` (coverage: the share of the model's signal on reported
figures), ``files`` (the five text files on disk, their format version, the
checks against the code), ``registry`` (the champion from MLflow).
"""

from srdi.core.bundle.attribution import THIN_DATA_BELOW
from srdi.core.bundle.errors import (
    BundleError,
    BundleFormatError,
    BundleMismatchError,
    NoChampionError,
)
from srdi.core.bundle.files import (
    BUNDLE_FILES,
    BUNDLE_FORMAT_VERSION,
    DRIFT_FILE,
    code_feature_names,
    code_ruleset_versions,
    find_bundle_dir,
)
from srdi.core.bundle.model import ModelBundle
from srdi.core.bundle.reference import BAND_THRESHOLDS
from srdi.core.bundle.registry import LoadedModel, load_registered_bundle

__all__ = [
    "BAND_THRESHOLDS",
    "BUNDLE_FILES",
    "BUNDLE_FORMAT_VERSION",
    "DRIFT_FILE",
    "THIN_DATA_BELOW",
    "BundleError",
    "BundleFormatError",
    "BundleMismatchError",
    "LoadedModel",
    "ModelBundle",
    "NoChampionError",
    "code_feature_names",
    "code_ruleset_versions",
    "find_bundle_dir",
    "load_registered_bundle",
]
