import alawmulaw from 'alawmulaw';

/**
 * Hears DTMF keys in 8 kHz mu-law audio, as a phone menu would: the audio is decoded with alawmulaw's G.711
 * (not switchboard's own encoder), cut into tones where it is not silent (1 ms windows), and each tone's key
 * is found with the Goertzel algorithm — its power at the four row and four column frequencies of ITU-T
 * Q.23 — taking the strongest of each group when it clearly dominates the others.
 */

export interface HeardTone {
  key: string;
  /** From the start of the audio, to the millisecond. */
  startMs: number;
  endMs: number;
}

const SAMPLE_RATE = 8_000;
const SAMPLES_PER_MS = 8;
const ROWS = [697, 770, 852, 941];
const COLUMNS = [1209, 1336, 1477, 1633];
const KEYS = ['123A', '456B', '789C', '*0#D'];
/** A millisecond louder than this (RMS of 16-bit samples) is part of a tone. */
const SILENCE_RMS = 300;
/** Quiet shorter than this inside a tone does not split it. */
const MAX_DIP_MS = 5;

/** Goertzel: the power of `samples` at `frequency`. */
export function goertzelPower(samples: Int16Array | number[], frequency: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / SAMPLE_RATE);
  let previous = 0;
  let beforePrevious = 0;
  for (const sample of samples) {
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
}

/** mu-law bytes as 16-bit linear samples. */
export function decodeMulaw(bytes: Uint8Array): Int16Array {
  return alawmulaw.mulaw.decode(bytes);
}

/** The strongest frequency of a group, when it is at least `dominance` times each other one. */
function strongest(samples: Int16Array, group: number[], dominance = 10): number | undefined {
  const powers = group.map((f) => goertzelPower(samples, f));
  const best = powers.indexOf(Math.max(...powers));
  const others = powers.filter((_, i) => i !== best);
  return others.every((p) => p * dominance < (powers[best] as number)) ? best : undefined;
}

/** The key of one tone, or `?` when it is not a clean DTMF pair. */
export function keyOf(samples: Int16Array): string {
  const row = strongest(samples, ROWS);
  const column = strongest(samples, COLUMNS);
  if (row === undefined || column === undefined) return '?';
  return (KEYS[row] as string)[column] as string;
}

/** Every tone in the audio, with its key and where it starts and ends. */
export function detectDtmf(mulaw: Uint8Array): HeardTone[] {
  const samples = decodeMulaw(mulaw);
  const loud: boolean[] = [];
  for (let at = 0; at + SAMPLES_PER_MS <= samples.length; at += SAMPLES_PER_MS) {
    let sum = 0;
    for (let i = at; i < at + SAMPLES_PER_MS; i++) sum += (samples[i] as number) ** 2;
    loud.push(Math.sqrt(sum / SAMPLES_PER_MS) > SILENCE_RMS);
  }
  const tones: HeardTone[] = [];
  let start: number | undefined;
  let quiet = 0;
  const close = (endMs: number) => {
    if (start === undefined) return;
    const key = keyOf(samples.subarray(start * SAMPLES_PER_MS, endMs * SAMPLES_PER_MS));
    tones.push({ key, startMs: start, endMs });
    start = undefined;
  };
  loud.forEach((on, ms) => {
    if (on) {
      start ??= ms;
      quiet = 0;
    } else if (start !== undefined && ++quiet > MAX_DIP_MS) {
      close(ms - quiet + 1);
    }
  });
  close(loud.length - quiet);
  return tones;
}

/** The keys heard, in order. */
export function dtmfKeys(mulaw: Uint8Array): string {
  return detectDtmf(mulaw)
    .map((tone) => tone.key)
    .join('');
}
