from weft.v1 import workflow_pb2 as _workflow_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PollActivityRequest(_message.Message):
    __slots__ = ("queue", "worker_id", "identity")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    queue: str
    worker_id: str
    identity: str
    def __init__(self, queue: _Optional[str] = ..., worker_id: _Optional[str] = ..., identity: _Optional[str] = ...) -> None: ...

class ActivityTask(_message.Message):
    __slots__ = ("task_token", "workflow_id", "task", "attempt", "start_to_close_ms", "heartbeat_timeout_ms", "deadline_unix_ms", "heartbeat_details", "reference", "constraints")
    class ConstraintsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_MS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    workflow_id: str
    task: _workflow_pb2.TaskSpec
    attempt: int
    start_to_close_ms: int
    heartbeat_timeout_ms: int
    deadline_unix_ms: int
    heartbeat_details: str
    reference: _workflow_pb2.TaskResult
    constraints: _containers.ScalarMap[str, str]
    def __init__(self, task_token: _Optional[bytes] = ..., workflow_id: _Optional[str] = ..., task: _Optional[_Union[_workflow_pb2.TaskSpec, _Mapping]] = ..., attempt: _Optional[int] = ..., start_to_close_ms: _Optional[int] = ..., heartbeat_timeout_ms: _Optional[int] = ..., deadline_unix_ms: _Optional[int] = ..., heartbeat_details: _Optional[str] = ..., reference: _Optional[_Union[_workflow_pb2.TaskResult, _Mapping]] = ..., constraints: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PollActivityResponse(_message.Message):
    __slots__ = ("activity",)
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    activity: ActivityTask
    def __init__(self, activity: _Optional[_Union[ActivityTask, _Mapping]] = ...) -> None: ...

class RecordHeartbeatRequest(_message.Message):
    __slots__ = ("task_token", "details")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    details: str
    def __init__(self, task_token: _Optional[bytes] = ..., details: _Optional[str] = ...) -> None: ...

class RecordHeartbeatResponse(_message.Message):
    __slots__ = ("cancel_requested",)
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    cancel_requested: bool
    def __init__(self, cancel_requested: _Optional[bool] = ...) -> None: ...

class ActivityFailure(_message.Message):
    __slots__ = ("message", "retryable", "type")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    message: str
    retryable: bool
    type: str
    def __init__(self, message: _Optional[str] = ..., retryable: _Optional[bool] = ..., type: _Optional[str] = ...) -> None: ...

class CompleteActivityRequest(_message.Message):
    __slots__ = ("task_token", "result", "failure")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    result: str
    failure: ActivityFailure
    def __init__(self, task_token: _Optional[bytes] = ..., result: _Optional[str] = ..., failure: _Optional[_Union[ActivityFailure, _Mapping]] = ...) -> None: ...

class CompleteActivityResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
