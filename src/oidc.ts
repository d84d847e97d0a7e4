import type { Agent } from 'node:http';

import { TaskError } from './errors';
import { httpRequest } from './http-request';
import type { Logger } from './logger';

/** The pipeline variables that locate the running job in Azure DevOps. */
export interface JobContext {
    readonly collectionUri: string | undefined;
    readonly teamProjectId: string | undefined;
    readonly hostType: string | undefined;
    readonly planId: string | undefined;
    readonly jobId: string | undefined;
    /** The job's access token: the SystemVssConnection AccessToken, else System.AccessToken. */
    readonly accessToken: string | undefined;
}

export interface OidcRequestOptions {
    readonly job: JobContext;
    readonly serviceConnectionId: string;
    readonly logger: Logger;
    readonly agentFor: (url: string) => Agent | undefined;
    /** Delays between attempts, in milliseconds; one attempt more than delays. */
    readonly retryDelaysMs?: readonly number[];
}

const API_VERSION = '7.1-preview.1';
const REQUEST_TIMEOUT_MS = 20_000;
const DEFAULT_RETRY_DELAYS_MS = [1000, 3000];

/** Returns the URL of the Azure DevOps API that issues an OIDC token for a service connection. */
export function oidcTokenUrl(job: JobContext, serviceConnectionId: string): string {
    const missing = (['collectionUri', 'teamProjectId', 'hostType', 'planId', 'jobId'] as const).filter((name) => !job[name]);
    if (missing.length > 0) {
        throw new TaskError('OidcJobContextMissing', missing.join(', '));
    }
    const collection = job.collectionUri!.endsWith('/') ? job.collectionUri! : `${job.collectionUri}/`;
    return (
        `${collection}${job.teamProjectId}/_apis/distributedtask/hubs/${job.hostType}` +
        `/plans/${job.planId}/jobs/${job.jobId}/oidctoken` +
        `?serviceConnectionId=${encodeURIComponent(serviceConnectionId)}&api-version=${API_VERSION}`
    );
}

/**
 * Asks Azure DevOps for an OIDC token for the service connection. Network
 * errors, throttling and server errors are retried, and any other response fails at once.
 */
export async function requestOidcToken(options: OidcRequestOptions): Promise<string> {
    const { job, logger } = options;
    if (!job.accessToken) {
        throw new TaskError('OidcAccessTokenMissing', options.serviceConnectionId);
    }
    const url = oidcTokenUrl(job, options.serviceConnectionId);
    const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;

    for (let attempt = 0; ; attempt++) {
        let failure: string;
        try {
            const response = await httpRequest(url, {
                method: 'POST',
                headers: {
                    Authorization: `Bearer ${job.accessToken}`,
                    'Content-Type': 'application/json',
                    Accept: 'application/json',
                },
                body: '{}',
                timeoutMs: REQUEST_TIMEOUT_MS,
                agent: options.agentFor(url),
            });
            if (response.status === 200) {
                return parseOidcToken(response.body, options.serviceConnectionId);
            }
            failure = `HTTP ${response.status} ${response.body.slice(0, 200)}`.trim();
            if (!isTransientStatus(response.status)) {
                throw new TaskError('OidcTokenRejected', options.serviceConnectionId, failure);
            }
        } catch (error) {
            if (error instanceof TaskError) {
                throw error;
            }
            failure = (error as Error).message;
        }

        if (attempt >= delays.length) {
            throw new TaskError('OidcTokenFailed', options.serviceConnectionId, attempt + 1, failure);
        }
        logger.info(logger.loc('OidcTokenRetry', attempt + 1, failure, delays[attempt]));
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
}

function isTransientStatus(status: number): boolean {
    return status === 408 || status === 429 || status >= 500;
}

function parseOidcToken(body: string, serviceConnectionId: string): string {
    let token: unknown;
    try {
        token = (JSON.parse(body) as { oidcToken?: unknown }).oidcToken;
    } catch {
        token = undefined;
    }
    if (typeof token !== 'string' || token.length === 0) {
        throw new TaskError('OidcTokenRejected', serviceConnectionId, 'the response holds no oidcToken');
    }
    return token;
}
