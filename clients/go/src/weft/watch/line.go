package watch

import (
	"fmt"
	"strconv"
	"strings"

	weftv1 "weft/v1"
)

// Kind is the name of an event's payload as the .proto spells the oneof member, e.g. "task_completed";
// "unknown" for a payload this client does not know (a newer server).
func Kind(ev *weftv1.WorkflowEvent) string {
	switch ev.GetPayload().(type) {
	case *weftv1.WorkflowEvent_WorkflowAccepted:
		return "workflow_accepted"
	case *weftv1.WorkflowEvent_BatchStarted:
		return "batch_started"
	case *weftv1.WorkflowEvent_TaskStarted:
		return "task_started"
	case *weftv1.WorkflowEvent_TaskHeartbeat:
		return "task_heartbeat"
	case *weftv1.WorkflowEvent_TaskCompleted:
		return "task_completed"
	case *weftv1.WorkflowEvent_TaskFailed:
		return "task_failed"
	case *weftv1.WorkflowEvent_TaskSkipped:
		return "task_skipped"
	case *weftv1.WorkflowEvent_BatchCompleted:
		return "batch_completed"
	case *weftv1.WorkflowEvent_WorkflowCompleted:
		return "workflow_completed"
	case *weftv1.WorkflowEvent_WorkflowFailed:
		return "workflow_failed"
	case *weftv1.WorkflowEvent_WorkflowCancelled:
		return "workflow_cancelled"
	default:
		return "unknown"
	}
}

// IsTerminal reports whether ev ends its workflow (completed, failed or cancelled): nothing follows it.
func IsTerminal(ev *weftv1.WorkflowEvent) bool {
	switch ev.GetPayload().(type) {
	case *weftv1.WorkflowEvent_WorkflowCompleted, *weftv1.WorkflowEvent_WorkflowFailed,
		*weftv1.WorkflowEvent_WorkflowCancelled:
		return true
	default:
		return false
	}
}

// Line formats an event as one line of key=value fields, the format of `weft watch`:
//
//	seq=12 task_completed task=login attempt=1 duration=412ms cache=MISS progress=5/10
//
// Values that are empty or hold a space, a quote, '=', '\' or a control character are quoted.
func Line(ev *weftv1.WorkflowEvent) string {
	fields := []string{fmt.Sprintf("seq=%d", ev.GetSequence()), Kind(ev)}
	fields = append(fields, details(ev)...)
	fields = append(fields, pair("progress", progress(ev.GetProgress())))
	return strings.Join(fields, " ")
}

func details(ev *weftv1.WorkflowEvent) []string {
	switch p := ev.GetPayload().(type) {
	case *weftv1.WorkflowEvent_WorkflowAccepted:
		a := p.WorkflowAccepted
		return []string{fmt.Sprintf("tasks=%d", a.GetTaskCount()), fmt.Sprintf("batches=%d", len(a.GetPlan()))}
	case *weftv1.WorkflowEvent_BatchStarted:
		b := p.BatchStarted
		return []string{fmt.Sprintf("batch=%d", b.GetIndex()), pair("tasks", strings.Join(b.GetTaskIds(), ","))}
	case *weftv1.WorkflowEvent_TaskStarted:
		s := p.TaskStarted
		f := []string{pair("task", s.GetTaskId()), fmt.Sprintf("attempt=%d", s.GetAttempt())}
		if s.GetExecutor() != "" {
			f = append(f, pair("executor", s.GetExecutor()))
		}
		return f
	case *weftv1.WorkflowEvent_TaskHeartbeat:
		h := p.TaskHeartbeat
		f := []string{pair("task", h.GetTaskId()), fmt.Sprintf("attempt=%d", h.GetAttempt())}
		if h.GetDetails() != "" {
			f = append(f, pair("details", h.GetDetails()))
		}
		return f
	case *weftv1.WorkflowEvent_TaskCompleted:
		r := p.TaskCompleted.GetResult()
		f := []string{pair("task", r.GetTaskId()), fmt.Sprintf("attempt=%d", r.GetAttempt()),
			fmt.Sprintf("duration=%dms", r.GetDurationMs()), pair("cache", cache(r.GetCache()))}
		if src := r.GetCache().GetSourceTask(); src != "" {
			f = append(f, pair("source", src))
		}
		return f
	case *weftv1.WorkflowEvent_TaskFailed:
		t := p.TaskFailed
		f := []string{pair("task", t.GetTaskId()), fmt.Sprintf("attempt=%d", t.GetAttempt())}
		if t.GetErrorType() != "" {
			f = append(f, pair("error_type", t.GetErrorType()))
		}
		f = append(f, pair("error", t.GetError()))
		if t.GetWillRetry() {
			return append(f, fmt.Sprintf("retry_in=%dms", t.GetRetryInMs()))
		}
		return append(f, "final=true")
	case *weftv1.WorkflowEvent_TaskSkipped:
		return []string{pair("task", p.TaskSkipped.GetTaskId()), pair("reason", p.TaskSkipped.GetReason())}
	case *weftv1.WorkflowEvent_BatchCompleted:
		b := p.BatchCompleted
		return []string{fmt.Sprintf("batch=%d", b.GetIndex()), fmt.Sprintf("results=%d", len(b.GetResults()))}
	case *weftv1.WorkflowEvent_WorkflowCompleted:
		c := p.WorkflowCompleted
		return append([]string{fmt.Sprintf("duration=%dms", c.GetDurationMs()),
			fmt.Sprintf("task_time=%dms", c.GetTaskTimeMs())}, cacheSummary(c.GetCache())...)
	case *weftv1.WorkflowEvent_WorkflowFailed:
		w := p.WorkflowFailed
		return append([]string{pair("error", w.GetError()), pair("failed", strings.Join(w.GetFailedTasks(), ","))},
			cacheSummary(w.GetCache())...)
	case *weftv1.WorkflowEvent_WorkflowCancelled:
		return []string{pair("reason", p.WorkflowCancelled.GetReason())}
	default:
		return nil
	}
}

// cache is a cache outcome as the CLI shows it: MISS, REUSED(0.97), ADAPTED(0.88), BYPASSED; "-" when unset.
func cache(hit *weftv1.CacheHit) string {
	outcome := hit.GetOutcome()
	if outcome == weftv1.CacheOutcome_CACHE_OUTCOME_UNSPECIFIED {
		return "-"
	}
	name := strings.TrimPrefix(outcome.String(), "CACHE_OUTCOME_")
	if outcome == weftv1.CacheOutcome_CACHE_OUTCOME_REUSED || outcome == weftv1.CacheOutcome_CACHE_OUTCOME_ADAPTED {
		return fmt.Sprintf("%s(%.2f)", name, hit.GetSimilarity())
	}
	return name
}

func cacheSummary(s *weftv1.CacheSummary) []string {
	if s == nil {
		return nil
	}
	return []string{fmt.Sprintf("reused=%d", s.GetReused()), fmt.Sprintf("adapted=%d", s.GetAdapted()),
		fmt.Sprintf("missed=%d", s.GetMissed()), fmt.Sprintf("saved=%dms", s.GetTimeSavedMs())}
}

func progress(p *weftv1.Progress) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d", p.GetCompleted(), p.GetTotal())
}

// pair is key=value, with the value quoted when it would not split unambiguously.
func pair(key, value string) string {
	plain := value != ""
	for _, r := range value {
		if r <= 0x20 || r == '"' || r == '=' || r == '\\' || r == 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return key + "=" + value
	}
	return key + "=" + strconv.Quote(value)
}
