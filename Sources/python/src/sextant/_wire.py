"""Wire protocol v1 frames: three UTF-8 frames, version, type, one JSON object.

See docs/protocol.md. Everything here is pure: no sockets, no threads.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

VERSION = b"1"
TYPES = frozenset(
    {"HELLO", "WELCOME", "TRIAL", "REPORT", "DECISION", "RESULT", "ACK", "HEARTBEAT", "BYE"}
)

#: Bodies larger than this are refused (protocol limit).
MAX_BODY_BYTES = 1 << 20
#: ZeroMQ messages larger than this drop the connection (ZMQ_MAXMSGSIZE).
MAX_MESSAGE_BYTES = 16 << 20
#: Heartbeat interval until a WELCOME says otherwise (200-5000 ms is sensible).
DEFAULT_HEARTBEAT_S = 1.0
#: Silent heartbeat intervals from the coordinator before the worker says HELLO again (2-10).
LIVENESS = 3
#: Retry of a HELLO that could not be sent because no connection is up yet.
HELLO_RETRY_S = 0.1
#: ZeroMQ reconnect interval, doubling up to the maximum (250-1000 ms, up to 10-30 s).
RECONNECT_IVL_MS = 250
RECONNECT_IVL_MAX_MS = 10_000
#: The RESULT field `stderr_tail` holds at most this many bytes.
STDERR_TAIL_BYTES = 4096


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON cannot carry {name}")


def encode(kind: str, body: Dict[str, Any]) -> List[bytes]:
    """The three frames of one message. Raises ValueError for a non-finite number."""
    data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return [VERSION, kind.encode("ascii"), data]


def decode(frames: List[bytes]) -> Optional[Tuple[str, Dict[str, Any]]]:
    """(type, body) of a well-formed message; None for one the protocol says to drop."""
    if len(frames) != 3 or frames[0] != VERSION or len(frames[2]) > MAX_BODY_BYTES:
        return None
    try:
        kind = frames[1].decode("ascii")
        body = json.loads(frames[2].decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        return None
    if kind not in TYPES or not isinstance(body, dict):
        return None
    return kind, body


def integer(value: Any) -> Optional[int]:
    """A JSON integer (an integral number that is not a boolean), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def number(value: Any) -> Optional[float]:
    """A JSON number that is not a boolean, as a float, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def tail(text: str, limit: int = STDERR_TAIL_BYTES) -> str:
    """The last `limit` bytes of `text` in UTF-8, cut at a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[-limit:].decode("utf-8", errors="ignore")
