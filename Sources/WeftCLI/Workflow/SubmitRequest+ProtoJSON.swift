public import WeftMessages

// The messages of a workflow file (`SubmitWorkflowRequest` and what it holds), both ways: files are read with
// these, and `weft submit --dry-run` writes the request it would send.

extension Weft_V1_SubmitWorkflowRequest: ProtoJSONDecodable, ProtoJSONEncodable {
    public init(protoJSON reader: inout ProtoJSONReader) throws {
        self.init()
        try reader.read("description", into: &description)
        try reader.read("requirements", into: &requirements)
        try reader.read("constraints", into: &constraints)
        try reader.read("tasks", into: &tasks)
        try reader.read("options", into: &options)
        try reader.read("request_id", into: &requestID)
    }

    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("description", description)
        writer.write("requirements", requirements)
        writer.write("constraints", constraints)
        writer.write("tasks", tasks)
        writer.write("options", options)
        writer.write("request_id", requestID)
    }
}

extension Weft_V1_TaskSpec: ProtoJSONDecodable, ProtoJSONEncodable {
    public init(protoJSON reader: inout ProtoJSONReader) throws {
        self.init()
        try reader.read("id", into: &id)
        try reader.read("type", into: &type)
        try reader.read("complexity", into: &complexity)
        try reader.read("description", into: &description)
        try reader.read("depends_on", into: &dependsOn)
        try reader.read("executor", into: &executor)
        if let (value, path) = try reader.member("input"), case .object = value {
            throw ProtoJSONError(
                path: path,
                message: "expected a string holding JSON text, got an object; write it as a string, "
                    + "e.g. \"{\\\"duration_ms\\\": 400}\"")
        }
        try reader.read("input", into: &input)
        try reader.read("timeouts", into: &timeouts)
        try reader.read("retry_policy", into: &retryPolicy)
        try reader.read("cacheable", into: &cacheable)
    }

    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("id", id)
        writer.write("type", type)
        writer.write("complexity", complexity)
        writer.write("description", description)
        writer.write("depends_on", dependsOn)
        writer.write("executor", executor)
        writer.write("input", input)
        writer.write("timeouts", timeouts)
        writer.write("retry_policy", retryPolicy)
        writer.write("cacheable", cacheable)
    }
}

extension Weft_V1_ExecutionOptions: ProtoJSONDecodable, ProtoJSONEncodable {
    public init(protoJSON reader: inout ProtoJSONReader) throws {
        self.init()
        try reader.read("max_parallel", into: &maxParallel)
        try reader.read("mode", into: &mode)
        try reader.read("failure_policy", into: &failurePolicy)
        try reader.read("retry_policy", into: &retryPolicy)
        try reader.read("timeouts", into: &timeouts)
        try reader.read("cache", into: &cache)
        try reader.read("stream_results", into: &streamResults)
    }

    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("max_parallel", maxParallel)
        writer.write("mode", mode)
        writer.write("failure_policy", failurePolicy)
        writer.write("retry_policy", retryPolicy)
        writer.write("timeouts", timeouts)
        writer.write("cache", cache)
        writer.write("stream_results", streamResults)
    }
}

extension Weft_V1_RetryPolicy: ProtoJSONDecodable, ProtoJSONEncodable {
    public init(protoJSON reader: inout ProtoJSONReader) throws {
        self.init()
        try reader.read("max_attempts", into: &maxAttempts)
        try reader.read("initial_interval_ms", into: &initialIntervalMs)
        try reader.read("backoff_coefficient", into: &backoffCoefficient)
        try reader.read("max_interval_ms", into: &maxIntervalMs)
        try reader.read("non_retryable_error_types", into: &nonRetryableErrorTypes)
    }

    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("max_attempts", maxAttempts)
        writer.write("initial_interval_ms", initialIntervalMs)
        writer.write("backoff_coefficient", backoffCoefficient)
        writer.write("max_interval_ms", maxIntervalMs)
        writer.write("non_retryable_error_types", nonRetryableErrorTypes)
    }
}

extension Weft_V1_Timeouts: ProtoJSONDecodable, ProtoJSONEncodable {
    public init(protoJSON reader: inout ProtoJSONReader) throws {
        self.init()
        try reader.read("start_to_close_ms", into: &startToCloseMs)
        try reader.read("heartbeat_ms", into: &heartbeatMs)
        try reader.read("schedule_to_start_ms", into: &scheduleToStartMs)
    }

    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("start_to_close_ms", startToCloseMs)
        writer.write("heartbeat_ms", heartbeatMs)
        writer.write("schedule_to_start_ms", scheduleToStartMs)
    }
}

extension Weft_V1_CacheOptions: ProtoJSONDecodable, ProtoJSONEncodable {
    public init(protoJSON reader: inout ProtoJSONReader) throws {
        self.init()
        try reader.read("disabled", into: &disabled)
        try reader.read("reuse_threshold", into: &reuseThreshold)
        try reader.read("similarity_threshold", into: &similarityThreshold)
    }

    public func writeProtoJSON(to writer: inout ProtoJSONWriter) {
        writer.write("disabled", disabled)
        writer.write("reuse_threshold", reuseThreshold)
        writer.write("similarity_threshold", similarityThreshold)
    }
}
