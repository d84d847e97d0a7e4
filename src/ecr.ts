import {
    CreateRepositoryCommand,
    DescribeRepositoriesCommand,
    ECRClient,
    GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

import { addLogging, type AwsClientSettings } from './aws-client';
import { toTaskError, type AwsCallContext } from './aws-errors';
import { TaskError } from './errors';

/** Docker credentials for one registry, from GetAuthorizationToken. */
export interface RegistryAuthorization {
    readonly username: string;
    readonly password: string;
    /** The registry URL, for example https://123456789012.dkr.ecr.us-east-1.amazonaws.com. */
    readonly proxyEndpoint: string;
    /** Host (and port) of the registry, as it appears in image references. */
    readonly registryHost: string;
}

export type RepositoryOutcome = 'created' | 'existed';

/** The ECR calls the push workflow makes. */
export interface EcrGateway {
    getAuthorization(): Promise<RegistryAuthorization>;
    /** Creates the repository unless it exists already. */
    ensureRepository(repositoryName: string): Promise<RepositoryOutcome>;
}

export interface EcrGatewaySettings extends AwsClientSettings {
    readonly credentials: AwsCredentialIdentityProvider;
    readonly credentialSource: string;
    readonly endpoint: string;
    readonly requestHandler: NodeHttpHandler;
    /** Called with each secret of the authorization token before it is used. */
    readonly registerSecret: (secret: string) => void;
}

/** Builds the ECR gateway on the AWS SDK for JavaScript v3. */
export function createEcrGateway(settings: EcrGatewaySettings): EcrGateway {
    const client = new ECRClient({
        region: settings.region,
        credentials: settings.credentials,
        requestHandler: settings.requestHandler,
        customUserAgent: settings.userAgent,
    });
    addLogging(client.middlewareStack, settings);

    const context = (action: string): AwsCallContext => ({
        action,
        credentialSource: settings.credentialSource,
        endpoint: settings.endpoint,
    });

    return {
        async getAuthorization() {
            const action = 'ecr:GetAuthorizationToken';
            let response;
            try {
                response = await client.send(new GetAuthorizationTokenCommand({}));
            } catch (error) {
                throw toTaskError(error, context(action));
            }
            const data = response.authorizationData?.[0];
            if (!data?.authorizationToken) {
                throw new TaskError('AuthorizationTokenMissing');
            }
            if (!data.proxyEndpoint) {
                throw new TaskError('ProxyEndpointMissing');
            }
            return decodeAuthorization(data.authorizationToken, data.proxyEndpoint, settings.registerSecret);
        },

        async ensureRepository(repositoryName) {
            try {
                await client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
                return 'existed';
            } catch (error) {
                if ((error as Error).name !== 'RepositoryNotFoundException') {
                    throw toTaskError(error, context('ecr:DescribeRepositories'));
                }
            }

            try {
                await client.send(new CreateRepositoryCommand({ repositoryName }));
                return 'created';
            } catch (error) {
                // Another run created the same repository between the two calls.
                if ((error as Error).name === 'RepositoryAlreadyExistsException') {
                    return 'existed';
                }
                throw toTaskError(error, context('ecr:CreateRepository'));
            }
        },
    };
}

/**
 * Splits an ECR authorization token (base64 of `user:password`) and registers
 * the token and the password as secrets before they go anywhere. The user name
 * ECR returns is the fixed, public word `AWS`; masking it would blank out that
 * word in every line of the log, so it is registered only when it is anything else.
 */
export function decodeAuthorization(
    token: string,
    proxyEndpoint: string,
    registerSecret: (secret: string) => void,
): RegistryAuthorization {
    registerSecret(token);
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator <= 0) {
        throw new TaskError('AuthorizationTokenInvalid');
    }
    const username = decoded.slice(0, separator);
    const password = decoded.slice(separator + 1);
    registerSecret(password);
    if (username !== 'AWS') {
        registerSecret(username);
    }

    return { username, password, proxyEndpoint, registryHost: registryHostOf(proxyEndpoint) };
}

/** Returns the host (and port) of a registry URL, as docker expects it in image references. */
export function registryHostOf(proxyEndpoint: string): string {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxyEndpoint) ? proxyEndpoint : `https://${proxyEndpoint}`;
    return new URL(withScheme).host;
}
