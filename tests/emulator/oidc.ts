import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { jsonReply, type Reply } from './http-helpers';

/** One OIDC token the emulated Azure DevOps issued, with what the request named. */
export interface IssuedOidcToken {
  readonly token: string;
  readonly collectionPath: string;
  readonly projectId: string;
  readonly hostType: string;
  readonly planId: string;
  readonly jobId: string;
  readonly serviceConnectionId: string;
  readonly subject: string;
}

export const OIDC_OPERATION = 'OidcToken';

/** Audience Azure DevOps puts in tokens meant for workload identity federation. */
export const OIDC_AUDIENCE = 'api://AzureADTokenExchange';

const OIDC_PATH = /^(.*)\/([^/]+)\/_apis\/distributedtask\/hubs\/([^/]+)\/plans\/([^/]+)\/jobs\/([^/]+)\/oidctoken$/;

/** Tells whether a path is the Azure DevOps OIDC token endpoint. */
export function isOidcPath(path: string): boolean {
  return OIDC_PATH.test(path);
}

/**
 * The Azure DevOps endpoint that issues an OIDC token for a service connection:
 * POST {collection}{project}/_apis/distributedtask/hubs/{hostType}/plans/{planId}/jobs/{jobId}/oidctoken?serviceConnectionId=…
 * It checks the job access token (Bearer, or Basic with the token as password).
 */
export class OidcTokenService {
  readonly issued: IssuedOidcToken[] = [];

  constructor(
    private readonly accessToken: () => string,
    /** Called with each issued token so that STS accepts it in AssumeRoleWithWebIdentity. */
    private readonly onIssued: (token: IssuedOidcToken) => void,
  ) {}

  handle(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders): Reply {
    const match = OIDC_PATH.exec(path);
    if (method !== 'POST' || !match) {
      return jsonReply(404, { message: `No OIDC endpoint at ${method} ${path}` }, 'NotFound');
    }
    if (presentedToken(headers.authorization) !== this.accessToken()) {
      return jsonReply(401, { message: 'The access token is missing or not valid for this organization.', typeKey: 'UnauthorizedRequestException' }, 'Unauthorized');
    }

    const serviceConnectionId = query.get('serviceConnectionId');
    if (!serviceConnectionId || !query.get('api-version')) {
      return jsonReply(400, { message: 'The serviceConnectionId and api-version query parameters are required.', typeKey: 'InvalidRequestException' }, 'InvalidRequest');
    }

    const [, collectionPath, projectId, hostType, planId, jobId] = match;
    const subject = `sc://emulated-organization/${projectId}/${serviceConnectionId}`;
    const token = makeJwtLikeToken(subject);
    const issued: IssuedOidcToken = { token, collectionPath, projectId, hostType, planId, jobId, serviceConnectionId, subject };

    this.issued.push(issued);
    this.onIssued(issued);
    return jsonReply(200, { oidcToken: token });
  }
}

function presentedToken(authorization: string | undefined): string | undefined {
  if (authorization?.startsWith('Bearer ')) {
    return authorization.slice('Bearer '.length);
  }
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

/** Makes a token in JWT form (three base64url parts); the signature part is random, since nothing verifies it. */
function makeJwtLikeToken(subject: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: randomUUID() };
  const payload = { iss: 'https://vstoken.emulated.invalid/organization', sub: subject, aud: OIDC_AUDIENCE, iat: now, nbf: now, exp: now + 3600, jti: randomUUID() };
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(payload)}.${randomBytes(64).toString('base64url')}`;
}
