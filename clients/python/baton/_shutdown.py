"""Stopping gracefully: close the session so no more tasks come, give back (ReleaseTask) what never started, let
running handlers finish for up to `shutdown_timeout`, give back the rest, then stop every thread. Released tasks
keep their attempt, so a deploy does not use up anyone's retries."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from baton._codes import state_name
from baton._handling import _Entry
from baton.errors import BatonError, WorkerClosing

if TYPE_CHECKING:
    from baton.worker import Worker


def release(w: "Worker", entry: _Entry) -> None:
    """Stops the handler and gives the task back at once, without using up its attempt (ReleaseTask)."""
    with w._lock:
        if entry.phase not in ("running", "waiting"):
            return
        if entry.lost:
            lost = True
        else:
            lost = False
            entry.released = True
            entry.phase = "reporting"
    if lost:
        w._over(entry)
        return
    w._abort(entry, WorkerClosing("the worker shut down before the handler finished; the task was given back"))
    try:
        response = w._client.release_task(queue=entry.task.queue, task_id=entry.task.id, lease_token=entry.token, timeout=5.0, retry=True)
        w._event("released", task_id=entry.task.id, state=state_name(response.task.state))
    except BatonError as error:
        # The lease runs out and the server requeues the task: slower, but nothing is lost.
        w._event("error", task_id=entry.task.id, message=f"could not release: {error}", code=error.code.name)
    finally:
        w._over(entry)


def shutdown(w: "Worker", session_thread: threading.Thread) -> None:
    w._stopping.set()
    session = w._session
    if session is not None:
        session.close()
    session_thread.join(5.0)
    if session_thread.is_alive() and w._session is not None:
        w._session.cancel()
        session_thread.join(1.0)
    with w._lock:
        waiting = [e for e in w._waiting if e.phase == "waiting"]
        w._waiting.clear()
    for f in [w._outcomes.submit(release, w, e) for e in waiting]:
        f.result()
    _wait_until_empty(w, w.shutdown_timeout)
    with w._lock:
        running = [e for e in w._held.values() if e.phase == "running"]
    for f in [w._outcomes.submit(release, w, e) for e in running]:
        f.result()
    _wait_until_empty(w, 10.0)
    w._closed.set()
    w._heartbeats.wake()
    w._runners.stop()
    w._outcomes.shutdown(wait=True)
    for client in w._clients.values():
        client.close()
    w._event("stopped")


def _wait_until_empty(w: "Worker", timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with w._lock:
            if not w._held:
                return
        time.sleep(0.01)
