"""The study's storage for ``danfang tune``: an Optuna ``RDBStorage`` (SQLite or PostgreSQL) with
heartbeats, so that the trial of a worker that died is marked FAIL and queued again, and a lock
that makes "count the trials, then ask for one" atomic across worker processes.
"""

from __future__ import annotations

import fcntl
import hashlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from danfang.errors import UsageError


def optuna_module() -> Any:
    """Optuna, imported lazily with an install hint."""
    try:
        import optuna
    except ImportError as exc:  # pragma: no cover - optuna is a dependency
        raise UsageError("danfang tune needs Optuna: pip install optuna") from exc
    return optuna


def postgres_driver_url(url: str) -> str:
    """Name the driver in a ``postgresql://`` URL: SQLAlchemy 2.1 means psycopg 3 by default;
    with only psycopg2 installed (``danfang[postgres]``) the URL must say ``+psycopg2``."""
    scheme, sep, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres") or not sep:
        return url
    for module, driver in (("psycopg", "psycopg"), ("psycopg2", "psycopg2")):
        try:
            __import__(module)
        except ImportError:
            continue
        return f"postgresql+{driver}://{rest}"
    raise UsageError("a PostgreSQL storage needs a driver: pip install 'danfang[postgres]' (psycopg2).")


def shown_url(url: str) -> str:
    """The storage URL with any password masked, for messages and summaries."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise UsageError(f"--storage {url!r}: an in-memory SQLite database cannot be shared by worker "
                         "processes. Pass a file, e.g. sqlite:///runs/tune.db.")
    return Path(parsed.database)


def open_storage(url: str, *, heartbeat_interval: int, grace_period: int, max_retry: int) -> Any:
    """An ``RDBStorage`` whose running trials send a heartbeat every ``heartbeat_interval`` s;
    a trial silent for ``grace_period`` s is stale: ``fail_stale_trials`` marks it FAIL and
    Optuna's ``RetryHeartbeatStaleTrialCallback`` queues it again (same parameters), at most
    ``max_retry`` times."""
    optuna = optuna_module()
    engine_kwargs: dict[str, Any] = {}
    try:
        if _sqlite_file(url) is not None:
            engine_kwargs = {"connect_args": {"timeout": 60}}  # several workers write one file
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=max_retry))
    except UsageError:
        raise
    except Exception as exc:  # a URL SQLAlchemy cannot parse, a server that does not answer
        raise UsageError(f"--storage {shown_url(url)!r} cannot be opened: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}. Pass a reachable database URL, "
                         "e.g. sqlite:///runs/tune.db or postgresql://user@host/db.") from None


def fail_stale_trials(study: Any) -> None:
    """Optuna's ``fail_stale_trials`` (stale RUNNING trials -> FAIL, retry queued), quietly."""
    optuna = optuna_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def adopt_silent_trials(storage: Any, study_id: int) -> None:
    """Give every RUNNING trial one heartbeat now.

    A trial left RUNNING without any heartbeat (by a danfang older than heartbeats, or a
    process killed between asking and its first beat) is never stale to Optuna; after this it
    becomes stale ``grace_period`` s later unless its worker is alive and keeps beating."""
    optuna = optuna_module()
    running = storage.get_all_trials(study_id, deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in running:
        storage.record_heartbeat(storage.get_trial_id_from_study_id_trial_number(study_id, trial.number))


def fail_and_retry(study: Any, storage: Any, trial_id: int) -> bool:
    """Mark a RUNNING trial whose worker is known dead FAIL now and queue its retry, as
    ``fail_stale_trials`` would after the grace period. False if it had already finished."""
    optuna = optuna_module()
    try:
        if not storage.set_trial_state_values(trial_id, state=optuna.trial.TrialState.FAIL):
            return False
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    retry = storage.get_heartbeat_stale_trial_callback()
    if retry is not None:
        retry(study, storage.get_trial(trial_id))
    return True


@contextmanager
def ask_lock(url: str, out: Path, study_name: str) -> Iterator[None]:
    """Serialise "count the trials, ask for the next one" between workers, so that no more than
    the requested trials start: a PostgreSQL advisory lock (every machine sharing the server),
    else a file lock beside the SQLite file (or in ``out``)."""
    from sqlalchemy.engine import make_url

    if make_url(url).get_backend_name() == "postgresql":
        with _advisory_lock(url, study_name):
            yield
        return
    db = _sqlite_file(url)
    path = Path(f"{db}.lock") if db is not None else out / ".tune.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_ENGINES: dict[str, Any] = {}


@contextmanager
def _advisory_lock(url: str, study_name: str) -> Iterator[None]:
    import sqlalchemy

    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    key = int.from_bytes(hashlib.sha1(f"danfang-tune:{study_name}".encode()).digest()[:8], "big", signed=True)
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
