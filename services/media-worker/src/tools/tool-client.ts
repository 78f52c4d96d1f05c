import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '@switchboard/logger';
import { ipLiteral, isPublicAddress, PrivateAddressError, publicOnlyLookup } from '@switchboard/url-guard';
import { Webhook } from 'standardwebhooks';
import type { ToolRequestBody, ToolResult } from '../bridge/types.js';

/** A tool's reply is read up to this size; a larger one is an error (the model could not use it anyway). */
export const TOOL_MAX_REPLY_BYTES = 1024 * 1024;
const USER_AGENT = 'switchboard-media-worker';

export interface ToolClientOptions {
  /** `whsec_…` (TOOL_SIGNING_SECRET); without it nothing is sent. */
  signingSecret: string | undefined;
  /** TOOL_ALLOW_PRIVATE_URLS. */
  allowPrivateUrls: boolean;
  log: Logger;
}

/** Calls the agent's tools over HTTP: one signed POST each, with a deadline; the answer as a ToolResult. */
export interface ToolCaller {
  call(url: string, body: ToolRequestBody, timeoutMs: number): Promise<ToolResult>;
}

/**
 * The worker's HTTP client for tools (SPEC "Tool calls"): `POST url` with the JSON body, signed per Standard
 * Webhooks by the `standardwebhooks` library (`webhook-id` unique per call, `webhook-timestamp` in seconds,
 * `webhook-signature` `v1,<base64 HMAC-SHA256>`). Redirects are not followed. A host that is or resolves to
 * a non-public address is refused unless allowed. Every failure is a result, never a throw.
 */
export class ToolClient implements ToolCaller {
  private readonly webhook: Webhook | undefined;
  private saidUnsigned = false;

  constructor(private readonly options: ToolClientOptions) {
    this.webhook = options.signingSecret === undefined ? undefined : new Webhook(options.signingSecret);
  }

  async call(url: string, body: ToolRequestBody, timeoutMs: number): Promise<ToolResult> {
    const webhook = this.webhook;
    if (webhook === undefined) {
      if (!this.saidUnsigned) {
        this.saidUnsigned = true;
        this.options.log.error(
          'tool calls refused: TOOL_SIGNING_SECRET is not set, nothing unsigned is sent',
        );
      }
      return { status: 'error', message: `the ${body.tool} system is not set up on this phone line` };
    }
    const target = new URL(url);
    const literal = ipLiteral(target.hostname);
    if (literal !== undefined && !this.options.allowPrivateUrls && !isPublicAddress(literal)) {
      return this.refused(body.tool, new PrivateAddressError(target.hostname, literal));
    }
    const payload = JSON.stringify(body);
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      'user-agent': USER_AGENT,
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, at, payload),
    };
    const options: RequestOptions = { method: 'POST', headers };
    if (!this.options.allowPrivateUrls) options.lookup = publicOnlyLookup;
    try {
      return await post(target, options, payload, timeoutMs, body.tool);
    } catch (err) {
      if (err instanceof PrivateAddressError) return this.refused(body.tool, err);
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return { status: 'error', message: `the ${body.tool} system could not be reached (${code})` };
    }
  }

  private refused(tool: string, err: PrivateAddressError): ToolResult {
    this.options.log.warn(
      { tool, host: err.host, address: err.address },
      'tool url refused: not a public address',
    );
    return { status: 'error', message: `the ${tool} system is at an address this phone line may not call` };
  }
}

/** One POST, its reply read (bounded) and judged; rejects only when it could not be sent or read. */
function post(
  target: URL,
  options: RequestOptions,
  payload: string,
  timeoutMs: number,
  tool: string,
): Promise<ToolResult> {
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const timeout: ToolResult = {
      status: 'timeout',
      message: `the ${tool} system did not answer within ${timeoutMs} ms`,
    };
    const deadline = setTimeout(() => {
      req.destroy();
      resolve(timeout);
    }, timeoutMs);
    const settle = (result: ToolResult) => {
      clearTimeout(deadline);
      resolve(result);
    };
    const req = send(target, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > TOOL_MAX_REPLY_BYTES) {
          res.destroy();
          settle({ status: 'error', message: `the ${tool} system's reply was larger than 1 MiB` });
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => {
        clearTimeout(deadline);
        reject(err);
      });
      res.on('end', () => settle(judge(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), tool)));
    });
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(payload);
  });
}

/** A 2xx JSON reply is the result (as compact JSON text); anything else an error the model can speak about. */
export function judge(status: number, text: string, tool: string): ToolResult {
  if (status < 200 || status > 299)
    return { status: 'error', message: `the ${tool} system answered with an error (HTTP ${status})` };
  try {
    return { status: 'ok', body: JSON.stringify(JSON.parse(text)) };
  } catch {
    return { status: 'error', message: `the ${tool} system's reply was not JSON` };
  }
}
