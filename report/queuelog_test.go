package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// qlScript builds a log: each step is seconds after the start, a ref and
// a payload.
type qlScript struct {
	base   time.Time
	events []store.Event
}

func (s *qlScript) at(sec int, ref event.Ref, p event.Payload) {
	e := event.New(s.base.Add(time.Duration(sec)*time.Second), ref, p)
	e.Seq = int64(len(s.events) + 1)
	s.events = append(s.events, e)
}

func call(id, queue, agent string) event.Ref {
	return event.Ref{Call: id, Interaction: id, Queue: queue, Agent: agent}
}

func agentRef(agent, queue string) event.Ref { return event.Ref{Agent: agent, Queue: queue} }

func stateChange(from, to, reason, cause string) event.AgentState {
	return event.AgentState{From: from, To: to, Reason: reason, Cause: cause, Actor: event.System()}
}

// TestQueueLog: a morning of two queues and two agents, every kind that
// has a queue_log line, checked line by line against what Asterisk would
// have written for it.
func TestQueueLog(t *testing.T) {
	s := &qlScript{base: time.Unix(1800000000, 0)}
	s.at(0, event.Ref{}, event.ServerStarted{Version: "1"})
	s.at(1, agentRef("1001", "sales"), event.AgentLoggedIn{Actor: event.Phone("1001")})
	s.at(1, agentRef("1001", "support"), event.AgentLoggedIn{Actor: event.Phone("1001")})
	s.at(1, agentRef("1001", ""), stateChange("logged-out", "ready", "", "login"))
	s.at(2, agentRef("1002", "sales"), event.AgentLoggedIn{Actor: event.Phone("1002")})
	s.at(2, agentRef("1002", ""), stateChange("logged-out", "ready", "", "login"))
	// Three callers in sales: positions 1, 2, 3.
	s.at(10, call("c1", "sales", ""), event.CallerJoined{Caller: "+4930111"})
	s.at(12, call("c2", "sales", ""), event.CallerJoined{Caller: "+4930222"})
	s.at(13, call("c3", "sales", ""), event.CallerJoined{Caller: "+4930333"})
	s.at(13, call("c3", "sales", ""), event.CallStep{Plan: "main", Node: "q", Type: "queue"}) // no line
	// c1 rings 1001 for 6 s unanswered, then 1002, who answers after 4 s.
	s.at(14, call("c1", "sales", "1001"), event.CallerOffered{})
	s.at(20, call("c1", "sales", "1001"), event.AgentMissed{Misses: 1, Cause: "no-answer"})
	s.at(21, call("c1", "sales", "1002"), event.CallerOffered{})
	s.at(25, call("c1", "sales", "1002"), event.AgentAnswered{WaitedMS: 15400})
	// c2, now first in line, hangs up; c4 presses * in support; c3 asks
	// for a callback.
	s.at(30, call("c2", "sales", ""), event.CallerAbandoned{WaitedMS: 18000})
	s.at(40, call("c4", "support", ""), event.CallerJoined{Caller: "Anon|ymous"})
	s.at(41, call("c4", "support", ""), event.CallerExited{WaitedMS: 1500})
	s.at(50, call("c3", "sales", ""), event.CallbackRequested{Request: 7, Number: "+4930333", WaitedMS: 37000})
	s.at(60, call("c1", "sales", "1002"), event.CallEnded{EndedBy: "caller", TalkMS: 35000})
	// 1001 pauses: in each of its queues, with the reason.
	s.at(61, agentRef("1001", ""), stateChange("ready", "paused", "Lunch|break", "pause"))
	// c5 is answered in sales and blind-transferred to support, where it
	// times out.
	s.at(62, call("c5", "sales", ""), event.CallerJoined{Caller: "+4930555"})
	s.at(63, call("c5", "sales", "1002"), event.CallerOffered{})
	s.at(65, call("c5", "sales", "1002"), event.AgentAnswered{WaitedMS: 3000})
	s.at(70, call("c5", "sales", "1002"), event.CallTransferred{To: "2000", Target: "queue", ToQueue: "support"})
	s.at(71, call("c5", "sales", "1002"), event.CallEnded{EndedBy: "agent", TalkMS: 6000})
	s.at(71, call("c5", "support", ""), event.CallerJoined{Caller: "+4930555"})
	s.at(80, call("c5", "support", ""), event.CallerTimedOut{WaitedMS: 9000})
	s.at(85, call("c6", "sales", ""), event.CallerJoined{Caller: ""})
	s.at(86, call("c6", "sales", ""), event.CallerStopped{WaitedMS: 1000})
	// The callback's own life has no queue_log lines.
	s.at(90, event.Ref{Call: "callback-7", Interaction: "c3", Queue: "sales", Agent: "1002"}, event.CallerOffered{Callback: true})
	s.at(91, event.Ref{Call: "callback-7", Interaction: "c3", Queue: "sales", Agent: "1002"}, event.AgentMissed{Misses: 1, Cause: "busy"})
	s.at(95, agentRef("1001", ""), stateChange("paused", "ready", "", "ready"))
	s.at(96, call("c8", "sales", ""), event.CallerJoined{Caller: "+4930888"})
	s.at(97, call("c8", "sales", "1001"), event.CallerOffered{})
	s.at(100, call("c8", "sales", "1001"), event.AgentAnswered{WaitedMS: 4000})
	s.at(120, call("c8", "sales", "1001"), event.CallEnded{EndedBy: "agent", TalkMS: 20000})
	s.at(130, agentRef("1002", "sales"), event.AgentLoggedOut{Actor: event.Phone("1002")})
	s.at(131, agentRef("1001", ""), stateChange("ready", "paused", "", "pause"))
	s.at(140, agentRef("1001", "billing"), event.AgentLoggedIn{Actor: event.User("sue", "supervisor"), Unassigned: true})
	// A row from before typed events is left out.
	s.events = append(s.events, store.Event{Seq: 99, At: s.base.Add(145 * time.Second), Type: "caller.joined", CallID: "old", Queue: "sales", Data: []byte(`{"caller":"1"}`)})
	s.at(150, event.Ref{}, event.ServerStarted{Version: "1"})
	s.at(151, agentRef("1001", "sales"), event.AgentLoggedIn{Actor: event.System()})
	s.at(151, agentRef("1001", ""), stateChange("logged-out", "paused", "Lunch", "restored"))

	want := `1800000000|NONE|NONE|NONE|QUEUESTART|
1800000001|NONE|sales|Agent/1001|ADDMEMBER|
1800000001|NONE|support|Agent/1001|ADDMEMBER|
1800000002|NONE|sales|Agent/1002|ADDMEMBER|
1800000010|c1|sales|NONE|ENTERQUEUE||+4930111|1
1800000012|c2|sales|NONE|ENTERQUEUE||+4930222|2
1800000013|c3|sales|NONE|ENTERQUEUE||+4930333|3
1800000020|c1|sales|Agent/1001|RINGNOANSWER|6000
1800000025|c1|sales|Agent/1002|CONNECT|15||4
1800000030|c2|sales|NONE|ABANDON|1|2|18
1800000040|c4|support|NONE|ENTERQUEUE||Anon_ymous|1
1800000041|c4|support|NONE|EXITWITHKEY|*|1|1|1
1800000050|c3|sales|NONE|EXITWITHKEY|#|1|3|37
1800000060|c1|sales|Agent/1002|COMPLETECALLER|15|35|1
1800000061|NONE|NONE|Agent/1001|PAUSEALL|
1800000061|NONE|sales|Agent/1001|PAUSE|Lunch_break
1800000061|NONE|support|Agent/1001|PAUSE|Lunch_break
1800000062|c5|sales|NONE|ENTERQUEUE||+4930555|1
1800000065|c5|sales|Agent/1002|CONNECT|3||2
1800000070|c5|sales|Agent/1002|BLINDTRANSFER|2000|queue|3|5|1
1800000071|c5|support|NONE|ENTERQUEUE||+4930555|1
1800000080|c5|support|NONE|EXITWITHTIMEOUT|1|1|9
1800000085|c6|sales|NONE|ENTERQUEUE|||1
1800000086|c6|sales|NONE|ABANDON|1|1|1
1800000095|NONE|NONE|Agent/1001|UNPAUSEALL|
1800000095|NONE|sales|Agent/1001|UNPAUSE|
1800000095|NONE|support|Agent/1001|UNPAUSE|
1800000096|c8|sales|NONE|ENTERQUEUE||+4930888|1
1800000100|c8|sales|Agent/1001|CONNECT|4||3
1800000120|c8|sales|Agent/1001|COMPLETEAGENT|4|20|1
1800000130|NONE|sales|Agent/1002|REMOVEMEMBER|
1800000131|NONE|NONE|Agent/1001|PAUSEALL|
1800000131|NONE|sales|Agent/1001|PAUSE|
1800000131|NONE|support|Agent/1001|PAUSE|
1800000140|NONE|billing|Agent/1001|ADDMEMBER|PAUSED
1800000150|NONE|NONE|NONE|QUEUESTART|
1800000151|NONE|sales|Agent/1001|ADDMEMBER|
1800000151|NONE|NONE|Agent/1001|PAUSEALL|
1800000151|NONE|sales|Agent/1001|PAUSE|Lunch
`
	var b bytes.Buffer
	if err := WriteQueueLog(&b, s.events); err != nil {
		t.Fatal(err)
	}
	got, wantLines := strings.Split(b.String(), "\n"), strings.Split(want, "\n")
	for i := range max(len(got), len(wantLines)) {
		g, w := "", ""
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("line %d:\n got  %q\n want %q", i+1, g, w)
		}
	}
}

// TestQueueLogUnknownCaller: events of a caller or an agent seen first
// in the middle of its life still make lines, with position 0 where none
// is known.
func TestQueueLogUnknownCaller(t *testing.T) {
	s := &qlScript{base: time.Unix(1800000000, 0)}
	s.at(5, call("c9", "sales", "1001"), event.AgentAnswered{WaitedMS: 61000})
	s.at(9, call("c9", "sales", "1001"), event.CallEnded{EndedBy: "server", TalkMS: 4000})
	s.at(10, call("c10", "sales", ""), event.CallerAbandoned{WaitedMS: 2000})
	// 1003 logged in before: its queues are unknown, PAUSEALL says it
	// paused. 1004 leaves its queue and then is in none.
	s.at(11, agentRef("1003", ""), stateChange("ready", "paused", "Lunch", "pause"))
	s.at(12, agentRef("1004", "sales"), event.AgentLoggedOut{Actor: event.Phone("1004")})
	s.at(13, agentRef("1004", ""), stateChange("ready", "paused", "", "pause"))
	var b bytes.Buffer
	if err := WriteQueueLog(&b, s.events); err != nil {
		t.Fatal(err)
	}
	want := "1800000005|c9|sales|Agent/1001|CONNECT|61||0\n" +
		"1800000009|c9|sales|Agent/1001|COMPLETEAGENT|61|4|0\n" +
		"1800000010|c10|sales|NONE|ABANDON|0|0|2\n" +
		"1800000011|NONE|NONE|Agent/1003|PAUSEALL|\n" +
		"1800000012|NONE|sales|Agent/1004|REMOVEMEMBER|\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestQueueLogBadEvent: a typed event that cannot be read is a bug the
// export reports, not a line silently lost.
func TestQueueLogBadEvent(t *testing.T) {
	bad := store.Event{Seq: 3, Type: "caller.joined", Version: event.Version, Data: []byte(`{"caller":5}`)}
	if err := WriteQueueLog(&bytes.Buffer{}, []store.Event{bad}); err == nil || !strings.Contains(err.Error(), "event 3") {
		t.Errorf("got %v", err)
	}
}

// TestQueueLogSelect: narrowed to a queue, an agent's pause is kept (its
// event names no queue) and written in that queue only; narrowed to an
// agent, the calls it took keep their ENTERQUEUE.
func TestQueueLogSelect(t *testing.T) {
	s := &qlScript{base: time.Unix(1800000000, 0)}
	s.at(0, event.Ref{}, event.ServerStarted{Version: "1"})
	s.at(1, agentRef("1001", "sales"), event.AgentLoggedIn{Actor: event.Phone("1001")})
	s.at(1, agentRef("1001", "support"), event.AgentLoggedIn{Actor: event.Phone("1001")})
	s.at(1, agentRef("1002", "support"), event.AgentLoggedIn{Actor: event.Phone("1002")})
	s.at(2, call("c1", "sales", ""), event.CallerJoined{Caller: "1"})
	s.at(3, call("c1", "sales", "1001"), event.AgentAnswered{WaitedMS: 1000})
	s.at(4, call("c2", "support", ""), event.CallerJoined{Caller: "2"})
	s.at(5, call("c2", "support", "1002"), event.AgentAnswered{WaitedMS: 1000})
	s.at(6, agentRef("1001", ""), stateChange("ready", "paused", "Lunch", "pause"))
	s.at(7, agentRef("1002", ""), stateChange("ready", "paused", "Lunch", "pause"))

	text := func(f Filter) string {
		var b bytes.Buffer
		if err := WriteQueueLog(&b, QueueLogSelect(s.events, f)); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got := text(Filter{}); strings.Count(got, "\n") != 13 {
		t.Errorf("no filter:\n%s", got)
	}
	want := "1800000000|NONE|NONE|NONE|QUEUESTART|\n" +
		"1800000001|NONE|sales|Agent/1001|ADDMEMBER|\n" +
		"1800000002|c1|sales|NONE|ENTERQUEUE||1|1\n" +
		"1800000003|c1|sales|Agent/1001|CONNECT|1||0\n" +
		"1800000006|NONE|NONE|Agent/1001|PAUSEALL|\n" +
		"1800000006|NONE|sales|Agent/1001|PAUSE|Lunch\n"
	if got := text(Filter{Queues: []string{"sales"}}); got != want {
		t.Errorf("queue sales:\n%s\nwant\n%s", got, want)
	}
	want = "1800000000|NONE|NONE|NONE|QUEUESTART|\n" +
		"1800000001|NONE|support|Agent/1002|ADDMEMBER|\n" +
		"1800000004|c2|support|NONE|ENTERQUEUE||2|1\n" +
		"1800000005|c2|support|Agent/1002|CONNECT|1||0\n" +
		"1800000007|NONE|NONE|Agent/1002|PAUSEALL|\n" +
		"1800000007|NONE|support|Agent/1002|PAUSE|Lunch\n"
	if got := text(Filter{Agents: []string{"1002"}}); got != want {
		t.Errorf("agent 1002:\n%s\nwant\n%s", got, want)
	}
}
