from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EchoStatus(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class SimpleRequest(_message.Message):
    __slots__ = ("payload", "response_size", "response_status", "sleep_ms")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_SIZE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_STATUS_FIELD_NUMBER: _ClassVar[int]
    SLEEP_MS_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    response_size: int
    response_status: EchoStatus
    sleep_ms: int
    def __init__(self, payload: _Optional[bytes] = ..., response_size: _Optional[int] = ..., response_status: _Optional[_Union[EchoStatus, _Mapping]] = ..., sleep_ms: _Optional[int] = ...) -> None: ...

class SimpleResponse(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    def __init__(self, payload: _Optional[bytes] = ...) -> None: ...

class StreamingOutputRequest(_message.Message):
    __slots__ = ("count", "size", "interval_us", "response_status")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_US_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_STATUS_FIELD_NUMBER: _ClassVar[int]
    count: int
    size: int
    interval_us: int
    response_status: EchoStatus
    def __init__(self, count: _Optional[int] = ..., size: _Optional[int] = ..., interval_us: _Optional[int] = ..., response_status: _Optional[_Union[EchoStatus, _Mapping]] = ...) -> None: ...

class StreamingInputResponse(_message.Message):
    __slots__ = ("aggregated_payload_size", "message_count")
    AGGREGATED_PAYLOAD_SIZE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    aggregated_payload_size: int
    message_count: int
    def __init__(self, aggregated_payload_size: _Optional[int] = ..., message_count: _Optional[int] = ...) -> None: ...
