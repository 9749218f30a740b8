"""Answers: a question and ranked passages in, an ``Answer`` (text with ``[n]`` markers, citations) out.

``compose`` builds the extractive answer or the decline; ``evidence`` scores sentences and clauses; ``verify``
checks every number and marker against the cited paragraphs; ``wording`` holds the lead sentences in three
scripts; ``render`` turns an answer into text or JSON; ``llm`` and ``llm_answer`` ask an optional language model,
held to the same checks.
"""
