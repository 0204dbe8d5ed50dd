"""The ``actionkit`` command line (installed as ``actionkit.cli``)."""
