from google.protobuf import wrappers_pb2 as _wrappers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Complexity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLEXITY_UNSPECIFIED: _ClassVar[Complexity]
    COMPLEXITY_SIMPLE: _ClassVar[Complexity]
    COMPLEXITY_MEDIUM: _ClassVar[Complexity]
    COMPLEXITY_COMPLEX: _ClassVar[Complexity]
    COMPLEXITY_META: _ClassVar[Complexity]

class SchedulingMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHEDULING_MODE_UNSPECIFIED: _ClassVar[SchedulingMode]
    SCHEDULING_MODE_BATCH: _ClassVar[SchedulingMode]
    SCHEDULING_MODE_EAGER: _ClassVar[SchedulingMode]

class FailurePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FAILURE_POLICY_UNSPECIFIED: _ClassVar[FailurePolicy]
    FAILURE_POLICY_CONTINUE: _ClassVar[FailurePolicy]
    FAILURE_POLICY_FAIL_FAST: _ClassVar[FailurePolicy]

class CacheOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CACHE_OUTCOME_UNSPECIFIED: _ClassVar[CacheOutcome]
    CACHE_OUTCOME_MISS: _ClassVar[CacheOutcome]
    CACHE_OUTCOME_REUSED: _ClassVar[CacheOutcome]
    CACHE_OUTCOME_ADAPTED: _ClassVar[CacheOutcome]
    CACHE_OUTCOME_BYPASSED: _ClassVar[CacheOutcome]

class WorkflowStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_STATUS_UNSPECIFIED: _ClassVar[WorkflowStatus]
    WORKFLOW_STATUS_PENDING: _ClassVar[WorkflowStatus]
    WORKFLOW_STATUS_RUNNING: _ClassVar[WorkflowStatus]
    WORKFLOW_STATUS_COMPLETED: _ClassVar[WorkflowStatus]
    WORKFLOW_STATUS_FAILED: _ClassVar[WorkflowStatus]
    WORKFLOW_STATUS_CANCELLED: _ClassVar[WorkflowStatus]

class TaskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATUS_UNSPECIFIED: _ClassVar[TaskStatus]
    TASK_STATUS_PENDING: _ClassVar[TaskStatus]
    TASK_STATUS_READY: _ClassVar[TaskStatus]
    TASK_STATUS_RUNNING: _ClassVar[TaskStatus]
    TASK_STATUS_RETRYING: _ClassVar[TaskStatus]
    TASK_STATUS_COMPLETED: _ClassVar[TaskStatus]
    TASK_STATUS_FAILED: _ClassVar[TaskStatus]
    TASK_STATUS_SKIPPED: _ClassVar[TaskStatus]
    TASK_STATUS_CANCELLED: _ClassVar[TaskStatus]
COMPLEXITY_UNSPECIFIED: Complexity
COMPLEXITY_SIMPLE: Complexity
COMPLEXITY_MEDIUM: Complexity
COMPLEXITY_COMPLEX: Complexity
COMPLEXITY_META: Complexity
SCHEDULING_MODE_UNSPECIFIED: SchedulingMode
SCHEDULING_MODE_BATCH: SchedulingMode
SCHEDULING_MODE_EAGER: SchedulingMode
FAILURE_POLICY_UNSPECIFIED: FailurePolicy
FAILURE_POLICY_CONTINUE: FailurePolicy
FAILURE_POLICY_FAIL_FAST: FailurePolicy
CACHE_OUTCOME_UNSPECIFIED: CacheOutcome
CACHE_OUTCOME_MISS: CacheOutcome
CACHE_OUTCOME_REUSED: CacheOutcome
CACHE_OUTCOME_ADAPTED: CacheOutcome
CACHE_OUTCOME_BYPASSED: CacheOutcome
WORKFLOW_STATUS_UNSPECIFIED: WorkflowStatus
WORKFLOW_STATUS_PENDING: WorkflowStatus
WORKFLOW_STATUS_RUNNING: WorkflowStatus
WORKFLOW_STATUS_COMPLETED: WorkflowStatus
WORKFLOW_STATUS_FAILED: WorkflowStatus
WORKFLOW_STATUS_CANCELLED: WorkflowStatus
TASK_STATUS_UNSPECIFIED: TaskStatus
TASK_STATUS_PENDING: TaskStatus
TASK_STATUS_READY: TaskStatus
TASK_STATUS_RUNNING: TaskStatus
TASK_STATUS_RETRYING: TaskStatus
TASK_STATUS_COMPLETED: TaskStatus
TASK_STATUS_FAILED: TaskStatus
TASK_STATUS_SKIPPED: TaskStatus
TASK_STATUS_CANCELLED: TaskStatus

class RetryPolicy(_message.Message):
    __slots__ = ("max_attempts", "initial_interval_ms", "backoff_coefficient", "max_interval_ms", "non_retryable_error_types")
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    INITIAL_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    MAX_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_ERROR_TYPES_FIELD_NUMBER: _ClassVar[int]
    max_attempts: int
    initial_interval_ms: int
    backoff_coefficient: float
    max_interval_ms: int
    non_retryable_error_types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, max_attempts: _Optional[int] = ..., initial_interval_ms: _Optional[int] = ..., backoff_coefficient: _Optional[float] = ..., max_interval_ms: _Optional[int] = ..., non_retryable_error_types: _Optional[_Iterable[str]] = ...) -> None: ...

class Timeouts(_message.Message):
    __slots__ = ("start_to_close_ms", "heartbeat_ms", "schedule_to_start_ms")
    START_TO_CLOSE_MS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_MS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_MS_FIELD_NUMBER: _ClassVar[int]
    start_to_close_ms: int
    heartbeat_ms: int
    schedule_to_start_ms: int
    def __init__(self, start_to_close_ms: _Optional[int] = ..., heartbeat_ms: _Optional[int] = ..., schedule_to_start_ms: _Optional[int] = ...) -> None: ...

class CacheOptions(_message.Message):
    __slots__ = ("disabled", "reuse_threshold", "similarity_threshold")
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    REUSE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    disabled: bool
    reuse_threshold: _wrappers_pb2.DoubleValue
    similarity_threshold: _wrappers_pb2.DoubleValue
    def __init__(self, disabled: _Optional[bool] = ..., reuse_threshold: _Optional[_Union[_wrappers_pb2.DoubleValue, _Mapping]] = ..., similarity_threshold: _Optional[_Union[_wrappers_pb2.DoubleValue, _Mapping]] = ...) -> None: ...

class ExecutionOptions(_message.Message):
    __slots__ = ("max_parallel", "mode", "failure_policy", "retry_policy", "timeouts", "cache", "stream_results")
    MAX_PARALLEL_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_POLICY_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    TIMEOUTS_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    STREAM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    max_parallel: int
    mode: SchedulingMode
    failure_policy: FailurePolicy
    retry_policy: RetryPolicy
    timeouts: Timeouts
    cache: CacheOptions
    stream_results: _wrappers_pb2.BoolValue
    def __init__(self, max_parallel: _Optional[int] = ..., mode: _Optional[_Union[SchedulingMode, str]] = ..., failure_policy: _Optional[_Union[FailurePolicy, str]] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., timeouts: _Optional[_Union[Timeouts, _Mapping]] = ..., cache: _Optional[_Union[CacheOptions, _Mapping]] = ..., stream_results: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ...) -> None: ...

class TaskSpec(_message.Message):
    __slots__ = ("id", "type", "complexity", "description", "depends_on", "executor", "input", "timeouts", "retry_policy", "cacheable")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUTS_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    CACHEABLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    complexity: Complexity
    description: str
    depends_on: _containers.RepeatedScalarFieldContainer[str]
    executor: str
    input: str
    timeouts: Timeouts
    retry_policy: RetryPolicy
    cacheable: _wrappers_pb2.BoolValue
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., complexity: _Optional[_Union[Complexity, str]] = ..., description: _Optional[str] = ..., depends_on: _Optional[_Iterable[str]] = ..., executor: _Optional[str] = ..., input: _Optional[str] = ..., timeouts: _Optional[_Union[Timeouts, _Mapping]] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., cacheable: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ...) -> None: ...

class SubmitWorkflowRequest(_message.Message):
    __slots__ = ("description", "requirements", "constraints", "tasks", "options", "request_id")
    class ConstraintsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    description: str
    requirements: str
    constraints: _containers.ScalarMap[str, str]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskSpec]
    options: ExecutionOptions
    request_id: str
    def __init__(self, description: _Optional[str] = ..., requirements: _Optional[str] = ..., constraints: _Optional[_Mapping[str, str]] = ..., tasks: _Optional[_Iterable[_Union[TaskSpec, _Mapping]]] = ..., options: _Optional[_Union[ExecutionOptions, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PlannedTask(_message.Message):
    __slots__ = ("task_id", "priority")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    priority: int
    def __init__(self, task_id: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class PlannedBatch(_message.Message):
    __slots__ = ("index", "tasks")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    index: int
    tasks: _containers.RepeatedCompositeFieldContainer[PlannedTask]
    def __init__(self, index: _Optional[int] = ..., tasks: _Optional[_Iterable[_Union[PlannedTask, _Mapping]]] = ...) -> None: ...

class SubmitWorkflowResponse(_message.Message):
    __slots__ = ("workflow_id", "plan", "deduplicated")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    plan: _containers.RepeatedCompositeFieldContainer[PlannedBatch]
    deduplicated: bool
    def __init__(self, workflow_id: _Optional[str] = ..., plan: _Optional[_Iterable[_Union[PlannedBatch, _Mapping]]] = ..., deduplicated: _Optional[bool] = ...) -> None: ...

class WatchWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "after_sequence")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    after_sequence: int
    def __init__(self, workflow_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("completed", "total", "running")
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    completed: int
    total: int
    running: int
    def __init__(self, completed: _Optional[int] = ..., total: _Optional[int] = ..., running: _Optional[int] = ...) -> None: ...

class CacheHit(_message.Message):
    __slots__ = ("outcome", "similarity", "source_task")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TASK_FIELD_NUMBER: _ClassVar[int]
    outcome: CacheOutcome
    similarity: float
    source_task: str
    def __init__(self, outcome: _Optional[_Union[CacheOutcome, str]] = ..., similarity: _Optional[float] = ..., source_task: _Optional[str] = ...) -> None: ...

class TaskResult(_message.Message):
    __slots__ = ("task_id", "output", "cache", "attempt", "duration_ms")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    output: str
    cache: CacheHit
    attempt: int
    duration_ms: int
    def __init__(self, task_id: _Optional[str] = ..., output: _Optional[str] = ..., cache: _Optional[_Union[CacheHit, _Mapping]] = ..., attempt: _Optional[int] = ..., duration_ms: _Optional[int] = ...) -> None: ...

class WorkflowAccepted(_message.Message):
    __slots__ = ("plan", "task_count")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    TASK_COUNT_FIELD_NUMBER: _ClassVar[int]
    plan: _containers.RepeatedCompositeFieldContainer[PlannedBatch]
    task_count: int
    def __init__(self, plan: _Optional[_Iterable[_Union[PlannedBatch, _Mapping]]] = ..., task_count: _Optional[int] = ...) -> None: ...

class BatchStarted(_message.Message):
    __slots__ = ("index", "task_ids")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    index: int
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, index: _Optional[int] = ..., task_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskStarted(_message.Message):
    __slots__ = ("task_id", "attempt", "executor")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    executor: str
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., executor: _Optional[str] = ...) -> None: ...

class TaskHeartbeat(_message.Message):
    __slots__ = ("task_id", "attempt", "details")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    details: str
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., details: _Optional[str] = ...) -> None: ...

class TaskCompleted(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: TaskResult
    def __init__(self, result: _Optional[_Union[TaskResult, _Mapping]] = ...) -> None: ...

class TaskFailed(_message.Message):
    __slots__ = ("task_id", "attempt", "error", "error_type", "will_retry", "retry_in_ms")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    WILL_RETRY_FIELD_NUMBER: _ClassVar[int]
    RETRY_IN_MS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    attempt: int
    error: str
    error_type: str
    will_retry: bool
    retry_in_ms: int
    def __init__(self, task_id: _Optional[str] = ..., attempt: _Optional[int] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ..., will_retry: _Optional[bool] = ..., retry_in_ms: _Optional[int] = ...) -> None: ...

class TaskSkipped(_message.Message):
    __slots__ = ("task_id", "reason")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    reason: str
    def __init__(self, task_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class BatchCompleted(_message.Message):
    __slots__ = ("index", "results")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    index: int
    results: _containers.RepeatedCompositeFieldContainer[TaskResult]
    def __init__(self, index: _Optional[int] = ..., results: _Optional[_Iterable[_Union[TaskResult, _Mapping]]] = ...) -> None: ...

class CacheSummary(_message.Message):
    __slots__ = ("reused", "adapted", "missed", "time_saved_ms")
    REUSED_FIELD_NUMBER: _ClassVar[int]
    ADAPTED_FIELD_NUMBER: _ClassVar[int]
    MISSED_FIELD_NUMBER: _ClassVar[int]
    TIME_SAVED_MS_FIELD_NUMBER: _ClassVar[int]
    reused: int
    adapted: int
    missed: int
    time_saved_ms: int
    def __init__(self, reused: _Optional[int] = ..., adapted: _Optional[int] = ..., missed: _Optional[int] = ..., time_saved_ms: _Optional[int] = ...) -> None: ...

class WorkflowCompleted(_message.Message):
    __slots__ = ("duration_ms", "task_time_ms", "cache")
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    TASK_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    duration_ms: int
    task_time_ms: int
    cache: CacheSummary
    def __init__(self, duration_ms: _Optional[int] = ..., task_time_ms: _Optional[int] = ..., cache: _Optional[_Union[CacheSummary, _Mapping]] = ...) -> None: ...

class WorkflowFailed(_message.Message):
    __slots__ = ("error", "failed_tasks", "cache")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILED_TASKS_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    error: str
    failed_tasks: _containers.RepeatedScalarFieldContainer[str]
    cache: CacheSummary
    def __init__(self, error: _Optional[str] = ..., failed_tasks: _Optional[_Iterable[str]] = ..., cache: _Optional[_Union[CacheSummary, _Mapping]] = ...) -> None: ...

class WorkflowCancelled(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class WorkflowEvent(_message.Message):
    __slots__ = ("sequence", "workflow_id", "time_unix_ms", "progress", "workflow_accepted", "batch_started", "task_started", "task_heartbeat", "task_completed", "task_failed", "task_skipped", "batch_completed", "workflow_completed", "workflow_failed", "workflow_cancelled")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    BATCH_STARTED_FIELD_NUMBER: _ClassVar[int]
    TASK_STARTED_FIELD_NUMBER: _ClassVar[int]
    TASK_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    TASK_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    TASK_FAILED_FIELD_NUMBER: _ClassVar[int]
    TASK_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    BATCH_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FAILED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    workflow_id: str
    time_unix_ms: int
    progress: Progress
    workflow_accepted: WorkflowAccepted
    batch_started: BatchStarted
    task_started: TaskStarted
    task_heartbeat: TaskHeartbeat
    task_completed: TaskCompleted
    task_failed: TaskFailed
    task_skipped: TaskSkipped
    batch_completed: BatchCompleted
    workflow_completed: WorkflowCompleted
    workflow_failed: WorkflowFailed
    workflow_cancelled: WorkflowCancelled
    def __init__(self, sequence: _Optional[int] = ..., workflow_id: _Optional[str] = ..., time_unix_ms: _Optional[int] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., workflow_accepted: _Optional[_Union[WorkflowAccepted, _Mapping]] = ..., batch_started: _Optional[_Union[BatchStarted, _Mapping]] = ..., task_started: _Optional[_Union[TaskStarted, _Mapping]] = ..., task_heartbeat: _Optional[_Union[TaskHeartbeat, _Mapping]] = ..., task_completed: _Optional[_Union[TaskCompleted, _Mapping]] = ..., task_failed: _Optional[_Union[TaskFailed, _Mapping]] = ..., task_skipped: _Optional[_Union[TaskSkipped, _Mapping]] = ..., batch_completed: _Optional[_Union[BatchCompleted, _Mapping]] = ..., workflow_completed: _Optional[_Union[WorkflowCompleted, _Mapping]] = ..., workflow_failed: _Optional[_Union[WorkflowFailed, _Mapping]] = ..., workflow_cancelled: _Optional[_Union[WorkflowCancelled, _Mapping]] = ...) -> None: ...

class GetWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id",)
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    def __init__(self, workflow_id: _Optional[str] = ...) -> None: ...

class TaskState(_message.Message):
    __slots__ = ("task_id", "status", "attempt", "priority", "output", "error", "cache", "started_unix_ms", "finished_unix_ms")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    STARTED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    status: TaskStatus
    attempt: int
    priority: int
    output: str
    error: str
    cache: CacheHit
    started_unix_ms: int
    finished_unix_ms: int
    def __init__(self, task_id: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., attempt: _Optional[int] = ..., priority: _Optional[int] = ..., output: _Optional[str] = ..., error: _Optional[str] = ..., cache: _Optional[_Union[CacheHit, _Mapping]] = ..., started_unix_ms: _Optional[int] = ..., finished_unix_ms: _Optional[int] = ...) -> None: ...

class GetWorkflowResponse(_message.Message):
    __slots__ = ("workflow_id", "status", "description", "progress", "tasks", "created_unix_ms", "finished_unix_ms", "last_sequence", "cache")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    status: WorkflowStatus
    description: str
    progress: Progress
    tasks: _containers.RepeatedCompositeFieldContainer[TaskState]
    created_unix_ms: int
    finished_unix_ms: int
    last_sequence: int
    cache: CacheSummary
    def __init__(self, workflow_id: _Optional[str] = ..., status: _Optional[_Union[WorkflowStatus, str]] = ..., description: _Optional[str] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[TaskState, _Mapping]]] = ..., created_unix_ms: _Optional[int] = ..., finished_unix_ms: _Optional[int] = ..., last_sequence: _Optional[int] = ..., cache: _Optional[_Union[CacheSummary, _Mapping]] = ...) -> None: ...

class CancelWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "reason")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    reason: str
    def __init__(self, workflow_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelWorkflowResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: WorkflowStatus
    def __init__(self, status: _Optional[_Union[WorkflowStatus, str]] = ...) -> None: ...

class ListWorkflowsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: WorkflowStatus
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[WorkflowStatus, str]] = ...) -> None: ...

class WorkflowSummary(_message.Message):
    __slots__ = ("workflow_id", "status", "description", "progress", "created_unix_ms")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    status: WorkflowStatus
    description: str
    progress: Progress
    created_unix_ms: int
    def __init__(self, workflow_id: _Optional[str] = ..., status: _Optional[_Union[WorkflowStatus, str]] = ..., description: _Optional[str] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., created_unix_ms: _Optional[int] = ...) -> None: ...

class ListWorkflowsResponse(_message.Message):
    __slots__ = ("workflows", "next_page_token")
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workflows: _containers.RepeatedCompositeFieldContainer[WorkflowSummary]
    next_page_token: str
    def __init__(self, workflows: _Optional[_Iterable[_Union[WorkflowSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
