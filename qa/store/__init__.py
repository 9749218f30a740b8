"""The index folder: paragraphs and their vectors in, a loaded ``Index`` (FAISS + BM25) out.

``index`` reads and writes the folder (one segment per report file, a manifest, the global FAISS and BM25
files) and keeps it in step with the corpus; ``keyword`` is BM25 over jieba tokens; ``vectors`` is the
FAISS index; ``lock`` keeps two writers apart; ``watch`` follows the corpus folder and updates the index.
"""
