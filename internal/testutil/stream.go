package testutil

// NewStream makes the phone start a new RTP stream, as phones do after a
// hold, a transfer or a restart of their media: its packets from now on
// carry ssrc, with sequence numbers and timestamps going on from seq and
// ts, wherever those are from the old stream's.
func (p *Phone) NewStream(ssrc uint32, seq uint16, ts uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ssrc, p.seq, p.ts = ssrc, seq, ts
}

// ssrcLocked is the SSRC of the phone's packets.
func (p *Phone) ssrcLocked() uint32 {
	if p.ssrc == 0 {
		return 0x1234
	}
	return p.ssrc
}
