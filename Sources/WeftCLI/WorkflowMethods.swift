public import WeftRPC

/// The methods of `weft.v1.WorkflowService` (proto/weft/v1/workflow.proto).
public enum WorkflowMethods {
    /// The fully qualified service name.
    public static let service = "weft.v1.WorkflowService"
    /// Validates and accepts a workflow; returns its id and plan.
    public static let submit = MethodDescriptor(service: service, method: "SubmitWorkflow", kind: .unary)
    /// Streams a workflow's events from `after_sequence` on.
    public static let watch = MethodDescriptor(service: service, method: "WatchWorkflow", kind: .serverStreaming)
    /// A snapshot of a workflow.
    public static let get = MethodDescriptor(service: service, method: "GetWorkflow", kind: .unary)
    /// Cancels a workflow.
    public static let cancel = MethodDescriptor(service: service, method: "CancelWorkflow", kind: .unary)
    /// Lists workflows, newest first, in pages.
    public static let list = MethodDescriptor(service: service, method: "ListWorkflows", kind: .unary)
}
