"""An MCP server over a corpus with the fake embedder, for tests/test_mcp.py (stdio).

    python tests/mcp_fake_server.py CORPUS INDEX
"""

import sys
from pathlib import Path

from qa.config import Settings
from qa.mcp import build_server
from qa.models.embed import FakeEmbedder

if __name__ == "__main__":
    corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
    build_server(Settings(corpus=corpus, index=index), embedder=FakeEmbedder(dim=64)).run("stdio")
