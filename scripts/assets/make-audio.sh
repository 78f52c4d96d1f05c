#!/usr/bin/env bash
# Regenerates the audio of `pnpm demo` and of the local Realtime sandbox, spoken by espeak-ng and converted by
# sox to what Twilio streams (8 kHz, mono, 8-bit mu-law), each in a Sun .au file (a 24-byte header, then the
# mu-law bytes; any audio player plays it). Needs: apt-get install espeak-ng sox
#   caller.au            the caller's side of the demo call
#   sandbox-greeting.au  the sandbox agent's greeting (the default agent's greeting text)
#   sandbox-reply.au     what the sandbox agent answers to anything the caller says
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# say <file> <voice> <pad-before-s> <pad-after-s> <text>
say() {
  espeak-ng -v "$2" -s 160 -w "$tmp/say.wav" "$5"
  sox "$tmp/say.wav" --comment '' -r 8000 -c 1 -e mu-law -t au "$1" pad "$3" "$4"
  echo "$1: $(soxi -D "$1") s"
}

# The caller: a little silence before and 0.8 s after, as on a real line (voice activity detection ends the
# caller's turn on that silence).
say caller.au en-us 0.2 0.8 'Hi there. What time does the store open on Saturday?'
say sandbox-greeting.au en-us+f3 0 0 'Hello! How can I help you today?'
say sandbox-reply.au en-us+f3 0 0 \
  'I heard you. This is the switchboard sandbox: set an OpenAI key to talk to a real model.'
