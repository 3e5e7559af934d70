"""The application: the ``mesoflow`` command line (:mod:`.cli`), the demo (:mod:`.demo`)
and the figure gallery (:mod:`.figures` and its recipe modules)."""
