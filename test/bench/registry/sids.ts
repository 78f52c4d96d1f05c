import { createHash } from 'node:crypto';

/**
 * The i-th seeded call's sid (1-based): `CA` + md5 of i, exactly as the seeding SQL computes it
 * (`'CA' || md5(i::text)`), so the benchmark can draw sids without reading the table.
 */
export function seededSid(i: number): string {
  return `CA${createHash('md5').update(String(i)).digest('hex')}`;
}

/**
 * Seeded calls drawn at random (with a fixed seed, so every run asks for the same calls), computed up
 * front so that drawing one costs the load generator nothing.
 */
export class SidDeck {
  private readonly sids: string[];
  private next = 0;

  constructor(callsInTable: number, size: number, seed: number) {
    const random = mulberry32(seed);
    this.sids = Array.from({ length: size }, () => seededSid(1 + Math.floor(random() * callsInTable)));
  }

  /** Every sid of the deck, in the order `draw` hands them out. */
  get all(): readonly string[] {
    return this.sids;
  }

  draw(): string {
    const sid = this.sids[this.next] as string;
    this.next = (this.next + 1) % this.sids.length;
    return sid;
  }
}

/** A small, fast, seedable PRNG (public domain); uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
