#!/usr/bin/env bash
# Debian's Chromium for the browser tests (never a test tool's own browser download).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "chromium is not installed and this user cannot install it: the browser tests will be skipped" >&2
  echo "(as root: apt-get install chromium)" >&2
  exit 0
fi
echo "installing Debian's chromium for the browser tests ..." >&2
$SUDO apt-get update -qq
# A CJK font, so that screenshots of the chat show the reports' characters.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
