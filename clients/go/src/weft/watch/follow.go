// Package watch follows a Weft workflow's event stream to its end: in order, without gaps or repeats, resuming
// with after_sequence when the connection breaks. It also formats events as the `weft watch` CLI prints them.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	weftv1 "weft/v1"
)

// Options tune Follow. The zero value means the defaults.
type Options struct {
	// AfterSequence: deliver events after this one (0 = from the beginning).
	AfterSequence uint64
	// MaxResumes: how many times in a row the stream may be resumed without delivering a new event before
	// Follow gives up with the last error (default 5).
	MaxResumes int
	// ResumeDelay: the wait before the first resume; it doubles on each resume in a row, up to 2 s
	// (default 100 ms).
	ResumeDelay time.Duration
}

// ErrSequence is wrapped by the error Follow returns when the server skips or repeats a sequence number.
var ErrSequence = errors.New("event sequence broken")

// Follow streams the workflow's events to onEvent, in sequence order, from opts.AfterSequence+1 up to and
// including the terminal event (workflow_completed, _failed or _cancelled), which it returns.
//
// When the stream breaks with UNAVAILABLE (the connection dropped, the server restarted behind a balancer) or
// ends before the terminal event, Follow calls WatchWorkflow again with after_sequence set to the last event
// delivered and waits for the channel to be ready, so onEvent sees every event exactly once. Any other status
// (NOT_FOUND, PERMISSION_DENIED, ...), ctx ending, an error from onEvent, or a sequence number other than the
// next one ends Follow with that error.
func Follow(ctx context.Context, client weftv1.WorkflowServiceClient, workflowID string, opts Options,
	onEvent func(*weftv1.WorkflowEvent) error) (*weftv1.WorkflowEvent, error) {
	maxResumes := opts.MaxResumes
	if maxResumes <= 0 {
		maxResumes = 5
	}
	delay := opts.ResumeDelay
	if delay <= 0 {
		delay = 100 * time.Millisecond
	}
	last := opts.AfterSequence
	resumes := 0
	for {
		terminal, delivered, err := followOnce(ctx, client, workflowID, &last, resumes > 0, onEvent)
		if h, ok := err.(handlerError); ok {
			return nil, h.err
		}
		if terminal != nil || !resumable(err) {
			return terminal, err
		}
		if delivered {
			resumes = 0
		}
		if resumes >= maxResumes {
			if err == nil {
				err = errors.New("the stream ended before the workflow did")
			}
			return nil, fmt.Errorf("watching %s: gave up after %d resumes: %w", workflowID, resumes, err)
		}
		wait := delay << resumes
		if wait > 2*time.Second || wait <= 0 {
			wait = 2 * time.Second
		}
		resumes++
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// followOnce runs one WatchWorkflow call after *last. It returns the terminal event if it saw it, whether it
// delivered any event, and the error that ended the call (nil when the stream ended OK before a terminal event).
func followOnce(ctx context.Context, client weftv1.WorkflowServiceClient, workflowID string, last *uint64,
	waitForReady bool, onEvent func(*weftv1.WorkflowEvent) error) (*weftv1.WorkflowEvent, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := &weftv1.WatchWorkflowRequest{WorkflowId: workflowID, AfterSequence: *last}
	stream, err := client.WatchWorkflow(ctx, req, grpc.WaitForReady(waitForReady))
	if err != nil {
		return nil, false, err
	}
	delivered := false
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return nil, delivered, nil
		}
		if err != nil {
			return nil, delivered, err
		}
		if ev.GetSequence() != *last+1 {
			return nil, delivered, fmt.Errorf("%w: after event %d of workflow %s came event %d",
				ErrSequence, *last, workflowID, ev.GetSequence())
		}
		*last = ev.GetSequence()
		delivered = true
		if err := onEvent(ev); err != nil {
			return nil, delivered, handlerError{err}
		}
		if IsTerminal(ev) {
			return ev, delivered, nil
		}
	}
}

// handlerError marks onEvent's error, which Follow returns as is and never resumes on, even when it is itself
// a gRPC UNAVAILABLE status.
type handlerError struct{ err error }

func (h handlerError) Error() string { return h.err.Error() }

// resumable: the stream ended OK without the terminal event, or broke with UNAVAILABLE.
func resumable(err error) bool {
	if err == nil {
		return true
	}
	if errors.Is(err, ErrSequence) {
		return false
	}
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.Unavailable
}
