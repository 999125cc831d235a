package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
)

// TestQueueLogServedCallback: the events a served callback writes, in the
// order the distributor writes them (an attempt the customer did not
// answer, then one that was answered), make the lines of a call that
// entered the queue and was connected to the agent: ENTERQUEUE, CONNECT
// with the agent's ring time, COMPLETECALLER or COMPLETEAGENT with the
// talk time. The failed attempt and the missed ring make none.
func TestQueueLogServedCallback(t *testing.T) {
	s := &qlScript{base: time.Unix(1800000000, 0)}
	cb := func(id, agent string) event.Ref {
		return event.Ref{Call: id, Interaction: "c3", Queue: "sales", Agent: agent}
	}
	s.at(0, agentRef("1002", "sales"), event.AgentLoggedIn{Actor: event.Phone("1002")})
	s.at(0, agentRef("1002", ""), stateChange("logged-out", "ready", "", "login"))
	s.at(10, call("c3", "sales", ""), event.CallerJoined{Caller: "+4930333"})
	s.at(40, call("c3", "sales", ""), event.CallbackOffered{AverageWaitMS: 90000, CallsInWindow: 4})
	s.at(45, call("c3", "sales", ""), event.CallbackRequested{Request: 7, Number: "+4930333", WaitedMS: 35000})
	// The agent's phone is busy once, then the customer does not answer.
	s.at(50, cb("callback-7", "1002"), stateChange("ready", "offered", "", "offer"))
	s.at(50, cb("callback-7", "1002"), event.CallerOffered{Callback: true})
	s.at(51, cb("callback-7", "1002"), event.AgentMissed{Misses: 0, Cause: "busy"})
	s.at(51, cb("callback-7", ""), stateChange("offered", "ready", "", "no-answer"))
	s.at(53, cb("callback-7", "1002"), stateChange("ready", "offered", "", "offer"))
	s.at(53, cb("callback-7", "1002"), event.CallerOffered{Callback: true})
	s.at(55, cb("callback-7", ""), stateChange("offered", "on-call", "", "answer"))
	s.at(55, cb("callback-7", "1002"), event.CallbackAgentAnswered{Request: 7, Number: "+4930333"})
	s.at(55, cb("callback-7", "1002"), event.CallbackDialing{Request: 7, Number: "+4930333", Attempt: 1})
	s.at(85, cb("callback-7", "1002"), event.CallbackAttemptFailed{Request: 7, Attempt: 1, Cause: "no-answer", Retry: true})
	s.at(85, cb("callback-7", ""), stateChange("on-call", "ready", "", "callback-failed"))
	// The second attempt reaches the customer, who hangs up after 42 s.
	s.at(200, cb("callback-7", "1002"), stateChange("ready", "offered", "", "offer"))
	s.at(200, cb("callback-7", "1002"), event.CallerOffered{Callback: true})
	s.at(203, cb("callback-7", ""), stateChange("offered", "on-call", "", "answer"))
	s.at(203, cb("callback-7", "1002"), event.CallbackAgentAnswered{Request: 7, Number: "+4930333"})
	s.at(203, cb("callback-7", "1002"), event.CallbackDialing{Request: 7, Number: "+4930333", Attempt: 2})
	s.at(210, cb("callback-7", "1002"), event.CallbackConnected{Request: 7, Number: "+4930333"})
	s.at(252, cb("callback-7", "1002"), event.CallbackCompleted{Request: 7})
	s.at(252, cb("callback-7", "1002"), event.CallEnded{EndedBy: "customer", TalkMS: 42500})
	s.at(252, cb("callback-7", ""), stateChange("on-call", "ready", "", "call-ended"))
	// Another request, whose conversation the agent ends.
	s.at(300, cb("callback-8", "1002"), event.CallerOffered{Callback: true})
	s.at(301, cb("callback-8", "1002"), event.CallbackAgentAnswered{Request: 8, Number: "+4930444"})
	s.at(305, cb("callback-8", "1002"), event.CallbackConnected{Request: 8, Number: "+4930444"})
	s.at(325, cb("callback-8", "1002"), event.CallEnded{EndedBy: "agent", Reason: "BYE", TalkMS: 20000})

	want := `1800000000|NONE|sales|Agent/1002|ADDMEMBER|
1800000010|c3|sales|NONE|ENTERQUEUE||+4930333|1
1800000045|c3|sales|NONE|EXITWITHKEY|#|1|1|35
1800000210|callback-7|sales|NONE|ENTERQUEUE||+4930333|1
1800000210|callback-7|sales|Agent/1002|CONNECT|0||3
1800000252|callback-7|sales|Agent/1002|COMPLETECALLER|0|42|1
1800000305|callback-8|sales|NONE|ENTERQUEUE||+4930444|1
1800000305|callback-8|sales|Agent/1002|CONNECT|0||1
1800000325|callback-8|sales|Agent/1002|COMPLETEAGENT|0|20|1
`
	var b bytes.Buffer
	if err := WriteQueueLog(&b, s.events); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Fatalf("queue_log\n%s\nwant\n%s", b.String(), want)
	}
}
