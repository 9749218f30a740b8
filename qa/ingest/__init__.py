"""Reading reports: files on disk in, cleaned ``Document``s and their ``Chunk``s (paragraphs) out.

``load`` decodes bytes (UTF-8, GB18030, Big5, UTF-16) and ``formats`` pulls the text out of HTML, Word and
PDF; ``clean`` drops web-page chrome; ``split`` cuts a file into reports (one per numbered part) and
paragraphs with heading paths and spans into the original; ``meta`` reads year and places; ``corpus`` walks
a folder and says which files were skipped and why.
"""
