"""The runnable examples of the user guide (``docs/guide/*.md``), and the shell script that
runs one page's examples in order.

Every fenced ``bash`` block of a guide page is a command the reader types, and it runs:

- a block whose first line is ``# background: …`` starts something that keeps running (the
  server, a webhook receiver); the script starts it and waits until the ports it names
  accept connections;
- a block whose first line is ``# illustrative: <reason>`` is not run (it needs something
  this machine does not have, such as a real OBS endpoint); the reason is required;
- every other ``bash`` block runs in one shell per page, in order, under ``set -euo
  pipefail``, so variables set by one block are there for the next.

The guide talks about port 8080 (the server) and 9000 (the webhook receiver); the test
rewrites those two numbers to free loopback ports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide"
SERVER_PORT, RECEIVER_PORT = 8080, 9000
_FENCE = re.compile(r"^( *)```(\S*)[^\n]*\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"^#\s*(background|illustrative):\s*(.*)$")
#: Fences that would read as commands but would not be run: the guide writes ``bash``.
SHELL_ALIASES = {"sh", "shell", "console", "shell-session", "zsh"}


@dataclass(frozen=True)
class Block:
    page: str
    index: int
    kind: str  # "run", "background" or "illustrative"
    reason: str
    text: str


def pages() -> list[Path]:
    return sorted(GUIDE.glob("*.md"))


def fences(path: Path) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, indented ones (inside admonitions) included."""
    found = []
    for match in _FENCE.finditer(path.read_text()):
        indent, language, body = match[1], match[2].lower(), match[3]
        if indent:
            body = re.sub(rf"^{indent}", "", body, flags=re.MULTILINE)
        found.append((language, body))
    return found


def blocks(path: Path) -> list[Block]:
    found = []
    for language, body in fences(path):
        if language != "bash":
            continue
        first = body.split("\n", 1)[0].strip()
        marker = _MARKER.match(first)
        kind, reason = (marker[1], marker[2].strip()) if marker else ("run", "")
        found.append(Block(path.stem, len(found) + 1, kind, reason, body))
    return found


def with_ports(text: str, server_port: int, receiver_port: int) -> str:
    text = re.sub(rf"\b{SERVER_PORT}\b", str(server_port), text)
    return re.sub(rf"\b{RECEIVER_PORT}\b", str(receiver_port), text)


_PRELUDE = r"""set -euo pipefail
trap 'echo "guide block $GUIDE_BLOCK failed (exit $?)" >&2' ERR
guide_wait_for_port() {
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}
"""


def script(path: Path, server_port: int, receiver_port: int) -> str:
    """One bash script that runs the page's blocks in order; background blocks run in a
    subshell of their own (as in another terminal), logged to ``guide-<page>-<n>.log``."""
    lines = [_PRELUDE]
    for block in blocks(path):
        if block.kind == "illustrative":
            continue
        body = with_ports(block.text, server_port, receiver_port)
        lines.append(f"GUIDE_BLOCK={block.index}")
        if block.kind == "background":
            log = f"guide-{block.page}-{block.index}.log"
            lines.append(f"(\n{body}\n) >{log} 2>&1 &")
            ports = sorted(
                set(re.findall(r"\b\d{4,5}\b", body)) & {str(server_port), str(receiver_port)}
            )
            lines.extend(f"guide_wait_for_port {port}" for port in ports)
        else:
            lines.append(body)
    return "\n".join(lines) + "\n"
