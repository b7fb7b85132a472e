"""Building request messages from keyword arguments, the way the SDK's methods take them.

A bytes field also takes a str (stored as its UTF-8), a Duration field seconds (int or float) or a timedelta, a
Timestamp field a datetime, and a message field a dict of its own fields, converted the same way.
"""
from __future__ import annotations

import json as jsonlib
from datetime import datetime, timedelta
from typing import Any, Dict, Mapping, Optional, Type, TypeVar, Union

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from baton._tracing import with_active_trace

M = TypeVar("M", bound=Message)

Bytes = Union[bytes, bytearray, memoryview, str]
Seconds = Union[int, float, timedelta, Duration]

_MISSING = object()


def to_bytes(value: Bytes) -> bytes:
    """A str as its UTF-8 bytes; bytes as they are."""
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def duration(value: Seconds) -> Duration:
    """A protobuf Duration from seconds or a timedelta."""
    if isinstance(value, Duration):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    out = Duration()
    whole = int(seconds // 1)
    out.seconds = whole
    out.nanos = int(round((seconds - whole) * 1e9))
    if out.nanos >= 1_000_000_000:
        out.seconds += 1
        out.nanos -= 1_000_000_000
    return out


def seconds_of(value: Duration) -> float:
    return float(value.seconds) + value.nanos / 1e9


def timestamp(value: Union[datetime, Timestamp]) -> Timestamp:
    if isinstance(value, Timestamp):
        return value
    out = Timestamp()
    out.FromDatetime(value)
    return out


def _convert(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_BYTES and isinstance(value, (str, bytearray, memoryview)):
        return to_bytes(value)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        full = field.message_type.full_name
        if full == "google.protobuf.Duration" and not isinstance(value, Duration):
            return duration(value)
        if full == "google.protobuf.Timestamp" and isinstance(value, datetime):
            return timestamp(value)
        if isinstance(value, Mapping) and not field.message_type.GetOptions().map_entry:
            cls: Type[Message] = field.message_type._concrete_class
            return build(cls, None, dict(value))
    return value


def build(cls: Type[M], request: Optional[M], fields: Dict[str, Any]) -> M:
    """`request` as given (fields must then be empty), or a `cls` made from `fields`, converted as above."""
    if request is not None:
        if fields:
            raise TypeError(f"give a {cls.__name__} or its fields, not both")
        if not isinstance(request, cls):
            raise TypeError(f"expected a {cls.__name__}, got {type(request).__name__}")
        return request
    by_name = cls.DESCRIPTOR.fields_by_name
    converted: Dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        field = by_name.get(name)
        if field is None:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        if field.label == FieldDescriptor.LABEL_REPEATED and not (
            field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry
        ):
            converted[name] = [_convert(field, item) for item in value]
        else:
            converted[name] = _convert(field, value)
    return cls(**converted)


def with_json(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Moves a `json=` value into `payload` as its UTF-8 JSON; a TypeError when both are given."""
    value = fields.pop("json", _MISSING)
    if value is _MISSING:
        return fields
    if fields.get("payload") is not None:
        raise TypeError("give a task's payload or its json, not both")
    fields["payload"] = jsonlib.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return fields


def submit_fields(item: Union[Mapping[str, Any], Message]) -> Any:
    """One submit given as a dict (with `json=` allowed; the active span's trace context added unless it names one,
    see _tracing) or a SubmitTaskRequest (sent as it is)."""
    if isinstance(item, Message):
        return item
    return with_active_trace(with_json(dict(item)))
