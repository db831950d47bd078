"""The ``maillage`` command line: ``maillage run`` (the supervisor of the whole stack), ``parse``
and the operator commands. It sits at the level of the services because it uses them;
``shared/`` imports none of this."""
