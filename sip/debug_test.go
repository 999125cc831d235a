package sip_test

import (
	"os"
	"testing"

	sipmsg "github.com/emiago/sipgo/sip"
)

func TestMain(m *testing.M) {
	if os.Getenv("SIP_TRACE") != "" {
		sipmsg.SIPDebug = true
	}
	os.Exit(m.Run())
}
