package testutil

import "math"

// goertzel is the power at hz of 8 kHz samples (the Goertzel filter),
// and the samples' energy beside it.
func goertzel(samples []int16, hz float64) (power, energy float64) {
	coeff := 2 * math.Cos(2*math.Pi*hz/8000)
	var s1, s2 float64
	for _, x := range samples {
		v := float64(x)
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
		energy += v * v
	}
	return max(s1*s1+s2*s2-coeff*s1*s2, 0), energy
}

// ToneShare is how much of the energy of 8 kHz samples is at freq, from
// 0 to 1: near 1 for a pure tone of that frequency.
func ToneShare(samples []int16, freq float64) float64 {
	power, total := goertzel(samples, freq)
	if total == 0 {
		return 0
	}
	// A pure tone of N samples and amplitude A has power N²A²/4 and
	// energy NA²/2: the ratio 2·power/(N·energy) is 1 for it.
	return 2 * power / (float64(len(samples)) * total)
}

// toneLevel is the amplitude at hz of a frame of 8 kHz samples: a
// 6000-peak tone reads about 6000 on its own, and under 10% of that a
// tone 400 Hz away.
func toneLevel(samples []int16, hz float64) float64 {
	power, _ := goertzel(samples, hz)
	return 2 * math.Sqrt(power) / float64(len(samples))
}

// Tone is seconds of a tone at 8 kHz, 16-bit little-endian.
func Tone(freq, seconds float64, amplitude int16) []byte {
	n := int(seconds * 8000)
	out := make([]byte, 2*n)
	for i := range n {
		v := int16(float64(amplitude) * math.Sin(2*math.Pi*freq*float64(i)/8000))
		out[2*i], out[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	return out
}
