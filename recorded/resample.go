package recorded

import "math"

// resampleZeros is how many zero crossings of the sinc each side of a
// sample the filter spans: 16 gives a stop band past 60 dB with the
// Blackman window, far below what G.711 itself keeps.
const resampleZeros = 16

// Resample converts samples from one rate to another with a
// Blackman-windowed sinc low-pass evaluated at each output instant
// (band-limited interpolation). The cut-off is 90% of the lower of the
// two Nyquist frequencies, so that a 48 kHz file's content above 3.6 kHz
// is removed rather than folded into the telephone band.
func Resample(in []int16, from, to int) []int16 {
	if from == to || len(in) == 0 {
		return in
	}
	ratio := float64(to) / float64(from)
	// Cut-off in cycles per input sample.
	cutoff := 0.45 * math.Min(1, ratio)
	half := int(math.Ceil(resampleZeros / (2 * cutoff))) // the filter's half-width, in input samples
	n := int(float64(len(in)) * ratio)
	out := make([]int16, n)
	for j := range out {
		t := float64(j) / ratio // the output instant, in input samples
		centre := int(math.Floor(t))
		var sum, weight float64
		for k := centre - half + 1; k <= centre+half; k++ {
			if k < 0 || k >= len(in) {
				continue
			}
			x := t - float64(k)
			h := 2 * cutoff * sinc(2*cutoff*x) * blackman(x, float64(half))
			sum += h * float64(in[k])
			weight += h
		}
		// Normalising by the taps' sum keeps the gain at one near the
		// ends, where the filter runs off the signal.
		if weight != 0 {
			sum /= weight
		}
		out[j] = clip(sum)
	}
	return out
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
