import { createHash } from 'node:crypto';
import { httpRequest, type HttpResponse } from './http-client';

/** Manifest media types a push can produce; sent in Accept so the registry returns manifests unchanged. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
] as const;

/** A manifest as the registry stores it. */
export interface RegistryManifest {
  /** The registry's Docker-Content-Digest, `sha256:…`. */
  readonly digest: string;
  readonly mediaType: string;
  /** The manifest bytes exactly as stored, as text. */
  readonly body: string;
}

/** An error response of the registry API, with the codes of its `errors` list. */
export class RegistryApiError extends Error {
  constructor(
    readonly status: number,
    readonly codes: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'RegistryApiError';
  }
}

export interface RegistryClientOptions {
  /** Base URL such as http://127.0.0.1:5000. */
  readonly url: string;
  readonly password: string;
  /** Defaults to AWS, the user ECR tokens carry. */
  readonly username?: string;
}

/** Reads and writes a Docker registry through its HTTP API with basic authentication. */
export class RegistryClient {
  private readonly baseUrl: string;
  private readonly authorization: string;

  constructor(options: RegistryClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${options.username ?? 'AWS'}:${options.password}`).toString('base64')}`;
  }

  /** Lists a repository's tags, sorted; a repository the registry has never seen has none. */
  async listTags(repository: string): Promise<string[]> {
    const response = await this.send('GET', `/v2/${repository}/tags/list`);
    if (response.status === 404) {
      return [];
    }
    this.check(response, `list the tags of ${repository}`);

    const tags = (JSON.parse(response.body.toString('utf8')) as { tags?: string[] | null }).tags ?? [];
    return [...tags].sort();
  }

  /** Fetches a manifest by tag or digest; returns undefined when it does not exist. */
  async getManifest(repository: string, reference: string): Promise<RegistryManifest | undefined> {
    const response = await this.send('GET', `/v2/${repository}/manifests/${reference}`, { accept: MANIFEST_MEDIA_TYPES.join(', ') });
    if (response.status === 404) {
      return undefined;
    }
    this.check(response, `get manifest ${repository}:${reference}`);

    const body = response.body.toString('utf8');
    return {
      digest: headerText(response, 'docker-content-digest') ?? `sha256:${createHash('sha256').update(response.body).digest('hex')}`,
      mediaType: headerText(response, 'content-type') ?? '',
      body,
    };
  }

  /** Returns the digest a tag points at, or undefined when the tag does not exist. */
  async resolveDigest(repository: string, reference: string): Promise<string | undefined> {
    const response = await this.send('HEAD', `/v2/${repository}/manifests/${reference}`, { accept: MANIFEST_MEDIA_TYPES.join(', ') });
    if (response.status === 404) {
      return undefined;
    }
    this.check(response, `resolve ${repository}:${reference}`);
    return headerText(response, 'docker-content-digest');
  }

  /** Stores a manifest under a tag or digest and returns the digest the registry computed. */
  async putManifest(repository: string, reference: string, body: string, mediaType: string): Promise<string> {
    const response = await this.send('PUT', `/v2/${repository}/manifests/${reference}`, { 'content-type': mediaType }, body);
    this.check(response, `put manifest ${repository}:${reference}`);

    const digest = headerText(response, 'docker-content-digest');
    if (!digest) {
      throw new Error(`The registry stored manifest ${repository}:${reference} but returned no Docker-Content-Digest`);
    }
    return digest;
  }

  /** Deletes a manifest by digest, which removes every tag pointing at it. */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    const response = await this.send('DELETE', `/v2/${repository}/manifests/${digest}`);
    this.check(response, `delete manifest ${repository}@${digest}`);
  }

  /** Tells whether a repository in the registry contains a blob. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`);
    return response.status === 200;
  }

  private send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpResponse> {
    return httpRequest(`${this.baseUrl}${path}`, { method, headers: { authorization: this.authorization, ...headers }, body });
  }

  private check(response: HttpResponse, action: string): void {
    if (response.status >= 200 && response.status < 300) {
      return;
    }

    let codes: string[] = [];
    let detail = response.body.toString('utf8').trim();
    try {
      const errors = (JSON.parse(detail) as { errors?: { code: string; message: string }[] }).errors ?? [];
      codes = errors.map((error) => error.code);
      detail = errors.map((error) => `${error.code}: ${error.message}`).join('; ') || detail;
    } catch {
      // Not a registry error document; keep the raw text.
    }
    throw new RegistryApiError(response.status, codes, `Registry request to ${action} failed with HTTP ${response.status}: ${detail}`);
  }
}

function headerText(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
