#!/usr/bin/env bash
# Regenerates the embedded English prompts and hold music (8 kHz mono,
# 16-bit PCM WAV) from the texts below. Needs espeak-ng and sox:
#   apt-get install espeak-ng sox
# The output is committed; run this only to change a prompt.
set -euo pipefail
cd "$(dirname "$0")/audio"

say() { # name text
  espeak-ng -v en-us -s 150 -p 45 -w "/tmp/prompt-$1.wav" "$2"
  sox "/tmp/prompt-$1.wav" -r 8000 -c 1 -b 16 "$1.wav" norm -3 pad 0.1 0.3
  rm -f "/tmp/prompt-$1.wav"
}

say welcome            "Thank you for calling. Your call is important to us."
say please-hold        "Please hold. An agent will be with you shortly."
say callback-offer     "To keep your place in the queue and be called back when an agent is free, press the pound key at any time."
say callback-confirmed "Thank you. Your callback request is recorded, and you keep your place in the queue. We will call you back. Goodbye."
say no-agents          "Sorry, no agents are available to take your call right now. Please try again later."
say goodbye            "Thank you for calling. Goodbye."
say invalid-option     "Sorry, that is not a valid option."
say closed             "We are currently closed. Please call again during business hours."
say main-menu          "For sales, press 1. For support, press 2."
say enter-account      "Please enter your account number, followed by the pound key."
say agent-logged-in    "You are logged in and ready."
say agent-logged-out   "You are logged out."
say agent-paused       "You are paused."
say agent-ready        "You are ready."
say wrap-up-ended      "Wrap up ended."
say wrap-up-not-ended  "Your wrap up time is not over yet."
say recording-started  "Recording."
say recording-stopped  "Recording stopped."
say recording-paused   "Recording paused."
say recording-resumed  "Recording resumed."
say recording-not-allowed "Recording is not available on this call."
say callback-dialing   "Calling the customer back. Please hold."
say callback-unreachable "The customer could not be reached. The callback will be tried again later."
say record-message     "Record your message after the tone. Press the pound key when you are done."
say record-review      "To keep this message, press 1. To record it again, press 2."
say message-saved      "Your message is saved. Goodbye."
say message-recording-not-allowed "Sorry, you are not allowed to record messages."

# Hold music: a slow plucked arpeggio over a soft pad, eight bars, built so
# that the last note has decayed before the loop starts again.
notes=(C4 E4 G4 C5 A3 C4 E4 A4 F3 A3 C4 F4 G3 B3 D4 G4)
parts=()
for i in "${!notes[@]}"; do
  sox -n -r 8000 -c 1 -b 16 "/tmp/hold-$i.wav" synth 0.5 pluck "${notes[$i]}" vol 0.5
  parts+=("/tmp/hold-$i.wav")
done
sox "${parts[@]}" /tmp/hold-melody.wav
sox -n -r 8000 -c 1 -b 16 /tmp/hold-pad.wav synth 8 sine C3 sine E3 sine G3 remix - fade q 1 8 1 vol 0.15
sox -m /tmp/hold-melody.wav /tmp/hold-pad.wav -r 8000 -c 1 -b 16 hold-music.wav reverb 30 norm -6 fade t 0.02 8 0.3
rm -f /tmp/hold-*.wav
