import type { IncomingHttpHeaders } from 'node:http';
import type { FaultKind } from './faults';

/** Which emulated service a request was routed to. */
export type EmulatedService = 'ecr' | 'sts' | 'instance-metadata' | 'container-credentials' | 'oidc' | 'unknown';

/** One request the emulator's main server received, for assertions in tests. */
export interface RecordedRequest {
  readonly id: number;
  readonly time: Date;
  readonly service: EmulatedService;
  /** ECR or STS operation name, or 'InstanceMetadataToken', 'InstanceMetadata', 'ContainerCredentials' or 'OidcToken'. */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  /** The parsed body: JSON for ECR and OIDC, form fields for STS, undefined when empty. */
  readonly body: unknown;
  /** Access key named by a SigV4 Authorization header, whether or not it was accepted. */
  accessKeyId?: string;
  /** Label of the registered credentials that key belongs to. */
  credentialLabel?: string;
  /** Region and service of the SigV4 credential scope. */
  region?: string;
  signingService?: string;
  /** Whether the signature and session token were accepted. */
  authenticated?: boolean;
  status?: number;
  /** AWS error code (or the emulator's reason) when the request failed. */
  errorCode?: string;
  /** Message of an unexpected emulator error, which the client received as a 500 reply. */
  errorMessage?: string;
  fault?: FaultKind;
}

/** What the registry front saw of a request, classified by what the request does in a push or pull. */
export type RegistryEventKind =
  | 'ping'
  | 'blob-check'
  | 'blob-download'
  | 'blob-upload-start'
  | 'blob-mount'
  | 'blob-upload-chunk'
  | 'blob-upload-complete'
  | 'blob-upload-status'
  | 'blob-upload-cancel'
  | 'manifest-check'
  | 'manifest-get'
  | 'manifest-put'
  | 'manifest-delete'
  | 'tags-list'
  | 'other';

export interface RegistryEvent {
  readonly time: Date;
  readonly kind: RegistryEventKind;
  /** AWS account whose registry front received the request. */
  readonly registryId: string;
  /** Repository name as the client wrote it, without the account prefix used in the backing registry. */
  readonly repository?: string;
  readonly method: string;
  readonly path: string;
  /** Tag or digest of a manifest request. */
  readonly reference?: string;
  /** Digest of a completed blob upload, or of a written manifest as the registry returned it. */
  digest?: string;
  /** Request body size when the client sent a Content-Length. */
  readonly contentLength?: number;
  status?: number;
  /** Error code when the front rejected the request itself (NAME_UNKNOWN, TAG_INVALID, DENIED). */
  rejectedWith?: string;
  fault?: string;
}
