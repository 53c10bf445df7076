public import WeftMessages

extension Weft_V1_Complexity: ProtoJSONEnum {
    public static let protoJSONPrefix = "COMPLEXITY_"
    public static let protoJSONNames = [
        "COMPLEXITY_UNSPECIFIED", "COMPLEXITY_SIMPLE", "COMPLEXITY_MEDIUM", "COMPLEXITY_COMPLEX", "COMPLEXITY_META",
    ]
}

extension Weft_V1_SchedulingMode: ProtoJSONEnum {
    public static let protoJSONPrefix = "SCHEDULING_MODE_"
    public static let protoJSONNames = [
        "SCHEDULING_MODE_UNSPECIFIED", "SCHEDULING_MODE_BATCH", "SCHEDULING_MODE_EAGER",
    ]
}

extension Weft_V1_FailurePolicy: ProtoJSONEnum {
    public static let protoJSONPrefix = "FAILURE_POLICY_"
    public static let protoJSONNames = [
        "FAILURE_POLICY_UNSPECIFIED", "FAILURE_POLICY_CONTINUE", "FAILURE_POLICY_FAIL_FAST",
    ]
}

extension Weft_V1_CacheOutcome: ProtoJSONEnum {
    public static let protoJSONPrefix = "CACHE_OUTCOME_"
    public static let protoJSONNames = [
        "CACHE_OUTCOME_UNSPECIFIED", "CACHE_OUTCOME_MISS", "CACHE_OUTCOME_REUSED", "CACHE_OUTCOME_ADAPTED",
        "CACHE_OUTCOME_BYPASSED",
    ]
}

extension Weft_V1_WorkflowStatus: ProtoJSONEnum {
    public static let protoJSONPrefix = "WORKFLOW_STATUS_"
    public static let protoJSONNames = [
        "WORKFLOW_STATUS_UNSPECIFIED", "WORKFLOW_STATUS_PENDING", "WORKFLOW_STATUS_RUNNING",
        "WORKFLOW_STATUS_COMPLETED", "WORKFLOW_STATUS_FAILED", "WORKFLOW_STATUS_CANCELLED",
    ]
}

extension Weft_V1_TaskStatus: ProtoJSONEnum {
    public static let protoJSONPrefix = "TASK_STATUS_"
    public static let protoJSONNames = [
        "TASK_STATUS_UNSPECIFIED", "TASK_STATUS_PENDING", "TASK_STATUS_READY", "TASK_STATUS_RUNNING",
        "TASK_STATUS_RETRYING", "TASK_STATUS_COMPLETED", "TASK_STATUS_FAILED", "TASK_STATUS_SKIPPED",
        "TASK_STATUS_CANCELLED",
    ]
}
