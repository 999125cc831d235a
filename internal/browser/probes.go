package browser

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
)

// What a page's layout and markup get wrong, as Chromium draws it: each
// probe lists the faults it finds, for a test to fail on.

// controlRoles are the accessibility roles a user acts on: each needs a
// name a screen reader can say.
var controlRoles = map[string]bool{
	"button": true, "link": true, "textbox": true, "combobox": true, "listbox": true,
	"checkbox": true, "radio": true, "spinbutton": true, "searchbox": true, "switch": true,
	"slider": true, "menuitem": true, "tab": true,
}

// UnnamedControls lists the page's controls that Chromium's accessibility
// tree gives no name: a missing label, an icon button without text.
func (b *Chromium) UnnamedControls(t testing.TB) []string {
	t.Helper()
	tree, err := chromedp.Call(b.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("reading the accessibility tree: %v", err)
	}
	var bad []string
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		var role, name string
		_ = json.Unmarshal(n.Role.Value, &role)
		if !controlRoles[role] {
			continue
		}
		if n.Name != nil {
			_ = json.Unmarshal(n.Name.Value, &name)
		}
		if strings.TrimSpace(name) == "" {
			bad = append(bad, fmt.Sprintf("a %s (DOM node %d)", role, n.BackendDOMNodeID))
		}
	}
	return bad
}

// Overflow is how far the page is wider than the window, in CSS pixels,
// once its style sheet has loaded.
func (b *Chromium) Overflow(t testing.TB) int {
	t.Helper()
	b.WaitJS(t, "the page to finish loading", `document.readyState === "complete"`, 5*time.Second)
	return Get(t, b, "measuring the page's width", chromedp.Evaluate[int](
		`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
}

// PastEdge names the elements reaching past the window's right edge.
func (b *Chromium) PastEdge(t testing.TB) []string {
	t.Helper()
	return Get(t, b, "finding what is too wide", chromedp.Evaluate[[]string](`(function(){
		var w = document.documentElement.clientWidth, out = [];
		document.querySelectorAll("body *").forEach(function(e){
			var r = e.getBoundingClientRect();
			if (r.right > w + 0.5) out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " to " + Math.round(r.right) + " px");
		});
		return out.slice(0, 8);
	})()`))
}

// BrokenWords lists the words of the page's table cells drawn over more
// than one line: a number or a name broken inside ("1:5 4", "Car ol").
// A compound of words joined by a hyphen ("read-only") may break after
// the hyphen, as type does; numbers joined so ("2026-12-07") may not.
// Free text (.text) and file paths (code, or a word with a /) may break
// where they must.
func (b *Chromium) BrokenWords(t testing.TB) []string {
	t.Helper()
	return Get(t, b, "finding broken words", chromedp.Evaluate[[]string](`(function(){
		var out = [];
		document.querySelectorAll("main td, main th").forEach(function(cell){
			var walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), n;
			while ((n = walk.nextNode())) {
				if (n.parentElement.closest(".text, code, .sr-only")) continue;
				var re = /(?:[^\s-]|(?<!\p{L})-|-(?!\p{L}))+-?/gu, m;
				while ((m = re.exec(n.data))) {
					if (m[0].includes("/")) continue;
					var r = document.createRange();
					r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
					var tops = {};
					Array.from(r.getClientRects()).forEach(function(x){ if (x.width > 0) tops[Math.round(x.top)] = true; });
					if (Object.keys(tops).length > 1) out.push(JSON.stringify(m[0]) + " on " + Object.keys(tops).length + " lines");
				}
			}
		});
		return out.slice(0, 10);
	})()`))
}

// OverlappingText lists the pairs of a chart's text elements whose boxes
// overlap: labels drawn over each other.
func (b *Chromium) OverlappingText(t testing.TB) []string {
	t.Helper()
	return Get(t, b, "finding overlapping chart text", chromedp.Evaluate[[]string](`(function(){
		var out = [];
		document.querySelectorAll("main svg").forEach(function(svg){
			var boxes = Array.from(svg.querySelectorAll("text")).map(function(e){ return {t: e.textContent, r: e.getBoundingClientRect()}; })
				.filter(function(b){ return b.r.width > 0; });
			for (var i = 0; i < boxes.length; i++) for (var j = i + 1; j < boxes.length; j++) {
				var a = boxes[i].r, c = boxes[j].r;
				if (a.left < c.right - 0.5 && c.left < a.right - 0.5 && a.top < c.bottom - 0.5 && c.top < a.bottom - 0.5)
					out.push(JSON.stringify(boxes[i].t) + " over " + JSON.stringify(boxes[j].t));
			}
		});
		return out.slice(0, 10);
	})()`))
}

// MisalignedCards lists the cards of a grid whose top is not that of the
// first card in their row. A grid places its items in order, so a row
// starts where an item is no further right than the one before.
func (b *Chromium) MisalignedCards(t testing.TB) []string {
	t.Helper()
	return Get(t, b, "finding misaligned cards", chromedp.Evaluate[[]string](`(function(){
		var out = [];
		document.querySelectorAll("main *").forEach(function(g){
			if (getComputedStyle(g).display !== "grid") return;
			var prev = null, top = 0;
			Array.from(g.children).forEach(function(c){
				if (!c.classList.contains("card")) return;
				var r = c.getBoundingClientRect();
				if (prev === null || r.left <= prev.left) { top = r.top; }
				else if (Math.abs(r.top - top) > 0.5) out.push((c.getAttribute("aria-label") || c.getAttribute("aria-labelledby") || c.tagName) + " " + Math.round(r.top - top) + " px lower than its row");
				prev = r;
			});
		});
		return out.slice(0, 10);
	})()`))
}
