package media

import (
	"encoding/binary"
	"testing"
)

func event(ev uint8, end bool, dur uint16) []byte {
	p := []byte{ev, 10, 0, 0}
	if end {
		p[1] |= 0x80
	}
	binary.BigEndian.PutUint16(p[2:], dur)
	return p
}

func TestDTMFDecoder(t *testing.T) {
	type pkt struct {
		ts      uint32
		payload []byte
	}
	tests := []struct {
		name string
		pkts []pkt
		want string
	}{
		{"one press with redundant ends", []pkt{
			{100, event(11, false, 160)}, {100, event(11, false, 320)}, {100, event(11, true, 480)}, {100, event(11, true, 480)}, {100, event(11, true, 480)},
		}, "#"},
		{"first packet lost", []pkt{{100, event(5, false, 320)}, {100, event(5, true, 480)}}, "5"},
		{"only end packets arrive", []pkt{{100, event(7, true, 800)}, {100, event(7, true, 800)}}, "7"},
		{"same key twice", []pkt{{100, event(1, true, 800)}, {1000, event(1, true, 800)}}, "11"},
		{"two keys", []pkt{{100, event(10, false, 160)}, {100, event(10, true, 320)}, {900, event(0, false, 160)}}, "*0"},
		{"long press continued in a new segment", []pkt{{100, event(2, false, 65535)}, {100 + 65535, event(2, false, 160)}, {100 + 65535, event(2, true, 320)}}, "2"},
		{"retransmission after the next key starts is ignored", []pkt{{100, event(3, true, 480)}, {900, event(4, false, 160)}, {900, event(4, true, 480)}}, "34"},
		{"short and unknown payloads", []pkt{{100, []byte{1, 2}}, {200, event(200, false, 160)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d DTMFDecoder
			var got string
			for _, p := range tt.pkts {
				if k := d.Decode(p.ts, p.payload); k != 0 {
					got += string(k)
				}
			}
			if got != tt.want {
				t.Fatalf("decoded %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDTMFDecoderReset: after a change of stream the next key fires
// whatever its timestamp, and the key in progress does not fire again.
func TestDTMFDecoderReset(t *testing.T) {
	var d DTMFDecoder
	var got string
	decode := func(ts uint32, p []byte) {
		if k := d.Decode(ts, p); k != 0 {
			got += string(k)
		}
	}
	decode(900_000, event(1, false, 160))
	d.Reset()
	decode(900_000, event(1, true, 480)) // the rest of key 1
	decode(500, event(2, true, 480))     // a new stream's first key, at a lower timestamp
	decode(400, event(3, true, 480))     // a late packet, older than key 2: order holds again
	if got != "12" {
		t.Fatalf("decoded %q, want \"12\"", got)
	}
}

func TestDTMFSenderRoundTrip(t *testing.T) {
	for _, key := range "0123456789*#ABCD" {
		ev, _ := DigitEvent(key)
		s := dtmfSender{event: ev, ts: 1234}
		var d DTMFDecoder
		var got []rune
		payload := make([]byte, 4)
		for more := true; more; {
			var first bool
			first, more = s.next(payload)
			_ = first
			if k := d.Decode(s.ts, payload); k != 0 {
				got = append(got, k)
			}
		}
		if len(got) != 1 || got[0] != key {
			t.Fatalf("sent %q, decoded %q", key, string(got))
		}
		if payload[1]&0x80 == 0 {
			t.Fatalf("last packet of %q is not an end packet", key)
		}
	}
}

func FuzzDTMFDecoder(f *testing.F) {
	f.Add([]byte{11, 0x8a, 0x01, 0xe0, 0, 0, 0, 100})
	f.Add([]byte{1, 10, 0, 160, 0, 0, 1, 0, 1, 0x8a, 0, 160, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		var d DTMFDecoder
		var last uint32
		any := false
		// Each 8 bytes: a 4-byte payload and a 4-byte timestamp. However
		// the packets repeat, one event (one timestamp) fires once.
		for len(stream) >= 8 {
			ts := binary.BigEndian.Uint32(stream[4:8])
			if stream[1]&0x40 != 0 { // the reserved bit, which the decoder ignores, stands for a stream change
				d.Reset()
			}
			if k := d.Decode(ts, stream[:4]); k != 0 {
				if any && ts == last {
					t.Fatalf("timestamp %d fired twice in a row", ts)
				}
				last, any = ts, true
			}
			stream = stream[8:]
		}
	})
}
