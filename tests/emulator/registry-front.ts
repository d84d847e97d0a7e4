import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegistryClient } from '../support/registry-client';
import type { EcrRepository, RepositoryStore } from './ecr-repositories';
import { isTagImmutable, type PushTimes } from './ecr-images';
import type { FaultPlan } from './faults';
import { readBody } from './http-helpers';
import type { RegistryEvent, RegistryEventKind } from './request-log';

/** The IAM action ECR checks for each kind of registry request. */
const IAM_ACTIONS: Partial<Record<RegistryEventKind, string>> = {
  'blob-check': 'ecr:BatchCheckLayerAvailability',
  'blob-download': 'ecr:GetDownloadUrlForLayer',
  'blob-upload-start': 'ecr:InitiateLayerUpload',
  'blob-mount': 'ecr:InitiateLayerUpload',
  'blob-upload-chunk': 'ecr:UploadLayerPart',
  'blob-upload-status': 'ecr:UploadLayerPart',
  'blob-upload-complete': 'ecr:CompleteLayerUpload',
  'blob-upload-cancel': 'ecr:UploadLayerPart',
  'manifest-check': 'ecr:BatchGetImage',
  'manifest-get': 'ecr:BatchGetImage',
  'manifest-put': 'ecr:PutImage',
  'manifest-delete': 'ecr:BatchDeleteImage',
  'tags-list': 'ecr:ListImages',
};

/** Headers that describe one connection and must not be forwarded (RFC 9110, section 7.6.1). */
const HOP_BY_HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Manifests are small; a limit keeps a mistaken upload to the manifest path from filling memory. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const REPOSITORY_PATH = /^\/v2\/(.+?)\/(blobs\/uploads\/?([^/]*)|blobs\/([^/]+)|manifests\/([^/]+)|tags\/list)$/;

export interface RegistryFrontOptions {
  readonly registryId: string;
  /** URL of the backing registry, e.g. http://127.0.0.1:5000. */
  readonly backendUrl: string;
  /** Prefix of this account's repository names in the backing registry: '' or '<account>/'. */
  readonly backendPrefix: string;
  readonly repositories: RepositoryStore;
  /** Client of the backing registry, to read a tag's current digest before an immutable tag is written. */
  readonly backend: RegistryClient;
  readonly pushTimes: PushTimes;
  readonly events: RegistryEvent[];
  readonly faults: FaultPlan;
  /** Returns the message of an access denial for an IAM action on a repository, or undefined when it is allowed. */
  readonly denial: (action: string, repository: EcrRepository) => string | undefined;
}

interface ParsedPath {
  readonly kind: RegistryEventKind;
  readonly repository?: string;
  readonly rest?: string;
  readonly reference?: string;
}

/**
 * A reverse proxy on its own loopback port in front of the real registry: it is
 * the `proxyEndpoint` of one emulated account. It streams requests through,
 * records what a push does, and rejects what ECR would: writes to a repository
 * the account does not have (NAME_UNKNOWN), moving an immutable tag
 * (TAG_INVALID) and denied IAM actions (DENIED).
 */
export class RegistryFront {
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly options: RegistryFrontOptions,
  ) {}

  static async start(options: RegistryFrontOptions): Promise<RegistryFront> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });

    const { port } = server.address() as AddressInfo;
    const front = new RegistryFront(server, `http://127.0.0.1:${port}`, options);
    server.on('request', (request, response) => {
      front.handle(request, response).catch((error: Error) => {
        // Only a bug in the front gets here, so it is worth a line in the test output.
        console.error(`Registry front of account ${options.registryId} failed on ${request.method} ${request.url}: ${error.stack ?? error.message}`);
        if (!response.headersSent) {
          sendRegistryError(response, 500, 'UNKNOWN', `Registry front error: ${error.message}`);
        } else {
          response.destroy(error);
        }
      });
    });
    return front;
  }

  get host(): string {
    return new URL(this.url).host;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const target = new URL(request.url ?? '/', this.url);
    const parsed = parsePath(request.method ?? 'GET', target);
    const event: RegistryEvent = {
      time: new Date(),
      kind: parsed.kind,
      registryId: this.options.registryId,
      repository: parsed.repository,
      method: request.method ?? 'GET',
      path: target.pathname,
      reference: parsed.reference,
      digest: parsed.kind === 'blob-upload-complete' ? (target.searchParams.get('digest') ?? undefined) : undefined,
      contentLength: request.headers['content-length'] === undefined ? undefined : Number(request.headers['content-length']),
    };
    this.options.events.push(event);
    response.once('finish', () => {
      event.status = response.statusCode;
    });

    const fault = this.options.faults.take(`registry:${parsed.kind}`);
    if (fault) {
      event.fault = fault.kind;
      if (await applyRegistryFault(fault, response, request)) {
        return;
      }
    }

    let body: Buffer | undefined;
    if (parsed.repository !== undefined && request.headers.authorization !== undefined) {
      const rejection = await this.checkAsEcrWould(parsed, request);
      if (rejection) {
        event.rejectedWith = rejection.code;
        request.resume();
        sendRegistryError(response, rejection.status, rejection.code, rejection.message);
        return;
      }
      if (parsed.kind === 'manifest-put') {
        body = await readBody(request);
        const immutableRejection = await this.checkImmutableTag(parsed, body);
        if (immutableRejection) {
          event.rejectedWith = 'TAG_INVALID';
          sendRegistryError(response, 400, 'TAG_INVALID', immutableRejection);
          return;
        }
      }
    }

    await this.forward(request, response, target, parsed, event, body);
  }

  private async checkAsEcrWould(parsed: ParsedPath, request: http.IncomingMessage): Promise<{ status: number; code: string; message: string } | undefined> {
    const repository = this.options.repositories.find(this.options.registryId, parsed.repository ?? '');
    if (!repository) {
      return {
        status: 404,
        code: 'NAME_UNKNOWN',
        message: `The repository with name '${parsed.repository}' does not exist in the registry with id '${this.options.registryId}'`,
      };
    }

    const action = IAM_ACTIONS[parsed.kind];
    const denial = action ? this.options.denial(action, repository) : undefined;
    if (denial) {
      return { status: 403, code: 'DENIED', message: denial };
    }

    if (parsed.kind === 'manifest-put' && Number(request.headers['content-length'] ?? 0) > MAX_MANIFEST_BYTES) {
      return { status: 400, code: 'MANIFEST_INVALID', message: `The manifest is larger than ${MAX_MANIFEST_BYTES} bytes` };
    }
    return undefined;
  }

  /** Returns ECR's message when a manifest write would move an immutable tag to another image. */
  private async checkImmutableTag(parsed: ParsedPath, body: Buffer): Promise<string | undefined> {
    const repository = this.options.repositories.find(this.options.registryId, parsed.repository ?? '');
    const tag = parsed.reference;
    if (!repository || !tag || tag.startsWith('sha256:') || !isTagImmutable(repository, tag)) {
      return undefined;
    }

    const current = await this.options.backend.resolveDigest(this.backendName(repository.repositoryName), tag);
    const pushed = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (current === undefined || current === pushed) {
      return undefined;
    }
    return `The image tag '${tag}' already exists in the '${repository.repositoryName}' repository and cannot be overwritten because the repository has immutable tags.`;
  }

  private forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    target: URL,
    parsed: ParsedPath,
    event: RegistryEvent,
    bufferedBody: Buffer | undefined,
  ): Promise<void> {
    const backend = new URL(this.options.backendUrl);
    const backendPath = parsed.repository === undefined ? target.pathname : `/v2/${this.backendName(parsed.repository)}/${parsed.rest}`;
    let query = target.search;
    if (parsed.kind === 'blob-mount') {
      // ECR mounts blobs across repositories only after the account setting BLOB_MOUNTING is enabled
      // (Amazon ECR user guide, "Blob mounting in Amazon ECR"). The front emulates the default, a plain upload.
      const search = new URLSearchParams(target.search);
      search.delete('mount');
      search.delete('from');
      query = search.size > 0 ? `?${search.toString()}` : '';
    }
    const headers = withoutHopByHop(request.headers);
    headers.host = backend.host;
    if (bufferedBody) {
      headers['content-length'] = String(bufferedBody.length);
    }

    return new Promise((resolve, reject) => {
      const backendRequest = http.request(
        { host: backend.hostname, port: backend.port, method: request.method, path: backendPath + query, headers, agent: false },
        (backendResponse) => {
          const responseHeaders = withoutHopByHop(backendResponse.headers);
          if (typeof responseHeaders.location === 'string') {
            responseHeaders.location = this.rewriteLocation(responseHeaders.location);
          }

          const digest = backendResponse.headers['docker-content-digest'];
          if (parsed.kind === 'manifest-put' && typeof digest === 'string') {
            event.digest = digest;
            if (backendResponse.statusCode === 201 && parsed.repository) {
              this.options.pushTimes.record(this.options.registryId, parsed.repository, digest);
            }
          }

          response.writeHead(backendResponse.statusCode ?? 502, responseHeaders);
          backendResponse.pipe(response);
          backendResponse.once('end', resolve);
          backendResponse.once('error', reject);
        },
      );

      backendRequest.once('error', (error) => {
        if (!response.headersSent) {
          sendRegistryError(response, 502, 'UNAVAILABLE', `The backing registry did not answer: ${error.message}`);
          resolve();
        } else {
          reject(error);
        }
      });
      // A client that went away, for example while a fault delayed its request,
      // must not leave an upload to the backing registry open: that socket would
      // keep the test process alive after the emulator stops.
      const abandonBackendRequest = (): void => {
        if (!response.writableFinished) {
          backendRequest.destroy();
        }
      };
      if (response.closed || request.socket.destroyed) {
        abandonBackendRequest();
        resolve();
        return;
      }
      response.once('close', abandonBackendRequest);

      if (bufferedBody) {
        backendRequest.end(bufferedBody);
      } else {
        request.pipe(backendRequest);
      }
    });
  }

  private backendName(repository: string): string {
    return `${this.options.backendPrefix}${repository}`;
  }

  /** Points a Location header of the backing registry at this front, without the account prefix. */
  private rewriteLocation(location: string): string {
    const backend = new URL(this.options.backendUrl);
    const resolved = new URL(location, backend);
    if (resolved.host !== backend.host) {
      return location;
    }

    const prefixedPath = `/v2/${this.options.backendPrefix}`;
    const path = this.options.backendPrefix && resolved.pathname.startsWith(prefixedPath) ? `/v2/${resolved.pathname.slice(prefixedPath.length)}` : resolved.pathname;
    return `${this.url}${path}${resolved.search}`;
  }
}

function parsePath(method: string, target: URL): ParsedPath {
  if (target.pathname === '/v2' || target.pathname === '/v2/') {
    return { kind: 'ping' };
  }

  const match = REPOSITORY_PATH.exec(target.pathname);
  if (!match) {
    return { kind: 'other' };
  }

  const [, repository, rest, uploadId, blobDigest, manifestReference] = match;
  const kind = classify(method, { isUpload: rest.startsWith('blobs/uploads'), uploadId, blobDigest, manifestReference, mount: target.searchParams.has('mount') });
  return { kind, repository, rest, reference: manifestReference ?? blobDigest };
}

function classify(
  method: string,
  path: { isUpload: boolean; uploadId?: string; blobDigest?: string; manifestReference?: string; mount: boolean },
): RegistryEventKind {
  if (path.isUpload && !path.uploadId) {
    if (method === 'POST') {
      return path.mount ? 'blob-mount' : 'blob-upload-start';
    }
    return 'other';
  }
  if (path.isUpload) {
    const uploadKinds: Record<string, RegistryEventKind> = {
      PATCH: 'blob-upload-chunk',
      PUT: 'blob-upload-complete',
      GET: 'blob-upload-status',
      DELETE: 'blob-upload-cancel',
    };
    return uploadKinds[method] ?? 'other';
  }
  if (path.blobDigest) {
    const blobKinds: Record<string, RegistryEventKind> = { HEAD: 'blob-check', GET: 'blob-download' };
    return blobKinds[method] ?? 'other';
  }
  if (path.manifestReference) {
    const manifestKinds: Record<string, RegistryEventKind> = {
      HEAD: 'manifest-check',
      GET: 'manifest-get',
      PUT: 'manifest-put',
      DELETE: 'manifest-delete',
    };
    return manifestKinds[method] ?? 'other';
  }
  return 'tags-list';
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const forwarded: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP_HEADERS.has(name)) {
      forwarded[name] = value;
    }
  }
  return forwarded;
}

/** Sends an error in the registry API's format: `{"errors":[{"code":…,"message":…}]}`. */
function sendRegistryError(response: http.ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'docker-distribution-api-version': 'registry/2.0',
  });
  response.end(body);
}

/** Applies an injected fault and returns true when the fault replied to the request or dropped it. */
async function applyRegistryFault(fault: { kind: string; delayMs: number }, response: http.ServerResponse, request: http.IncomingMessage): Promise<boolean> {
  switch (fault.kind) {
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return false;
    case 'drop':
      request.socket.destroy();
      return true;
    case 'throttle':
      request.resume();
      sendRegistryError(response, 429, 'TOOMANYREQUESTS', 'Rate exceeded');
      return true;
    default:
      request.resume();
      sendRegistryError(response, 500, 'UNKNOWN', 'Internal error injected by the test');
      return true;
  }
}
