# Settings come from the tests (confoverrides), as Jupyter Book passes them to Sphinx.
