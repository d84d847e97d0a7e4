import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

/** The parts of an `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header. */
export interface SignatureV4Authorization {
  readonly accessKeyId: string;
  /** Credential scope date, YYYYMMDD. */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** A received request, as far as SigV4 covers it. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query string as received, e.g. '/' or '/path?x=1'. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const AUTHORIZATION_PATTERN =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

/** Parses a SigV4 Authorization header; returns undefined when it is missing or malformed. */
export function parseAuthorization(header: string | undefined): SignatureV4Authorization | undefined {
  const match = header ? AUTHORIZATION_PATTERN.exec(header) : null;
  if (!match) {
    return undefined;
  }

  const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') {
    return data;
  }
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** Node's crypto in the shape @smithy/signature-v4 expects of a hash constructor. */
class NodeSha256 {
  private readonly hash;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

/**
 * Recomputes a request's SigV4 signature with the given secret, from the headers
 * the client says it signed, and compares it with the one received. The session
 * token is taken from the request, so a wrong token is reported by the caller's
 * token check rather than as a bad signature.
 */
export async function verifySignature(request: SignedRequest, authorization: SignatureV4Authorization, secretAccessKey: string): Promise<boolean> {
  const amzDate = singleHeader(request.headers, 'x-amz-date');
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== authorization.date) {
    return false;
  }

  const url = new URL(request.url, 'http://placeholder');
  const signedHeaderNames = new Set(authorization.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of signedHeaderNames) {
    const value = singleHeader(request.headers, name);
    if (value === undefined) {
      return false;
    }
    headers[name] = value;
  }

  const declaredPayloadHash = headers['x-amz-content-sha256'];
  if (declaredPayloadHash !== undefined && declaredPayloadHash !== 'UNSIGNED-PAYLOAD' && declaredPayloadHash !== sha256Hex(request.body)) {
    return false;
  }

  const signer = new SignatureV4({
    credentials: {
      accessKeyId: authorization.accessKeyId,
      secretAccessKey,
      sessionToken: headers['x-amz-security-token'],
    },
    region: authorization.region,
    service: authorization.service,
    sha256: NodeSha256,
    // The signer adds and signs x-amz-content-sha256 unless applyChecksum is false, so only do that when the client signed it.
    applyChecksum: signedHeaderNames.has('x-amz-content-sha256'),
  });

  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query: queryToRecord(url.searchParams),
      headers,
      body: request.body.length > 0 ? request.body : undefined,
    },
    { signingDate: parseAmzDate(amzDate), signableHeaders: signedHeaderNames },
  );

  const expected = parseAuthorization(signed.headers.authorization);
  return expected !== undefined && sameSignature(expected.signature, authorization.signature) && sameHeaderList(expected.signedHeaders, authorization.signedHeaders);
}

/** Returns how far, in milliseconds, the request's X-Amz-Date is from now. */
export function clockSkewMs(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const amzDate = singleHeader(headers, 'x-amz-date');
  return amzDate && /^\d{8}T\d{6}Z$/.test(amzDate) ? Math.abs(now - parseAmzDate(amzDate).getTime()) : undefined;
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(amzDate: string): Date {
  const iso = `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`;
  return new Date(iso);
}

function queryToRecord(parameters: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(parameters.keys())) {
    const values = parameters.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  return query;
}

function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

function sameSignature(expected: string, received: string): boolean {
  return expected.length === received.length && timingSafeEqual(Buffer.from(expected), Buffer.from(received));
}

function sameHeaderList(expected: readonly string[], received: readonly string[]): boolean {
  return expected.join(';') === received.join(';');
}
