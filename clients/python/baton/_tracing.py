"""W3C trace context in the Python SDK. A submitted task may carry its producer's trace context (`trace_context=`
on submit); the handler's Context exposes it (`ctx.traceparent`, `ctx.tracestate`). When the `opentelemetry` API is
importable (it is optional: the SDK does not depend on it), a submit without a trace context takes the active
span's, and each handler runs in a CONSUMER span "baton.process <queue>" whose parent is the task's context."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

from baton.v1.task_pb2 import Task

try:
    from opentelemetry import trace as _otel_trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator as _W3C
except ImportError:  # the API is optional
    _otel_trace = None
    _W3C = None


def opentelemetry_available() -> bool:
    """Whether the `opentelemetry` API could be imported (spans are then made through it)."""
    return _otel_trace is not None


def active_trace_context() -> Optional[Dict[str, str]]:
    """The active span's context as {"traceparent", "tracestate"}, or None (no span, or no opentelemetry)."""
    if _W3C is None:
        return None
    carrier: Dict[str, str] = {}
    _W3C().inject(carrier)
    if "traceparent" not in carrier:
        return None
    return {"traceparent": carrier["traceparent"], "tracestate": carrier.get("tracestate", "")}


def with_active_trace(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Submit fields with the active span's trace context added, unless they name one."""
    if "trace_context" not in fields:
        active = active_trace_context()
        if active is not None:
            fields["trace_context"] = active
    return fields


def traceparent_of(task: Task) -> str:
    """The task's stored traceparent; "" when it carries none."""
    return str(task.trace_context.traceparent) if task.HasField("trace_context") else ""


def tracestate_of(task: Task) -> str:
    return str(task.trace_context.tracestate) if task.HasField("trace_context") else ""


@contextmanager
def handler_span(task: Task) -> Iterator[None]:
    """Runs the body in the handler span (see the module doc); does nothing without opentelemetry. An exception
    leaving the body is recorded on the span, whose status is then ERROR."""
    if _otel_trace is None or _W3C is None:
        yield
        return
    traceparent = traceparent_of(task)
    parent = None
    if traceparent:
        carrier = {"traceparent": traceparent}
        if tracestate_of(task):
            carrier["tracestate"] = tracestate_of(task)
        parent = _W3C().extract(carrier)
    attributes: Dict[str, Any] = {
        "messaging.system": "baton",
        "messaging.operation.type": "process",
        "messaging.destination.name": task.queue,
        "messaging.message.id": task.id,
        "baton.task.attempt": task.attempt,
    }
    if task.type:
        attributes["baton.task.type"] = task.type
    tracer = _otel_trace.get_tracer("baton")
    with tracer.start_as_current_span(
        f"baton.process {task.queue}", context=parent, kind=_otel_trace.SpanKind.CONSUMER, attributes=attributes
    ):
        yield
