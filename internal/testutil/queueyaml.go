package testutil

import (
	"fmt"
	"strings"
)

// queueYAML is the distributor's tests' configuration: two agents in
// one queue whose strategy and wrap-up each test picks.
const queueYAML = `sip_realm: test.local
numbers: {"100": main}
pause_reasons: [Lunch]
agents:
  "1001": {name: A, password: secret-1001, queues: [support]}
  "1002": {name: B, password: secret-1002, queues: [support]}
queues:
  support: {strategy: STRATEGY, ring_timeout: 5s, max_no_answer: 2, wrap_up: WRAP, end_wrap_up: END, announce_every: 1h}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

// QueueConfig is a configuration of agents 1001 and 1002 in queue
// support, with its strategy, its wrap-up ("0s": none) and whether
// agents may end wrap-up themselves.
func QueueConfig(strategy, wrap string, end bool) string {
	yaml := queueYAML
	if wrap == "0s" {
		yaml = strings.Replace(yaml, " wrap_up: WRAP,", "", 1)
	}
	return strings.NewReplacer("STRATEGY", strategy, "WRAP", wrap, "END", fmt.Sprint(end)).Replace(yaml)
}
