import {
    fromNodeProviderChain,
    fromTemporaryCredentials,
    fromWebToken,
} from '@aws-sdk/credential-providers';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

import { toTaskError } from './aws-errors';
import type { AccessKeys, CredentialPlan, RoleRequest } from './credential-plan';
import { TaskError } from './errors';
import type { Logger } from './logger';

export interface CredentialSettings {
    readonly region: string;
    /** Request handler for STS, which carries the proxy. */
    readonly stsRequestHandler: NodeHttpHandler;
    readonly stsEndpoint: string;
    readonly userAgent: [string, string][];
    readonly registerSecret: (secret: string) => void;
    /** Fetches the OIDC token of a service connection from Azure DevOps. */
    readonly requestOidcToken: (connectionId: string) => Promise<string>;
    readonly env: NodeJS.ProcessEnv;
    readonly logger: Logger;
}

export interface ResolvedCredentials {
    /** Refreshes by itself, and registers every credential it returns as a secret. */
    readonly provider: AwsCredentialIdentityProvider;
    /** Where the credentials came from, as a phrase for the log, with no secret in it. */
    readonly source: string;
}

/**
 * Carries out a credential plan. It fetches the credentials once, so that a
 * problem stops the task here with its source named, and registers each key,
 * secret, session token and OIDC token as a secret before it is used.
 */
export async function resolveCredentials(plan: CredentialPlan, settings: CredentialSettings): Promise<ResolvedCredentials> {
    const { logger } = settings;
    let ambientCredentials: AwsCredentialIdentity | undefined;
    const ambient: AwsCredentialIdentityProvider = async (options) => {
        ambientCredentials = await fromNodeProviderChain({
            clientConfig: { region: settings.region, requestHandler: settings.stsRequestHandler },
        })(options);
        return ambientCredentials;
    };

    const provider = registering(buildProvider(plan, ambient, settings), settings.registerSecret);
    const describeBase = (): string =>
        plan.kind === 'keys'
            ? describeKeys(plan, logger)
            : ambientCredentials
              ? describeAmbient(ambientCredentials, settings.env, logger)
              : logger.loc('CredentialSourceDefaultChain');

    try {
        await provider();
    } catch (error) {
        throw credentialError(error, plan, describeBase(), settings);
    }

    let source: string;
    if (plan.kind === 'web-identity') {
        source = logger.loc('CredentialSourceOidc', plan.role.roleArn, plan.connectionId);
    } else if (plan.role) {
        source = logger.loc('CredentialSourceRole', plan.role.roleArn, describeBase());
    } else {
        source = describeBase();
    }
    return { provider, source };
}

function buildProvider(
    plan: CredentialPlan,
    ambient: AwsCredentialIdentityProvider,
    settings: CredentialSettings,
): AwsCredentialIdentityProvider {
    const clientConfig = {
        region: settings.region,
        requestHandler: settings.stsRequestHandler,
        customUserAgent: settings.userAgent,
    };

    if (plan.kind === 'web-identity') {
        // Each refresh asks Azure DevOps for a new token, because its tokens are short-lived.
        return async () => {
            const token = await settings.requestOidcToken(plan.connectionId);
            settings.registerSecret(token);
            return fromWebToken({
                roleArn: plan.role.roleArn,
                roleSessionName: plan.role.sessionName,
                durationSeconds: plan.role.durationSeconds,
                webIdentityToken: token,
                // eslint-disable-next-line @typescript-eslint/no-explicit-any
                clientConfig: clientConfig as any,
            })();
        };
    }

    const base = plan.kind === 'keys' ? staticProvider(plan.keys, settings.registerSecret) : ambient;
    if (!plan.role) {
        return base;
    }
    return fromTemporaryCredentials({
        masterCredentials: registering(base, settings.registerSecret),
        params: roleParameters(plan.role),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        clientConfig: clientConfig as any,
    });
}

function roleParameters(role: RoleRequest) {
    return {
        RoleArn: role.roleArn,
        RoleSessionName: role.sessionName,
        DurationSeconds: role.durationSeconds,
        ExternalId: role.externalId,
    };
}

function staticProvider(keys: AccessKeys, registerSecret: (secret: string) => void): AwsCredentialIdentityProvider {
    registerSecret(keys.accessKeyId);
    registerSecret(keys.secretAccessKey);
    if (keys.sessionToken) {
        registerSecret(keys.sessionToken);
    }
    const credentials: AwsCredentialIdentity = {
        accessKeyId: keys.accessKeyId,
        secretAccessKey: keys.secretAccessKey,
        sessionToken: keys.sessionToken,
    };
    return async () => credentials;
}

function registering(
    provider: AwsCredentialIdentityProvider,
    registerSecret: (secret: string) => void,
): AwsCredentialIdentityProvider {
    return async (options) => {
        const credentials = await provider(options);
        registerSecret(credentials.accessKeyId);
        registerSecret(credentials.secretAccessKey);
        if (credentials.sessionToken) {
            registerSecret(credentials.sessionToken);
        }
        return credentials;
    };
}

function describeKeys(plan: Extract<CredentialPlan, { kind: 'keys' }>, logger: Logger): string {
    if (plan.origin === 'service-connection') {
        return logger.loc('CredentialSourceConnectionKeys');
    }
    return logger.loc('CredentialSourceVariables');
}

/**
 * Names the provider of the SDK's default chain that returned the credentials.
 * The SDK marks credentials with the feature that produced them in `$source`.
 */
export function describeAmbient(credentials: AwsCredentialIdentity, env: NodeJS.ProcessEnv, logger: Logger): string {
    const features = Object.keys((credentials as { $source?: Record<string, string> }).$source ?? {});
    const has = (prefix: string): boolean => features.some((feature) => feature.startsWith(prefix));
    const profile = env.AWS_PROFILE || 'default';

    if (has('CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN') || has('CREDENTIALS_STS_ASSUME_ROLE_WEB_ID')) {
        return logger.loc('CredentialSourceWebIdentityFile');
    }
    if (has('CREDENTIALS_ENV_VARS')) {
        return logger.loc('CredentialSourceEnvironment');
    }
    if (has('CREDENTIALS_SSO')) {
        return logger.loc('CredentialSourceSso', profile);
    }
    if (has('CREDENTIALS_PROFILE') || has('CREDENTIALS_PROCESS')) {
        return logger.loc('CredentialSourceProfile', profile);
    }
    if (has('CREDENTIALS_HTTP')) {
        return logger.loc('CredentialSourceContainer');
    }
    if (has('CREDENTIALS_IMDS')) {
        return logger.loc('CredentialSourceInstanceMetadata');
    }
    return logger.loc('CredentialSourceDefaultChain');
}

function credentialError(error: unknown, plan: CredentialPlan, baseSource: string, settings: CredentialSettings): TaskError {
    if (error instanceof TaskError) {
        return error;
    }
    const name = (error as Error | undefined)?.name;
    if (name === 'CredentialsProviderError' && plan.kind === 'ambient') {
        return new TaskError('NoCredentialsFound', (error as Error).message);
    }
    const action = plan.kind === 'web-identity' ? 'sts:AssumeRoleWithWebIdentity' : plan.role ? 'sts:AssumeRole' : 'sts:GetCallerIdentity';
    return toTaskError(error, { action, credentialSource: baseSource, endpoint: settings.stsEndpoint });
}
