import type { IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Reads a whole request body; the emulator's API requests are small, so a limit guards against mistakes. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;

  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    if (length > MAX_BODY_BYTES) {
      throw new Error(`Request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Returns a header's value as one string; Node gives repeated headers as arrays or comma-joined strings. */
export function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/** A complete reply of an emulated service, which the emulator's server sends and records. */
export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
  /** Error code or reason to record in the request log when the request failed. */
  readonly errorCode?: string;
}

export function textReply(status: number, body: string, errorCode?: string): Reply {
  return { status, headers: { 'content-type': 'text/plain' }, body, errorCode };
}

export function jsonReply(status: number, body: unknown, errorCode?: string): Reply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), errorCode };
}
