"""Sign-in: password checks with Argon2 and server-side sessions that logout really ends.

A session token is shown to the client once (cookie or bearer token); the store keeps only its
SHA-256, so a copied sessions file opens no session. Each session has its own CSRF token.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from runtime.errors import NotAuthenticated
from runtime.org import Organisation, User
from runtime.store.repository import Repository
from runtime.i18n import N_

SESSION_LIFETIME = timedelta(hours=12)
_hasher = PasswordHasher()
# Checked when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(org: Organisation, username: str, password: str) -> User:
    """The user whose password this is; NotAuthenticated (same message either way) if not."""
    user = org.users.get(username)
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated(N_("wrong username or password")) from None
    if user is None:
        raise NotAuthenticated(N_("wrong username or password"))
    return user


@dataclass(frozen=True)
class Session:
    token: str
    username: str
    csrf: str
    kind: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(repo: Repository, user: User, kind: str = "web") -> Session:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + SESSION_LIFETIME
    repo.put_session(_digest(token), {"username": user.username, "csrf": csrf, "kind": kind,
                                      "expires": expires.isoformat()})
    return Session(token, user.username, csrf, kind)


def find_session(repo: Repository, token: str | None) -> Session | None:
    if not token:
        return None
    record = repo.get_session(_digest(token))
    if record is None:
        return None
    if datetime.fromisoformat(record["expires"]) < datetime.now(UTC):
        repo.delete_session(_digest(token))
        return None
    return Session(token, record["username"], record["csrf"], record["kind"])


def purge_expired_sessions(repo: Repository) -> int:
    """Forget every expired session (at start-up), so the sessions file does not only grow."""
    now = datetime.now(UTC)
    return repo.delete_sessions_where(lambda record: datetime.fromisoformat(record["expires"]) < now)


def close_session(repo: Repository, token: str) -> None:
    repo.delete_session(_digest(token))


def csrf_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and secrets.compare_digest(session.csrf, presented or "")
