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

/** Credentials that expire sooner than this are fetched again. The AWS SDK clients use the same margin. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

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
    /** Source of the credentials, as a phrase for the log, with no secret in it. */
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

    const provider = reusing(registering(buildProvider(plan, ambient, settings), settings.registerSecret));
    const describeBase = (): string => {
        if (plan.kind === 'keys') {
            return describeKeys(plan, logger);
        }
        if (plan.kind === 'web-identity') {
            return logger.loc('CredentialSourceOidcToken', plan.connectionId);
        }
        return ambientCredentials ? describeAmbient(ambientCredentials, settings.env, logger) : logger.loc('CredentialSourceDefaultChain');
    };

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
        // Each refresh requests a new token from Azure DevOps, because its tokens are short-lived.
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

/**
 * Returns the credentials of the last fetch until they are about to expire, so that
 * the check in resolveCredentials and the ECR client's first call share one
 * fetch: one AssumeRole, one OIDC token, one metadata request.
 */
function reusing(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
    let latest: Promise<AwsCredentialIdentity> | undefined;
    return async (options) => {
        const previous = await latest?.catch(() => undefined);
        if (previous && !options?.forceRefresh && !expiresSoon(previous)) {
            return previous;
        }
        latest = provider(options);
        return latest;
    };
}

function expiresSoon(credentials: AwsCredentialIdentity): boolean {
    return credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_MARGIN_MS;
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
    // The container metadata and instance metadata providers of @smithy/credential-provider-imds
    // (4.x) mark nothing. The chain queries the container endpoint only when one is configured,
    // and instance metadata otherwise, so the environment distinguishes the two.
    if (features.length === 0) {
        const container = env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
        return logger.loc(container ? 'CredentialSourceContainer' : 'CredentialSourceInstanceMetadata');
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
    let action = 'sts:GetCallerIdentity';
    if (plan.kind === 'web-identity') {
        action = 'sts:AssumeRoleWithWebIdentity';
    } else if (plan.role) {
        action = 'sts:AssumeRole';
    }
    // A denied role is mostly the role's trust policy, not a permission of the caller, so the
    // line names the role and where the caller's credentials came from.
    if (plan.role && (name === 'AccessDenied' || name === 'AccessDeniedException')) {
        return new TaskError('RoleAssumptionDenied', action, plan.role.roleArn, baseSource, (error as Error).message);
    }
    return toTaskError(error, { action, credentialSource: baseSource, endpoint: settings.stsEndpoint });
}
