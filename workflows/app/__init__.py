"""The application: the ``mesoflow`` command line (:mod:`.cli`), TOML studies
(:mod:`.study_schema` the file's schema, :mod:`.study_file` validation,
:mod:`.study_point` the point function, :mod:`.study_run` running and outputs;
examples in ``examples/``), the demo (:mod:`.demo`) and the figure gallery
(:mod:`.figures` and its recipe modules)."""
