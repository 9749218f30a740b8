"""Finding passages: a question (and filters) in, ranked ``Hit``s out.

``question`` reads what a question asks (language, script, kind, key concepts, figures); ``filters`` reads
years and places and narrows the reports; ``followup`` rewrites a follow-up with the conversation; ``retrieve``
runs dense and keyword search over the ``Index`` and fuses them.
"""
