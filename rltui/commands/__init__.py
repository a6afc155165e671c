"""Sub-commands of the ``rltui`` CLI, one module each (``add_parser`` + ``run``). Keep top-level imports light."""
