import { timingSafeEqual } from 'node:crypto';
import { AwsError } from './aws-error';
import type { CredentialRecord, CredentialStore } from './credential-store';
import { clockSkewMs, parseAuthorization, type SignatureV4Authorization, type SignedRequest, verifySignature } from './sigv4';

/** Why a signed request was rejected, before it is named in one service's error codes. */
export type AuthenticationFailure = 'missing-authentication' | 'unknown-key' | 'invalid-token' | 'expired-token' | 'bad-signature' | 'signature-expired';

export interface Authentication {
  readonly authorization?: SignatureV4Authorization;
  readonly credentials?: CredentialRecord;
  readonly failure?: AuthenticationFailure;
}

/**
 * AWS rejects most requests that arrive more than five minutes after their X-Amz-Date
 * (IAM User Guide, "AWS Signature Version 4 for API requests"); S3 allows 15 minutes.
 */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Checks a SigV4-signed request in the order AWS does. The access key must be
 * registered, and its session token, when it has one, must be sent unchanged.
 * Then the credentials must not have expired, and the signature must match the key's secret.
 */
export async function authenticate(request: SignedRequest, store: CredentialStore, now = Date.now()): Promise<Authentication> {
  const header = request.headers.authorization;
  const authorization = parseAuthorization(Array.isArray(header) ? header[0] : header);
  if (!authorization) {
    return { failure: 'missing-authentication' };
  }

  const credentials = store.find(authorization.accessKeyId);
  if (!credentials) {
    return { authorization, failure: 'unknown-key' };
  }

  const sentToken = request.headers['x-amz-security-token'];
  if (!sameToken(credentials.sessionToken, Array.isArray(sentToken) ? sentToken[0] : sentToken)) {
    return { authorization, credentials, failure: 'invalid-token' };
  }

  if (credentials.expiration && credentials.expiration.getTime() <= now) {
    return { authorization, credentials, failure: 'expired-token' };
  }

  const skew = clockSkewMs(request.headers, now);
  if (skew !== undefined && skew > MAX_CLOCK_SKEW_MS) {
    return { authorization, credentials, failure: 'signature-expired' };
  }

  if (!(await verifySignature(request, authorization, credentials.secretAccessKey))) {
    return { authorization, credentials, failure: 'bad-signature' };
  }

  return { authorization, credentials };
}

function sameToken(expected: string | undefined, received: string | undefined): boolean {
  if (expected === undefined || received === undefined) {
    return expected === received;
  }
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

const SIGNATURE_MISMATCH_MESSAGE = 'The request signature does not match the one computed with the secret access key of this access key ID.';
const INVALID_TOKEN_MESSAGE = 'The access key ID or security token in the request is not valid.';
const EXPIRED_TOKEN_MESSAGE = 'The security token in the request has expired.';
const SIGNATURE_EXPIRED_MESSAGE = 'Signature expired: the X-Amz-Date of the request is more than 5 minutes away from the server time.';

/**
 * Names a failure in the error codes of a JSON-protocol service such as ECR.
 * NOTE: the HTTP status codes are our best understanding of AWS's, not checked against AWS.
 * The SDK reacts to the error code of each of these, so a wrong status would not change its behaviour.
 */
export function jsonServiceAuthenticationError(failure: AuthenticationFailure): AwsError {
  switch (failure) {
    case 'missing-authentication':
      return new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    case 'unknown-key':
    case 'invalid-token':
      return new AwsError('UnrecognizedClientException', INVALID_TOKEN_MESSAGE, 400);
    case 'expired-token':
      return new AwsError('ExpiredTokenException', EXPIRED_TOKEN_MESSAGE, 400);
    case 'bad-signature':
      return new AwsError('InvalidSignatureException', SIGNATURE_MISMATCH_MESSAGE, 400);
    case 'signature-expired':
      return new AwsError('InvalidSignatureException', SIGNATURE_EXPIRED_MESSAGE, 400);
  }
}

/** Names a failure in STS's query-protocol error codes. */
export function stsAuthenticationError(failure: AuthenticationFailure): AwsError {
  switch (failure) {
    case 'missing-authentication':
      return new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    case 'unknown-key':
    case 'invalid-token':
      return new AwsError('InvalidClientTokenId', INVALID_TOKEN_MESSAGE, 403);
    case 'expired-token':
      return new AwsError('ExpiredToken', EXPIRED_TOKEN_MESSAGE, 400);
    case 'bad-signature':
      return new AwsError('SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE, 403);
    case 'signature-expired':
      return new AwsError('SignatureDoesNotMatch', SIGNATURE_EXPIRED_MESSAGE, 403);
  }
}
