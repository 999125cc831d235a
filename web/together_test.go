package web

import (
	"context"
	"sync"
	"testing"
)

// TestTogetherSharesOneDrawing: pages asking for the same view within a
// redraw share one drawing, made at the log's position then; a page that
// has already shown that position gets a new one; pages woken at once
// wait for one drawing rather than each drawing it.
func TestTogetherSharesOneDrawing(t *testing.T) {
	var tg together
	pos := int64(10)
	draws := 0
	position := func(context.Context) (int64, error) { return pos, nil }
	draw := func() ([]drawnPart, error) {
		draws++
		return []drawnPart{{name: "queue-waiting", lines: "data: <input value=\"mark\">\n"}}, nil
	}
	ctx := context.Background()
	get := func(after int64) int64 {
		t.Helper()
		parts, at, err := tg.get(ctx, "queue\x00support", after, position, draw)
		if err != nil || len(parts) != 1 {
			t.Fatalf("get: %v %v", parts, err)
		}
		return at
	}
	if at := get(0); at != 10 || draws != 1 {
		t.Fatalf("first page: drawn at %d, %d drawings", at, draws)
	}
	pos = 12
	if at := get(3); at != 10 || draws != 1 {
		t.Fatalf("a second page within the redraw: at %d, %d drawings; want the first's", at, draws)
	}
	if at := get(10); at != 12 || draws != 2 {
		t.Fatalf("a page that has shown 10: at %d, %d drawings; want a new one at 12", at, draws)
	}
	if _, _, err := tg.get(ctx, "queue\x00sales", 0, position, draw); err != nil || draws != 3 {
		t.Fatalf("another queue shared a drawing (%d drawings, %v)", draws, err)
	}

	pos = 20
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, at, err := tg.get(ctx, "queue\x00support", 12, position, draw); err != nil || at != 20 {
				t.Errorf("woken page: at %d, %v", at, err)
			}
		}()
	}
	wg.Wait()
	if draws != 4 {
		t.Fatalf("20 pages woken at once made %d drawings in all; want one more", draws)
	}
}
