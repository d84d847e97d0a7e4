import { httpRequest } from './http-request';

/**
 * Reads the region from the EC2 instance metadata service. Agents that do not
 * run on EC2 have no such service, so every request has a short timeout and the
 * whole lookup gives up within about two seconds.
 */

const DEFAULT_ENDPOINT = 'http://169.254.169.254';
const TOKEN_TTL_SECONDS = '60';
const REQUEST_TIMEOUT_MS = 1000;

export interface InstanceMetadataOptions {
    /** Base URL of the metadata service, from instanceMetadataEndpoint. */
    readonly endpoint: string;
    readonly debug: (message: string) => void;
}

/**
 * Returns the URL of the metadata service: AWS_EC2_METADATA_SERVICE_ENDPOINT, else
 * the standard address, or undefined when AWS_EC2_METADATA_DISABLED is true.
 */
export function instanceMetadataEndpoint(env: NodeJS.ProcessEnv): string | undefined {
    if ((env.AWS_EC2_METADATA_DISABLED ?? '').toLowerCase() === 'true') {
        return undefined;
    }
    return env.AWS_EC2_METADATA_SERVICE_ENDPOINT || DEFAULT_ENDPOINT;
}

/** Returns the instance's region, or undefined when the metadata service can't be reached. */
export async function readInstanceRegion(options: InstanceMetadataOptions): Promise<string | undefined> {
    const endpoint = options.endpoint.replace(/\/+$/, '');

    // IMDSv2 first; a service that rejects the token request still serves IMDSv1.
    let token: string | undefined;
    try {
        const response = await httpRequest(`${endpoint}/latest/api/token`, {
            method: 'PUT',
            headers: { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
            timeoutMs: REQUEST_TIMEOUT_MS,
        });
        if (response.status === 200) {
            token = response.body;
        } else {
            options.debug(`Instance metadata token request returned HTTP ${response.status}; trying IMDSv1.`);
        }
    } catch (error) {
        options.debug(`Instance metadata service not reachable at ${endpoint}: ${(error as Error).message}`);
        return undefined;
    }

    try {
        const headers: Record<string, string> = token ? { 'x-aws-ec2-metadata-token': token } : {};
        const response = await httpRequest(`${endpoint}/latest/dynamic/instance-identity/document`, {
            method: 'GET',
            headers,
            timeoutMs: REQUEST_TIMEOUT_MS,
        });
        if (response.status !== 200) {
            options.debug(`Instance identity document request returned HTTP ${response.status}.`);
            return undefined;
        }
        const document = JSON.parse(response.body) as { region?: unknown };
        return typeof document.region === 'string' && document.region ? document.region : undefined;
    } catch (error) {
        options.debug(`Instance identity document could not be read: ${(error as Error).message}`);
        return undefined;
    }
}
