"""A lock in the database: one daily job at a time across processes and machines.

The lock expires, so a holder that dies cannot block the service for ever; a live holder
keeps it by refreshing it from a heartbeat thread.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import timedelta
from types import TracebackType

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from newsalert.storage.db import dialect_insert
from newsalert.storage.models import LockRow, utcnow

TTL = timedelta(minutes=5)
HEARTBEAT_SECONDS = 60.0


class DatabaseLock:
    def __init__(self, sessions: sessionmaker[Session], name: str, *, ttl: timedelta = TTL) -> None:
        self.sessions, self.name, self.ttl = sessions, name, ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free or expired; True when this process now holds it."""
        now = utcnow()
        values = {"holder": self.holder, "acquired_at": now, "expires_at": now + self.ttl}
        with self.sessions.begin() as session:
            table = LockRow.__table__
            session.execute(
                dialect_insert(session, LockRow)
                .values(name=self.name, **values)
                .on_conflict_do_update(index_elements=["name"], set_=values, where=table.c.expires_at < now)
            )
            held = session.scalar(select(LockRow.holder).where(LockRow.name == self.name)) == self.holder
        if held:
            self._stop.clear()
            self._heartbeat = threading.Thread(target=self._beat, name=f"lock-{self.name}", daemon=True)
            self._heartbeat.start()
        return held

    def holder_now(self) -> str | None:
        with self.sessions() as session:
            row = session.get(LockRow, self.name)
            return row.holder if row is not None and row.expires_at > utcnow() else None

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        with self.sessions.begin() as session:
            session.execute(delete(LockRow).where(LockRow.name == self.name, LockRow.holder == self.holder))

    def _beat(self) -> None:
        interval = min(HEARTBEAT_SECONDS, self.ttl.total_seconds() / 3)
        while not self._stop.wait(interval):
            with self.sessions.begin() as session:
                session.execute(
                    update(LockRow)
                    .where(LockRow.name == self.name, LockRow.holder == self.holder)
                    .values(expires_at=utcnow() + self.ttl)
                )

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()
