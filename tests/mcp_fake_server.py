"""An MCP server over a corpus with the fake embedder, for tests/test_mcp.py.

    python tests/mcp_fake_server.py CORPUS INDEX            # stdio
    python tests/mcp_fake_server.py CORPUS INDEX PORT       # streamable HTTP on 127.0.0.1:PORT/mcp
"""

import sys
from pathlib import Path

from qa.config import Settings
from qa.mcp import build_server
from qa.models.embed import FakeEmbedder

if __name__ == "__main__":
    corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
    server = build_server(Settings(corpus=corpus, index=index), embedder=FakeEmbedder(dim=64))
    if len(sys.argv) > 3:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[3]))
    else:
        server.run("stdio")
