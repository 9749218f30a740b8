"""report-qa: offline question answering with citations over a folder of Chinese work reports.

The data's path: reports on disk -> ``load`` / ``clean`` -> ``split`` (paragraph chunks)
-> ``embed`` -> ``index`` (FAISS + BM25) -> ``retrieve`` -> ``answer`` -> ``cli`` / ``web``.
"""

__version__ = "0.1.0"
