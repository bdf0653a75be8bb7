"""Sphinx configuration of skae's documentation.

Build it from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Every warning is an error, every cross-reference must resolve (``nitpicky``)
and the gallery in ``examples/`` is executed.
"""

import sys
from pathlib import Path

import skae

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

from skae_docs import intersphinx_mapping as _offline_intersphinx  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "skae"
author = "skae developers"
copyright = "skae developers"
release = skae.__version__
version = release

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "sphinxext"]
# A reference that does not resolve is an error under -W, not a silent plain text.
nitpicky = True
default_role = "literal"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_member_order = "groupwise"
# Types live in the numpydoc sections; annotations in signatures repeat them
# less readably (and name private classes).
autodoc_typehints = "none"
# The class template lists the methods itself (see _templates/autosummary).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every public docstring must have its parameters, and only its parameters,
# documented: these checks pass today and should stay that way.
numpydoc_validation_checks = {"PR01", "PR02", "PR03", "PR06"}
numpydoc_validation_exclude = {
    # Methods inherited from scikit-learn are documented by scikit-learn.
    r"\.fit_predict$",
    r"\.fit_transform$",
    r"\.get_feature_names_out$",
    r"\.get_metadata_routing$",
    r"\.get_params$",
    r"\.set_output$",
    r"\.set_params$",
}

# -- Cross-references to other projects ----------------------------------------
# Built from a list kept in sphinxext/skae_docs.py, so no network is needed.
intersphinx_mapping = _offline_intersphinx(HERE / "_build" / "inventories")

# -- Gallery -------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "skae_docs.gallery_order",
    "doc_module": ("skae",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "reset_modules": ("matplotlib", "skae_docs.one_torch_thread"),
    "show_memory": False,
    "min_reported_time": 0,
    # An example that raises fails the build, once the other examples have run.
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}


# -- Checks --------------------------------------------------------------------
#: Sections every public class and function must have (the issue's standard).
REQUIRED_SECTIONS = {
    "class": ["Parameters", "Attributes", "See Also", "Examples"],
    "function": ["Parameters", "Returns", "See Also", "Examples"],
}
#: Exceptions to REQUIRED_SECTIONS, each with its reason.
MISSING_SECTIONS_ALLOWED: dict[str, set[str]] = {
    # It takes nothing and returns nothing: it registers skae with skl2onnx.
    "register_onnx_converters": {"Parameters", "Returns"},
}


def _check_api(app):
    """Warn (an error under -W) when the API page or a public docstring falls short.

    Every name of ``skae.__all__`` must be listed in api.rst (and nothing else),
    and its docstring must have the sections of ``REQUIRED_SECTIONS``.
    """
    import inspect
    import re

    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    listed = set(re.findall(r"^ {3}(\w+)$", (HERE / "api.rst").read_text(), flags=re.M))
    public = set(skae.__all__) - {"__version__"}
    for name in sorted(public - listed):
        logger.warning("skae.%s is public (in skae.__all__) but not listed in docs/api.rst", name)
    for name in sorted(listed - public):
        logger.warning("docs/api.rst lists %s, which is not in skae.__all__", name)
    for name in sorted(public):
        obj = getattr(skae, name)
        kind = "class" if inspect.isclass(obj) else "function"
        doc = inspect.getdoc(obj) or ""
        for section in REQUIRED_SECTIONS[kind]:
            heading = f"\n{section}\n{'-' * len(section)}\n"
            if heading not in doc and section not in MISSING_SECTIONS_ALLOWED.get(name, ()):
                logger.warning("the docstring of skae.%s has no %s section", name, section)


def setup(app):
    app.connect("builder-inited", _check_api)
