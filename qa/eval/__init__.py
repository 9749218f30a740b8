"""Measuring: gold or bench questions in, retrieval and answer metrics out (``qa eval``).

``gold`` reads gold files and their evidence keys; ``retrieval`` computes Recall@k and MRR; ``answers``
computes answer hit, citation hit, declines and unsupported numbers. The caller (``qa.runtime``) combines them.
"""
