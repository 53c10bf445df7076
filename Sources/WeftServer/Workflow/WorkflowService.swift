public import WeftEngine
import WeftMapping
import WeftMessages
public import WeftRPC

/// `weft.v1.WorkflowService` on the workflow engine.
public struct WorkflowService: RPCService {
    public static let name = "weft.v1.WorkflowService"
    public let engine: WorkflowEngine
    /// Refuses submissions past the overload limits; `nil`: every valid submission goes to the engine.
    public let admission: AdmissionControl?

    public init(engine: WorkflowEngine, admission: AdmissionControl? = nil) {
        self.engine = engine
        self.admission = admission
    }

    public var serviceName: String { Self.name }

    public var methods: [(method: String, handler: RPCHandler)] {
        let engine = engine
        let admission = admission
        return [
            ("SubmitWorkflow", .unary { (request: Weft_V1_SubmitWorkflowRequest, _) in
                let spec = try WorkflowMapping.spec(from: request)
                do {
                    let submission = if let admission {
                        try await admission.admit(taskCount: spec.tasks.count) { try await engine.submit(spec) }
                    } else {
                        try await engine.submit(spec)
                    }
                    return Weft_V1_SubmitWorkflowResponse(
                        workflowID: submission.workflowID, plan: WorkflowMapping.plan(submission.plan),
                        deduplicated: submission.deduplicated)
                } catch {
                    throw WorkflowMapping.rpcError(error)
                }
            }),
            ("WatchWorkflow", .serverStreaming {
                (request: Weft_V1_WatchWorkflowRequest, _, responses: RPCWriter<Weft_V1_WorkflowEvent>) in
                guard !request.workflowID.isEmpty else {
                    throw RPCError(code: .invalidArgument, message: "workflow_id is empty")
                }
                do {
                    let events = try await engine.watch(
                        workflowID: request.workflowID, afterSequence: request.afterSequence)
                    for try await event in events {
                        try await responses.write(WorkflowMapping.event(event))
                    }
                } catch let error as RPCError {
                    throw error
                } catch {
                    throw WorkflowMapping.rpcError(error)
                }
            }),
            // In memory the snapshot is at hand (answered on the event loop); with a durable store a workflow another
            // process runs is read from the store.
            ("GetWorkflow", engine.isDurable
                ? .unary { (request: Weft_V1_GetWorkflowRequest, _) in
                    do {
                        return WorkflowMapping.snapshot(try await engine.locateSnapshot(workflowID: request.workflowID))
                    } catch {
                        throw WorkflowMapping.rpcError(error)
                    }
                }
                : .inlineUnary { (request: Weft_V1_GetWorkflowRequest, _) in
                    do {
                        return WorkflowMapping.snapshot(try engine.snapshot(workflowID: request.workflowID))
                    } catch {
                        throw WorkflowMapping.rpcError(error)
                    }
                }),
            ("CancelWorkflow", .unary { (request: Weft_V1_CancelWorkflowRequest, _) in
                do {
                    // Waits (bounded) for the cancellation to take effect, so the answer is usually CANCELLED.
                    let status = try await engine.cancel(
                        workflowID: request.workflowID, reason: request.reason, wait: .seconds(5))
                    return Weft_V1_CancelWorkflowResponse(status: WorkflowMapping.workflowStatus(status))
                } catch {
                    throw WorkflowMapping.rpcError(error)
                }
            }),
            // In memory the listing is at hand (answered on the event loop); with a durable store it is read from the
            // store, so every process lists every workflow.
            ("ListWorkflows", engine.isDurable
                ? .unary { (request: Weft_V1_ListWorkflowsRequest, _) in
                    let (size, status) = try Self.listing(request)
                    do {
                        let (workflows, next) = try await engine.listAnywhere(
                            pageSize: size, pageToken: request.pageToken, status: status)
                        return Weft_V1_ListWorkflowsResponse(
                            workflows: workflows.map(WorkflowMapping.summary), nextPageToken: next)
                    } catch {
                        throw WorkflowMapping.rpcError(error)
                    }
                }
                : .inlineUnary { (request: Weft_V1_ListWorkflowsRequest, _) in
                    let (size, status) = try Self.listing(request)
                    do {
                        let (workflows, next) = try engine.list(
                            pageSize: size, pageToken: request.pageToken, status: status)
                        return Weft_V1_ListWorkflowsResponse(
                            workflows: workflows.map(WorkflowMapping.summary), nextPageToken: next)
                    } catch {
                        throw WorkflowMapping.rpcError(error)
                    }
                }),
        ]
    }

    /// A listing's page size (0: 50) and status filter; INVALID_ARGUMENT for a page size over 1000 or an unknown
    /// status.
    private static func listing(_ request: Weft_V1_ListWorkflowsRequest) throws -> (Int, WorkflowStatus?) {
        guard request.pageSize <= 1000 else {
            throw RPCError(code: .invalidArgument, message: "page_size \(request.pageSize) is more than 1000")
        }
        do {
            return (request.pageSize == 0 ? 50 : Int(request.pageSize), try WorkflowMapping.status(from: request.status))
        } catch let error as RPCError {
            throw error
        } catch {
            throw WorkflowMapping.rpcError(error)
        }
    }
}
