import type { MiddlewareStack } from '@smithy/types';

import type { Logger } from './logger';

/** Settings every AWS client of the task shares. */
export interface AwsClientSettings {
    readonly region: string;
    readonly userAgent: [string, string][];
    readonly logRequest: boolean;
    readonly logResponse: boolean;
    readonly logger: Logger;
}

const REDACTED_HEADERS = new Set(['authorization', 'x-amz-security-token', 'cookie', 'set-cookie', 'proxy-authorization']);

/** Returns the default endpoint of a service in a region, unless AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL overrides it. */
export function serviceEndpoint(service: 'ECR' | 'STS', region: string, env: NodeJS.ProcessEnv): string {
    const override = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
    if (override) {
        return override;
    }
    const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    return service === 'ECR' ? `https://api.ecr.${region}.${domain}` : `https://sts.${region}.${domain}`;
}

export function redactHeaders(headers: Record<string, string | undefined>): Record<string, string> {
    const redacted: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
        redacted[name] = REDACTED_HEADERS.has(name.toLowerCase()) ? '<redacted>' : String(value ?? '');
    }
    return redacted;
}

interface RawRequest {
    method?: string;
    protocol?: string;
    hostname?: string;
    port?: number;
    path?: string;
    headers?: Record<string, string>;
}

interface RawResponse {
    statusCode?: number;
    headers?: Record<string, string>;
}

/**
 * Adds the task's logging to a client: the request ID of every call in the
 * task log, and with logRequest / logResponse each attempt's request and
 * response headers in the debug log, with credentials redacted.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function addLogging(stack: MiddlewareStack<any, any>, settings: AwsClientSettings): void {
    const { logger } = settings;

    stack.add(
        (next, context) => async (args) => {
            const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
            const operation = `${service} ${(context.commandName ?? 'call').replace(/Command$/, '')}`;
            try {
                const result = await next(args);
                const requestId = (result.output as { $metadata?: { requestId?: string } }).$metadata?.requestId;
                logger.info(logger.loc('AwsRequestId', operation, requestId ?? 'none'));
                return result;
            } catch (error) {
                const { name, $metadata } = error as { name?: string; $metadata?: { requestId?: string } };
                logger.info(logger.loc('AwsRequestFailedId', operation, name ?? 'an error', $metadata?.requestId ?? 'none'));
                throw error;
            }
        },
        { step: 'initialize', name: 'ecrPushTaskRequestId', override: true },
    );

    if (!settings.logRequest && !settings.logResponse) {
        return;
    }
    stack.add(
        (next) => async (args) => {
            const request = args.request as RawRequest;
            if (settings.logRequest) {
                logger.debug(
                    `AWS request: ${request.method} ${request.protocol ?? 'https:'}//${request.hostname}` +
                        `${request.port ? `:${request.port}` : ''}${request.path} ` +
                        JSON.stringify(redactHeaders(request.headers ?? {})),
                );
            }
            const result = await next(args);
            if (settings.logResponse) {
                const response = result.response as RawResponse;
                logger.debug(
                    `AWS response: HTTP ${response.statusCode} ` + JSON.stringify(redactHeaders(response.headers ?? {})),
                );
            }
            return result;
        },
        { step: 'deserialize', name: 'ecrPushTaskWireLog', override: true },
    );
}
