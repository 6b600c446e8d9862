# The project's own CKAN plugin for its test server: fluent-style translated fields for
# ckanext-scheming (ckanext-fluent's PyPI release is Python 2 only), and an optional
# Registry-like mode. Not for production portals.
from setuptools import setup

setup(
    name="ckanext-ogpipetest",
    version="0.1.0",
    description="ogpipe's test plugin for CKAN 2.12: translated fields and a Registry-like mode",
    # ckanext is a namespace package shared with CKAN and ckanext-scheming: no __init__.py.
    packages=["ckanext.ogpipetest"],
    package_data={"ckanext.ogpipetest": ["*.json", "*.yaml"]},
    entry_points={
        "ckan.plugins": [
            "ogpipetest = ckanext.ogpipetest.plugin:OgpipeTestPlugin",
        ],
    },
)
