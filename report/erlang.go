package report

import "math"

// Erlang C staffing: how many agents an hour's traffic needs to meet the
// service-level target, under the model's assumptions (Poisson arrivals,
// exponential handle times, callers who never abandon, an unbounded queue
// and identical agents). docs/metrics.md says how the hour cells feed it.

// ErlangC is the probability that a caller has to wait at all, with n
// agents and a offered erlangs. It is computed from the Erlang B
// recursion, B(k) = a·B(k−1) / (k + a·B(k−1)), which stays within [0, 1]
// at every step, rather than from a^n/n!, which overflows a float64 for n
// in the low hundreds. With n ≤ a the queue grows without bound and every
// caller waits: 1.
func ErlangC(n int, a float64) float64 {
	if a <= 0 || math.IsNaN(a) {
		return 0
	}
	if float64(n) <= a {
		return 1
	}
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return erlangCFromB(n, a, b)
}

// erlangCFromB turns Erlang B into Erlang C: C = n·B / (n − a·(1 − B)).
func erlangCFromB(n int, a, b float64) float64 {
	return float64(n) * b / (float64(n) - a*(1-b))
}

// ServiceLevel is the share of callers answered within t seconds with n
// agents, a erlangs and an average handle time of aht seconds:
// 1 − C(n, a)·e^(−(n − a)·t / aht).
func ServiceLevel(n int, a, aht, t float64) float64 {
	if a <= 0 || math.IsNaN(a) {
		return 1
	}
	if float64(n) <= a || aht <= 0 {
		return 0
	}
	return serviceLevel(n, a, aht, t, ErlangC(n, a))
}

func serviceLevel(n int, a, aht, t, c float64) float64 {
	return 1 - c*math.Exp(-(float64(n)-a)*t/aht)
}

// AgentsNeeded is the smallest number of agents whose Erlang C service
// level, for callsPerHour arrivals with an average handle time of
// ahtSeconds, answers at least the target share (0.8 for 80 %) within
// thresholdSeconds. No calls (or no handle time) need no agents. A target
// of 1 or more is met only where the floating-point service level rounds
// to 1, which a few agents above the load always reach; a target of 0 or
// less is met by the fewest agents the queue is stable with.
func AgentsNeeded(callsPerHour, ahtSeconds, thresholdSeconds, target float64) int {
	if !(callsPerHour > 0) || !(ahtSeconds > 0) || math.IsInf(callsPerHour, 0) || math.IsInf(ahtSeconds, 0) {
		return 0
	}
	t := thresholdSeconds
	if !(t > 0) {
		t = 0
	}
	a := callsPerHour / 3600 * ahtSeconds
	// Erlang B for every n up to the answer, once: the recursion's steps
	// are shared by all the candidates, so the search costs O(answer).
	n := int(math.Floor(a)) + 1 // the fewest agents with n > a
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	for {
		c := erlangCFromB(n, a, b)
		if sl := serviceLevel(n, a, ahtSeconds, t, c); sl >= target || c == 0 {
			return n
		}
		n++
		b = a * b / (float64(n) + a*b)
	}
}
