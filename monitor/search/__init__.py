"""Search over stored notices with the classifier's morphology (see ``terms`` and ``query``)."""
