"""Who is on the other end of a loopback connection: the calling process and its environment.

GitHub gives every job its own GITHUB_TOKEN, with that job's `permissions:`;
act hands one token to all the jobs of a run. So the fake GitHub tells the jobs
of a run apart by asking the operating system which process opened the
connection (the socket's inode in /proc/net/tcp, then the process holding it)
and reading that process's GITHUB_JOB. Linux only, like the machines CI runs on;
`None` when the process cannot be found (it is then refused, never guessed).
"""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")


def _socket_inode(client_port: int, server_port: int) -> str | None:
    """The inode of the client's end of 127.0.0.1:client_port -> 127.0.0.1:server_port."""
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (
                int(local.rsplit(":", 1)[1], 16) == client_port
                and int(remote.rsplit(":", 1)[1], 16) == server_port
                and inode != "0"
            ):
                return inode
    return None


def _holder(inode: str) -> int | None:
    """The id of a process that holds the socket `inode` open."""
    wanted = f"socket:[{inode}]"
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.scandir(f"{entry.path}/fd")
        except OSError:
            continue
        with fds:
            for fd in fds:
                try:
                    if os.readlink(fd.path) == wanted:
                        return int(entry.name)
                except OSError:
                    continue
    return None


def environment(client_port: int, server_port: int) -> dict[str, str] | None:
    """The environment of the process that connected from `client_port` to `server_port`."""
    inode = _socket_inode(client_port, server_port)
    pid = _holder(inode) if inode is not None else None
    if pid is None:
        return None
    try:
        raw = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}
