"""PostgreSQL URLs: whether one is usable, and how to name its database in a log line."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit


def postgres_url_problem(url: str) -> str | None:
    """What keeps `url` from being a PostgreSQL URL as asyncpg reads it, or None. The URL is
    never quoted back: it may hold a password."""
    if "://" not in url:
        return "it is not a URL"
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        return f"its scheme is {parts.scheme}://, not postgresql://"
    # asyncpg ends the user and password at the first @, and the host at the first / ? #.
    hosts = parts.netloc.partition("@")[2] if "@" in parts.netloc else parts.netloc
    if "@" in hosts + parts.path + parts.query + parts.fragment:
        return "more than one @, or an @ after a / ? or #"
    for host in hosts.split(","):
        port = host.rpartition("]")[2].rpartition(":")[2] if ":" in host else ""
        if port and not port.isdigit():
            return "the text after a host's last : is not a port number"
    return None


def database_label(url: str) -> str:
    """`name on host:port`, as asyncpg reads the URL; never the password."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    user = unquote(parts.username or "") or None
    name = unquote(parts.path.lstrip("/")) or next(iter(query.get("dbname", [])), user)
    hosts = parts.netloc.rpartition("@")[2] or (query.get("host") or ["localhost"])[0]
    label = f"{name or 'postgres'} on {hosts}"
    return label + (f" as {user}" if user else "")
