import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** 8 kHz mu-law: 8 bytes per millisecond, 160 per 20 ms frame (what Twilio sends in each `media`). */
export const MULAW_SAMPLE_RATE = 8_000;
export const BYTES_PER_MS = MULAW_SAMPLE_RATE / 1_000;
export const FRAME_MS = 20;
export const FRAME_BYTES = BYTES_PER_MS * FRAME_MS;
/** mu-law's zero level: a frame of it is silence. */
export const MULAW_SILENCE = 0xff;

/** The audio shipped in scripts/assets (see make-audio.sh there). */
export const ASSETS = {
  caller: fileURLToPath(new URL('../assets/caller.au', import.meta.url)),
  sandboxGreeting: fileURLToPath(new URL('../assets/sandbox-greeting.au', import.meta.url)),
  sandboxReply: fileURLToPath(new URL('../assets/sandbox-reply.au', import.meta.url)),
} as const;

const AU_MAGIC = 0x2e736e64; // ".snd"
const AU_ENCODING_MULAW = 1;

/** The mu-law bytes of a Sun .au file, which must be 8 kHz mono mu-law. */
export function readMulawAu(path: string): Buffer {
  const file = readFileSync(path);
  if (file.length < 24 || file.readUInt32BE(0) !== AU_MAGIC) throw new Error(`${path}: not an .au file`);
  const offset = file.readUInt32BE(4);
  const size = file.readUInt32BE(8);
  const encoding = file.readUInt32BE(12);
  const rate = file.readUInt32BE(16);
  const channels = file.readUInt32BE(20);
  if (encoding !== AU_ENCODING_MULAW || rate !== MULAW_SAMPLE_RATE || channels !== 1) {
    throw new Error(
      `${path}: expected 8 kHz mono mu-law, got encoding ${encoding}, ${rate} Hz, ${channels} ch`,
    );
  }
  const end = size === 0xffffffff ? file.length : Math.min(file.length, offset + size);
  return file.subarray(offset, end);
}

/** The audio cut into 20 ms frames, base64, the last one padded with silence. */
export function mulawFrames(audio: Buffer, frameBytes = FRAME_BYTES): string[] {
  const frames: string[] = [];
  for (let at = 0; at < audio.length; at += frameBytes) {
    const frame = Buffer.alloc(frameBytes, MULAW_SILENCE);
    audio.copy(frame, 0, at, Math.min(audio.length, at + frameBytes));
    frames.push(frame.toString('base64'));
  }
  return frames;
}

/**
 * A WAV file of mu-law audio (format tag 7, WAVE_FORMAT_MULAW, 8 kHz mono, 8 bits), with the `fact` chunk
 * that non-PCM WAV files carry. Players and sox play it as is.
 */
export function mulawWav(audio: Buffer): Buffer {
  const fmt = Buffer.alloc(8 + 18);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(18, 4);
  fmt.writeUInt16LE(7, 8); // WAVE_FORMAT_MULAW
  fmt.writeUInt16LE(1, 10); // channels
  fmt.writeUInt32LE(MULAW_SAMPLE_RATE, 12);
  fmt.writeUInt32LE(MULAW_SAMPLE_RATE, 16); // bytes per second
  fmt.writeUInt16LE(1, 20); // block align
  fmt.writeUInt16LE(8, 22); // bits per sample
  fmt.writeUInt16LE(0, 24); // no extra format bytes
  const fact = Buffer.alloc(12);
  fact.write('fact', 0, 'ascii');
  fact.writeUInt32LE(4, 4);
  fact.writeUInt32LE(audio.length, 8); // samples
  const dataHeader = Buffer.alloc(8);
  dataHeader.write('data', 0, 'ascii');
  dataHeader.writeUInt32LE(audio.length, 4);
  const pad = audio.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  const body = Buffer.concat([Buffer.from('WAVE', 'ascii'), fmt, fact, dataHeader, audio, pad]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** G.711 mu-law byte → 16-bit linear sample. */
export function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((u & 0x0f) << 3) + 0x84;
  const sample = (magnitude << exponent) - 0x84;
  return u & 0x80 && sample !== 0 ? -sample : sample;
}

/** Root mean square of a frame of mu-law audio, on the 16-bit scale. */
export function mulawRms(frame: Buffer): number {
  if (frame.length === 0) return 0;
  let sum = 0;
  for (const byte of frame) {
    const s = mulawToLinear(byte);
    sum += s * s;
  }
  return Math.sqrt(sum / frame.length);
}
