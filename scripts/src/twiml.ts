/**
 * What Twilio reads from the gateway's TwiML to open a media stream: `<Connect action="…"><Stream url="…">`
 * and the stream's `<Parameter name="…" value="…"/>`s, which come back in `start.customParameters`.
 */
export interface StreamInstruction {
  url: string;
  parameters: Record<string, string>;
  /** Where Twilio asks what to do once the stream has ended (not when the caller hung up). */
  action?: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    out[m[1] as string] = decodeXml(m[3] ?? m[4] ?? '');
  }
  return out;
}

/** The stream of a `<Connect><Stream>` TwiML document, or undefined when it has none (an apology, say). */
export function parseStreamTwiml(xml: string): StreamInstruction | undefined {
  const connect = /<Connect\b([^>]*)>([\s\S]*?)<\/Connect>/.exec(xml);
  if (!connect) return undefined;
  const stream = /<Stream\b([^>]*?)(\/>|>([\s\S]*?)<\/Stream>)/.exec(connect[2] as string);
  if (!stream) return undefined;
  const url = attributes(stream[1] as string).url;
  if (!url) return undefined;
  const parameters: Record<string, string> = {};
  for (const p of (stream[3] ?? '').matchAll(/<Parameter\b([^>]*?)\/?>/g)) {
    const { name, value } = attributes(p[1] as string);
    if (name !== undefined) parameters[name] = value ?? '';
  }
  const { action } = attributes(connect[1] as string);
  return action === undefined ? { url, parameters } : { url, parameters, action };
}

/** The text of the first `<Say>`, for showing what Twilio would say instead of streaming. */
export function sayText(xml: string): string | undefined {
  const say = /<Say\b[^>]*>([\s\S]*?)<\/Say>/.exec(xml);
  return say ? decodeXml(say[1] as string) : undefined;
}
