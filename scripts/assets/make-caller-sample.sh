#!/usr/bin/env bash
# Regenerates caller.au, the caller's side of `pnpm demo`: a short English sentence spoken by espeak-ng,
# converted by sox to what Twilio streams (8 kHz, mono, 8-bit mu-law) in a Sun .au file (24-byte header, then
# the mu-law bytes; any player plays it). Needs: apt-get install espeak-ng sox
set -euo pipefail
cd "$(dirname "$0")"
TEXT='Hi there. What time does the store open on Saturday?'
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 160 -w "$tmp/caller.wav" "$TEXT"
# 0.2 s of silence before the sentence and 0.8 s after it, as on a real line.
sox "$tmp/caller.wav" --comment '' -r 8000 -c 1 -e mu-law -t au caller.au pad 0.2 0.8
soxi caller.au
