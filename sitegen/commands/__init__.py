"""The pipeline's commands, installed on PATH by ``pip install -e .`` (``[project.scripts]``):
``build-index``, ``new-post`` and ``check-post``. Each module's ``main(argv)`` returns the
exit status, so tests call it in process."""
