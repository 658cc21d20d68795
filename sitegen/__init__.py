"""Engineering Logs' site generator: posts' front matter in, index pages, TOC and feed out.

Modules, one job each: ``site`` (settings), ``posts`` (read + validate into a DataFrame),
``readtime``, ``pages`` (landing/category/tag/archive), ``toc``, ``feeds`` (RSS + posts.json/csv),
``outputs`` (write only what changed), ``build`` (all of it), ``sphinx_ext`` (the same, inside
``jupyter-book build``).
"""
