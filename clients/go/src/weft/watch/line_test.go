package watch

import (
	"testing"

	weftv1 "weft/v1"
)

func TestLineFormatsEachKindLikeTheCLI(t *testing.T) {
	progress := &weftv1.Progress{Completed: 5, Total: 10}
	cases := []struct {
		event *weftv1.WorkflowEvent
		want  string
	}{
		{&weftv1.WorkflowEvent{Sequence: 1, Payload: &weftv1.WorkflowEvent_WorkflowAccepted{
			WorkflowAccepted: &weftv1.WorkflowAccepted{TaskCount: 4, Plan: make([]*weftv1.PlannedBatch, 3)}}},
			"seq=1 workflow_accepted tasks=4 batches=3 progress=-"},
		{&weftv1.WorkflowEvent{Sequence: 2, Progress: progress, Payload: &weftv1.WorkflowEvent_TaskStarted{
			TaskStarted: &weftv1.TaskStarted{TaskId: "login", Attempt: 2, Executor: "queue:llm"}}},
			"seq=2 task_started task=login attempt=2 executor=queue:llm progress=5/10"},
		{&weftv1.WorkflowEvent{Sequence: 3, Progress: progress, Payload: &weftv1.WorkflowEvent_TaskHeartbeat{
			TaskHeartbeat: &weftv1.TaskHeartbeat{TaskId: "login", Attempt: 1, Details: `{"progress":0.5}`}}},
			`seq=3 task_heartbeat task=login attempt=1 details="{\"progress\":0.5}" progress=5/10`},
		{&weftv1.WorkflowEvent{Sequence: 12, Progress: progress, Payload: &weftv1.WorkflowEvent_TaskCompleted{
			TaskCompleted: &weftv1.TaskCompleted{Result: &weftv1.TaskResult{TaskId: "login", Attempt: 1,
				DurationMs: 412, Cache: &weftv1.CacheHit{Outcome: weftv1.CacheOutcome_CACHE_OUTCOME_ADAPTED,
					Similarity: 0.876, SourceTask: "wf-1/login"}}}}},
			"seq=12 task_completed task=login attempt=1 duration=412ms cache=ADAPTED(0.88) source=wf-1/login " +
				"progress=5/10"},
		{&weftv1.WorkflowEvent{Sequence: 13, Payload: &weftv1.WorkflowEvent_TaskFailed{
			TaskFailed: &weftv1.TaskFailed{TaskId: "db", Attempt: 1, Error: "disk full", ErrorType: "IO",
				WillRetry: true, RetryInMs: 200}}},
			`seq=13 task_failed task=db attempt=1 error_type=IO error="disk full" retry_in=200ms progress=-`},
		{&weftv1.WorkflowEvent{Sequence: 14, Payload: &weftv1.WorkflowEvent_TaskFailed{
			TaskFailed: &weftv1.TaskFailed{TaskId: "db", Attempt: 3, Error: "x=1"}}},
			`seq=14 task_failed task=db attempt=3 error="x=1" final=true progress=-`},
		{&weftv1.WorkflowEvent{Sequence: 15, Payload: &weftv1.WorkflowEvent_TaskSkipped{
			TaskSkipped: &weftv1.TaskSkipped{TaskId: "docs"}}},
			`seq=15 task_skipped task=docs reason="" progress=-`},
		{&weftv1.WorkflowEvent{Sequence: 16, Payload: &weftv1.WorkflowEvent_WorkflowCompleted{
			WorkflowCompleted: &weftv1.WorkflowCompleted{DurationMs: 853, TaskTimeMs: 652,
				Cache: &weftv1.CacheSummary{Reused: 1, Missed: 3, TimeSavedMs: 150}}}},
			"seq=16 workflow_completed duration=853ms task_time=652ms reused=1 adapted=0 missed=3 saved=150ms progress=-"},
		{&weftv1.WorkflowEvent{Sequence: 17}, "seq=17 unknown progress=-"},
	}
	for _, c := range cases {
		if got := Line(c.event); got != c.want {
			t.Errorf("Line:\n got %s\nwant %s", got, c.want)
		}
	}
}

func TestOnlyWorkflowEndingEventsAreTerminal(t *testing.T) {
	terminal := []*weftv1.WorkflowEvent{
		{Payload: &weftv1.WorkflowEvent_WorkflowCompleted{WorkflowCompleted: &weftv1.WorkflowCompleted{}}},
		{Payload: &weftv1.WorkflowEvent_WorkflowFailed{WorkflowFailed: &weftv1.WorkflowFailed{}}},
		{Payload: &weftv1.WorkflowEvent_WorkflowCancelled{WorkflowCancelled: &weftv1.WorkflowCancelled{}}},
	}
	for _, ev := range terminal {
		if !IsTerminal(ev) {
			t.Errorf("%s is not terminal", Kind(ev))
		}
	}
	other := []*weftv1.WorkflowEvent{
		{},
		{Payload: &weftv1.WorkflowEvent_TaskFailed{TaskFailed: &weftv1.TaskFailed{}}},
		{Payload: &weftv1.WorkflowEvent_BatchCompleted{BatchCompleted: &weftv1.BatchCompleted{}}},
	}
	for _, ev := range other {
		if IsTerminal(ev) {
			t.Errorf("%s is terminal", Kind(ev))
		}
	}
}
