import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { CredentialRecord } from './credential-store';
import { jsonReply, type Reply, textReply } from './http-helpers';
import { isoSeconds } from './sts-api';

/** How the emulated EC2 instance metadata service behaves. */
export interface InstanceMetadataSettings {
  readonly region: string;
  readonly availabilityZone: string;
  readonly instanceId: string;
  readonly accountId: string;
  /** Name of the instance profile's role; undefined for an instance with no role. */
  readonly roleName?: string;
  /**
   * Status with which the IMDSv2 token request (PUT /latest/api/token) is rejected,
   * as IMDS does when v2 is unavailable, so that clients fall back to IMDSv1.
   */
  readonly tokenRefusal?: 403 | 404 | 405;
  /** Reject metadata reads without a valid token with 401, as an instance with IMDSv2 required does. */
  readonly requireToken: boolean;
}

/** Operation names of the instance metadata service in the request log and for injectFault. */
export const INSTANCE_METADATA_OPERATIONS = { token: 'InstanceMetadataToken', read: 'InstanceMetadata' } as const;

const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const MAX_TOKEN_TTL_SECONDS = 21600;

/** The IMDS paths under /latest/ that clients read: tokens, placement, identity document and role credentials. */
export class InstanceMetadataService {
  private readonly tokens = new Map<string, number>();

  constructor(
    private readonly settings: () => InstanceMetadataSettings,
    /** Returns the instance profile's current credentials. */
    private readonly roleCredentials: () => CredentialRecord,
  ) {}

  handle(method: string, path: string, headers: IncomingHttpHeaders): Reply {
    if (path === '/latest/api/token') {
      return method === 'PUT' ? this.issueToken(headers) : textReply(405, 'Method Not Allowed', 'MethodNotAllowed');
    }
    if (method !== 'GET') {
      return textReply(405, 'Method Not Allowed', 'MethodNotAllowed');
    }

    const tokenProblem = this.checkToken(headers);
    if (tokenProblem) {
      return tokenProblem;
    }
    return this.read(path);
  }

  clear(): void {
    this.tokens.clear();
  }

  private issueToken(headers: IncomingHttpHeaders): Reply {
    const refusal = this.settings().tokenRefusal;
    if (refusal !== undefined) {
      return textReply(refusal, 'Forbidden', 'TokenRefused');
    }

    const ttlSeconds = Number(headers[TOKEN_TTL_HEADER]);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
      return textReply(400, 'Bad Request', 'InvalidTokenTtl');
    }

    const token = randomBytes(42).toString('base64');
    this.tokens.set(token, Date.now() + ttlSeconds * 1000);
    return { status: 200, headers: { 'content-type': 'text/plain', [TOKEN_TTL_HEADER]: String(ttlSeconds) }, body: token };
  }

  private checkToken(headers: IncomingHttpHeaders): Reply | undefined {
    const token = headers[TOKEN_HEADER];
    if (token === undefined) {
      return this.settings().requireToken ? textReply(401, 'Unauthorized', 'TokenRequired') : undefined;
    }

    const expiresAt = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      return textReply(401, 'Unauthorized', 'InvalidToken');
    }
    return undefined;
  }

  private read(path: string): Reply {
    const settings = this.settings();
    const credentialsPath = '/latest/meta-data/iam/security-credentials/';

    switch (path) {
      case '/latest/meta-data/placement/region':
        return textReply(200, settings.region);
      case '/latest/meta-data/placement/availability-zone':
        return textReply(200, settings.availabilityZone);
      case '/latest/meta-data/instance-id':
        return textReply(200, settings.instanceId);
      case '/latest/dynamic/instance-identity/document':
        return jsonReply(200, this.identityDocument(settings));
      case credentialsPath:
        return settings.roleName ? textReply(200, settings.roleName) : textReply(404, 'Not Found', 'NoInstanceProfile');
    }

    if (settings.roleName && path === `${credentialsPath}${settings.roleName}`) {
      return jsonReply(200, this.credentialsDocument(settings));
    }
    return textReply(404, 'Not Found', 'NotFound');
  }

  private identityDocument(settings: InstanceMetadataSettings): Record<string, unknown> {
    return {
      accountId: settings.accountId,
      architecture: 'x86_64',
      availabilityZone: settings.availabilityZone,
      imageId: 'ami-0123456789abcdef0',
      instanceId: settings.instanceId,
      instanceType: 't3.medium',
      pendingTime: '2026-01-01T00:00:00Z',
      privateIp: '10.0.0.10',
      region: settings.region,
      version: '2017-09-30',
    };
  }

  private credentialsDocument(settings: InstanceMetadataSettings): Record<string, unknown> {
    const credentials = this.roleCredentials();
    return {
      Code: 'Success',
      LastUpdated: isoSeconds(new Date()),
      Type: 'AWS-HMAC',
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      Token: credentials.sessionToken,
      Expiration: isoSeconds(credentials.expiration ?? new Date()),
      AccountId: settings.accountId,
    };
  }
}
