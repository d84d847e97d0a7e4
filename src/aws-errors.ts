import { TaskError } from './errors';

/** Context of a failed AWS call, for the error line. */
export interface AwsCallContext {
    /** The IAM action of the call, for example `ecr:GetAuthorizationToken`. */
    readonly action: string;
    /** Source of the credentials, as a phrase for the log. */
    readonly credentialSource: string;
    readonly endpoint: string;
}

/** Error codes AWS returns when it does not accept the credentials themselves. */
const REJECTED_CREDENTIAL_CODES = new Set([
    'UnrecognizedClientException',
    'InvalidClientTokenId',
    'InvalidSignatureException',
    'SignatureDoesNotMatch',
    'ExpiredTokenException',
    'ExpiredToken',
    'InvalidAccessKeyId',
    'IncompleteSignature',
]);

const ACCESS_DENIED_CODES = new Set(['AccessDeniedException', 'AccessDenied']);

const NETWORK_ERROR_CODES = new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EPIPE',
]);

interface AwsErrorShape {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
}

/** Turns an error thrown by an AWS SDK call into a TaskError that names what to fix. */
export function toTaskError(error: unknown, context: AwsCallContext): TaskError {
    if (error instanceof TaskError) {
        return error;
    }
    const shape = (error ?? {}) as AwsErrorShape;
    const name = shape.name ?? 'Error';
    const message = shape.message ?? String(error);

    if (REJECTED_CREDENTIAL_CODES.has(name)) {
        return new TaskError('AwsCredentialsRejected', context.credentialSource, context.action, name, message);
    }
    if (ACCESS_DENIED_CODES.has(name)) {
        return new TaskError('AwsAccessDenied', context.action, message);
    }
    if ((shape.code && NETWORK_ERROR_CODES.has(shape.code)) || name === 'TimeoutError') {
        return new TaskError('AwsEndpointUnreachable', context.action, context.endpoint, shape.code ?? name, message);
    }
    return new TaskError('AwsCallFailed', context.action, name, message);
}
