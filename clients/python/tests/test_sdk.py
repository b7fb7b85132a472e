"""Unit tests of the Python SDK's pieces that need no server: /usr/bin/python3 -m unittest discover -s tests"""
import json
import unittest
from datetime import timedelta
from typing import Any, Dict, List, Tuple

import grpc

from baton import BatonError, Context, PermanentError, RetryError, Worker, chain, group
from baton._convert import build, duration, submit_fields, with_json
from baton.v1 import task_pb2
from baton.v1 import task_service_pb2 as ts
from baton.flows import every_task_named
from baton.worker import _Entry


class ConvertTest(unittest.TestCase):
    def test_str_payloads_are_utf8_and_durations_take_seconds_or_timedelta(self) -> None:
        request = build(ts.SubmitTaskRequest, None, {"queue": "q", "payload": "héllo", "delay": 1.5, "lease_duration": timedelta(minutes=2)})
        self.assertEqual(request.payload, "héllo".encode("utf-8"))
        self.assertEqual((request.delay.seconds, request.delay.nanos), (1, 500_000_000))
        self.assertEqual(request.lease_duration.seconds, 120)

    def test_unique_options_take_a_key_and_seconds_or_timedelta(self) -> None:
        window = build(ts.SubmitTaskRequest, None, {"queue": "q", "unique_key": "k", "unique_for": 90})
        self.assertEqual((window.unique_key, window.unique_for.seconds, window.HasField("debounce")), ("k", 90, False))
        debounce = build(ts.SubmitTaskRequest, None, {"queue": "q", "unique_key": "k", "debounce": timedelta(milliseconds=250)})
        self.assertEqual(debounce.debounce.nanos, 250_000_000)
        until = build(ts.SubmitTaskRequest, None, {"queue": "q", "unique_key": "k", "unique_until_finished": True})
        self.assertTrue(until.unique_until_finished)

    def test_nested_messages_take_dicts(self) -> None:
        request = build(ts.SubmitTaskRequest, None, {"queue": "q", "retry_policy": {"initial_backoff": 0.1, "jitter": 0.5}})
        self.assertEqual(request.retry_policy.initial_backoff.nanos, 100_000_000)
        self.assertEqual(request.retry_policy.jitter, 0.5)

    def test_json_is_stored_as_utf8_json_and_excludes_payload(self) -> None:
        fields = with_json({"queue": "q", "json": {"name": "Ada ✓", "n": 1}})
        self.assertEqual(json.loads(fields["payload"].decode("utf-8")), {"name": "Ada ✓", "n": 1})
        with self.assertRaises(TypeError):
            with_json({"payload": b"x", "json": 1})

    def test_unknown_fields_are_refused_naming_them(self) -> None:
        with self.assertRaisesRegex(TypeError, "no field 'nope'"):
            build(ts.SubmitTaskRequest, None, {"nope": 1})

    def test_duration_rounds_nanos_into_seconds(self) -> None:
        self.assertEqual((duration(0.9999999999).seconds, duration(0.9999999999).nanos), (1, 0))


class FlowShapesTest(unittest.TestCase):
    def test_a_chain_is_a_tree_rooted_at_its_last_task_each_task_the_only_child_of_the_next(self) -> None:
        root = chain({"queue": "q", "task_id": "A"}, {"queue": "q", "task_id": "B"}, ts.SubmitTaskRequest(queue="q", task_id="C"))
        self.assertEqual(root.task.task_id, "C")
        self.assertEqual([c.task.task_id for c in root.children], ["B"])
        self.assertEqual([c.task.task_id for c in root.children[0].children], ["A"])
        self.assertEqual(len(root.children[0].children[0].children), 0)
        with self.assertRaises(TypeError):
            chain()

    def test_a_group_is_its_callback_with_the_tasks_as_children_each_named_and_json_encoded(self) -> None:
        given = ts.SubmitTaskRequest(queue="q")
        root = group([{"queue": "q", "json": {"n": 1}}, given], {"queue": "cb"})
        self.assertEqual(root.task.queue, "cb")
        self.assertEqual([c.task.payload for c in root.children], [b'{"n":1}', b""])
        self.assertTrue(every_task_named(root))
        self.assertEqual(given.task_id, "", "the caller's message is left as it was")
        self.assertFalse(every_task_named(ts.FlowNode(task=given)))


class ErrorsTest(unittest.TestCase):
    def test_item_errors_carry_the_status_code(self) -> None:
        error = BatonError.from_item(10, "stale lease")
        self.assertEqual(error.code, grpc.StatusCode.ABORTED)
        self.assertEqual(str(error), "ABORTED: stale lease")
        self.assertEqual(BatonError.from_item(999, "?").code, grpc.StatusCode.UNKNOWN)

    def test_retry_error_takes_seconds_or_timedelta(self) -> None:
        self.assertEqual(RetryError("x", retry_delay=timedelta(milliseconds=100)).retry_delay, 0.1)
        with self.assertRaises(ValueError):
            RetryError("x", retry_delay=-1)


def echo(task: task_pb2.Task, ctx: Context) -> bytes:
    return task.payload


def other(task: task_pb2.Task, ctx: Context) -> bytes:
    return b""


class RoutingTest(unittest.TestCase):
    def task(self, task_type: str) -> task_pb2.Task:
        return task_pb2.Task(queue="q", id="t", metadata={"type": task_type}, payload=b"not json")

    def test_handlers_by_type_then_the_default_then_none(self) -> None:
        by_metadata = lambda task: task.metadata.get("type", "")  # noqa: E731
        worker = Worker("127.0.0.1:1", queues="q", handlers={"echo": echo}, handler=other, task_type=by_metadata)
        self.assertIs(worker._handler_for(self.task("echo")), echo)
        self.assertIs(worker._handler_for(self.task("resize")), other)
        strict = Worker("127.0.0.1:1", queues="q", handlers={"echo": echo}, task_type=by_metadata)
        self.assertIsNone(strict._handler_for(self.task("resize")))

    def test_the_type_is_task_type_by_default(self) -> None:
        worker = Worker("127.0.0.1:1", queues="q", handlers={"echo": echo})
        expected = echo if hasattr(task_pb2.Task(), "type") and "type" in task_pb2.Task.DESCRIPTOR.fields_by_name else None
        task = task_pb2.Task(**({"type": "echo"} if expected else {}))
        self.assertIs(worker._handler_for(task), expected)

    def test_addresses_are_a_list_or_a_comma_separated_string(self) -> None:
        self.assertEqual(Worker("a:1, b:2", queues="q", handler=echo).addresses, ["a:1", "b:2"])
        self.assertEqual(Worker(["a:1"], queues="q", handler=echo).addresses, ["a:1"])

    def test_ctx_json_raises_permanent_error_for_a_payload_that_is_not_json(self) -> None:
        worker = Worker("127.0.0.1:1", queues="q", handler=echo)
        ctx = Context(worker, _Entry(self.task("x"), "token", 0.0, 30.0, 10.0))
        with self.assertRaisesRegex(PermanentError, "not JSON"):
            ctx.json()

    def test_ctx_exposes_the_trace_context_the_task_was_submitted_with(self) -> None:
        worker = Worker("127.0.0.1:1", queues="q", handler=echo)
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        task = task_pb2.Task(queue="q", id="t", trace_context=task_pb2.TraceContext(traceparent=traceparent, tracestate="a=b"))
        ctx = Context(worker, _Entry(task, "token", 0.0, 30.0, 10.0))
        self.assertEqual((ctx.traceparent, ctx.tracestate), (traceparent, "a=b"))
        plain = Context(worker, _Entry(self.task("x"), "token", 0.0, 30.0, 10.0))
        self.assertEqual((plain.traceparent, plain.tracestate), ("", ""))

    def test_submit_takes_a_trace_context_as_a_dict(self) -> None:
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        request = build(ts.SubmitTaskRequest, None, submit_fields({"queue": "q", "trace_context": {"traceparent": traceparent}}))
        self.assertEqual(request.trace_context.traceparent, traceparent)

    def test_heartbeats_are_at_most_a_third_of_the_lease_apart(self) -> None:
        self.assertEqual(Worker("a:1", queues="q", handler=echo, lease_duration=3, heartbeat_interval=5).heartbeat_interval, 1.0)


class TaskLogTest(unittest.TestCase):
    def test_ctx_log_splits_lines_cuts_long_ones_and_reports_a_failed_append_without_raising(self) -> None:
        events: List[Tuple[str, Dict[str, Any]]] = []
        worker = Worker("127.0.0.1:1", queues="q", handler=echo, on_event=lambda name, fields: events.append((name, fields)),
                        log_flush_interval=3600)
        entry = _Entry(task_pb2.Task(queue="q", id="t"), "token", 0.0, 30.0, 10.0)
        ctx = Context(worker, entry)
        ctx.log("resized", 3, "images")
        ctx.log("two\nlines")
        ctx.log("é" * 3000)
        assert entry.log is not None
        pending = [(line.text, line.truncated) for line in entry.log._pending]
        self.assertEqual(pending, [("resized 3 images", False), ("two", False), ("lines", False), ("é" * 2048, True)])
        entry.log.flush()  # the server is unreachable: an error event, never an exception
        self.assertEqual([name for name, _ in events], ["error"])
        self.assertIn("log lines not stored", events[0][1]["message"])
        entry.log.close()
        ctx.log("after close")
        self.assertEqual(entry.log._pending, [])
        worker._outcomes.shutdown()


if __name__ == "__main__":
    unittest.main()
