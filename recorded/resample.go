package recorded

import "math"

// resampleZeros is how many zero crossings of the sinc each side of a
// sample the filter spans: 16 gives a stop band past 60 dB with the
// Blackman window, far below what G.711 itself keeps.
const resampleZeros = 16

// maxTable bounds the precomputed filter (phases × taps): rates with
// many phases (a rate sharing no factor with the target) compute each
// tap as they go instead.
const maxTable = 1 << 20

// Resample converts samples from one rate to another with a
// Blackman-windowed sinc low-pass evaluated at each output instant
// (band-limited interpolation). The cut-off is 90% of the lower of the
// two Nyquist frequencies, so that a 48 kHz file's content above 3.6 kHz
// is removed rather than folded into the telephone band. Output instant
// j falls at j·from/to input samples, whose fraction takes one of
// to/gcd(from, to) values: the taps of each are computed once.
func Resample(in []int16, from, to int) []int16 {
	if from == to || len(in) == 0 {
		return in
	}
	g := gcd(from, to)
	up, down := to/g, from/g                                // output j is at input j·down/up
	cutoff := 0.45 * math.Min(1, float64(to)/float64(from)) // cycles per input sample
	half := int(math.Ceil(resampleZeros / (2 * cutoff)))    // the filter's half-width, in input samples
	taps := 2 * half
	tap := func(phase, k int) float64 {
		// Tap k (0 … taps-1) is input sample centre-half+1+k, at
		// distance x from the output instant.
		x := float64(phase)/float64(up) + float64(half-1-k)
		return 2 * cutoff * sinc(2*cutoff*x) * blackman(x, float64(half))
	}
	var table []float64
	if up*taps <= maxTable {
		table = make([]float64, up*taps)
		for p := range up {
			for k := range taps {
				table[p*taps+k] = tap(p, k)
			}
		}
	}
	n := int(int64(len(in)) * int64(up) / int64(down))
	out := make([]int16, n)
	for j := range out {
		pos := int64(j) * int64(down)
		centre, phase := int(pos/int64(up)), int(pos%int64(up))
		first := centre - half + 1
		var sum, weight float64
		for k := range taps {
			i := first + k
			if i < 0 || i >= len(in) {
				continue
			}
			var h float64
			if table != nil {
				h = table[phase*taps+k]
			} else {
				h = tap(phase, k)
			}
			sum += h * float64(in[i])
			weight += h
		}
		// Normalising by the taps' sum keeps the gain at one, near the
		// ends too, where the filter runs off the signal.
		if weight != 0 {
			sum /= weight
		}
		out[j] = clip(sum)
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the Blackman window of half-width half at offset x.
func blackman(x, half float64) float64 {
	if math.Abs(x) >= half {
		return 0
	}
	p := (x + half) / (2 * half)
	return 0.42 - 0.5*math.Cos(2*math.Pi*p) + 0.08*math.Cos(4*math.Pi*p)
}

func clip(v float64) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	}
	return int16(math.Round(v))
}
