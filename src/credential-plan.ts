import { TaskError } from './errors';

/**
 * Decides where the task's AWS credentials come from. Pure: it reads the
 * service connection and task variables it is given and returns a plan that
 * credentials.ts carries out.
 */

export const DEFAULT_ROLE_SESSION_NAME = 'aws-vsts-tools';
export const DEFAULT_ROLE_DURATION_SECONDS = 900;
const MAX_ROLE_DURATION_SECONDS = 43200;

/** Parameters of an `AWS` service connection (UsernamePassword scheme). */
export interface ServiceConnection {
    readonly id: string;
    readonly scheme: string | undefined;
    readonly parameters: Readonly<Record<string, string | undefined>>;
}

/** The AWS.* task variables that carry credentials. */
export interface CredentialVariables {
    readonly accessKeyId?: string;
    readonly secretAccessKey?: string;
    readonly sessionToken?: string;
    readonly assumeRoleArn?: string;
    readonly externalId?: string;
    readonly roleSessionName?: string;
}

export interface RoleRequest {
    readonly roleArn: string;
    readonly sessionName: string;
    readonly externalId: string | undefined;
    readonly durationSeconds: number;
}

export interface AccessKeys {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string | undefined;
}

export type CredentialOrigin = 'service-connection' | 'task-variables' | 'default-chain';

export type CredentialPlan =
    /** Access keys given directly, optionally used to assume a role. */
    | { readonly kind: 'keys'; readonly origin: CredentialOrigin; readonly keys: AccessKeys; readonly role?: RoleRequest }
    /** The SDK's default chain, optionally used to assume a role. */
    | { readonly kind: 'ambient'; readonly origin: CredentialOrigin; readonly role?: RoleRequest }
    /** OpenID Connect federation: an Azure DevOps token exchanged for the role. */
    | { readonly kind: 'web-identity'; readonly origin: 'service-connection'; readonly connectionId: string; readonly role: RoleRequest };

export interface CredentialPlanInput {
    readonly connection: ServiceConnection | undefined;
    readonly variables: CredentialVariables;
    /** The aws.rolecredential.maxduration variable. */
    readonly maxDurationVariable: string | undefined;
}

export interface CredentialDecision {
    readonly plan: CredentialPlan;
    /** The aws.rolecredential.maxduration value when it was out of range and 900 s is used instead. */
    readonly rejectedMaxDuration: string | undefined;
}

/** Chooses the credential source: service connection, then task variables, then the default chain. */
export function planCredentials(input: CredentialPlanInput): CredentialDecision {
    const duration = parseRoleDuration(input.maxDurationVariable);
    const rejectedMaxDuration = duration === undefined ? input.maxDurationVariable?.trim() : undefined;
    const decide = (plan: CredentialPlan): CredentialDecision => ({ plan, rejectedMaxDuration });
    const seconds = duration ?? DEFAULT_ROLE_DURATION_SECONDS;

    if (input.connection) {
        return decide(planFromConnection(input.connection, seconds));
    }

    const variables = input.variables;
    const role = roleRequest(variables.assumeRoleArn, variables.roleSessionName, variables.externalId, seconds);
    if (variables.accessKeyId) {
        if (!variables.secretAccessKey) {
            throw new TaskError('VariableSecretKeyMissing');
        }
        const keys = { accessKeyId: variables.accessKeyId, secretAccessKey: variables.secretAccessKey, sessionToken: variables.sessionToken || undefined };
        return decide({ kind: 'keys', origin: 'task-variables', keys, role });
    }
    if (role) {
        return decide({ kind: 'ambient', origin: 'task-variables', role });
    }
    return decide({ kind: 'ambient', origin: 'default-chain' });
}

function planFromConnection(connection: ServiceConnection, duration: number): CredentialPlan {
    const scheme = connection.scheme ?? 'UsernamePassword';
    if (scheme.toLowerCase() !== 'usernamepassword') {
        throw new TaskError('ServiceConnectionSchemeUnsupported', connection.id, scheme);
    }

    const parameter = (name: string): string | undefined => connection.parameters[name]?.trim() || undefined;
    const accessKeyId = parameter('username');
    const secretAccessKey = parameter('password');
    const role = roleRequest(parameter('assumeRoleArn'), parameter('roleSessionName'), parameter('externalId'), duration);
    const useOidc = parameter('useOIDC')?.toLowerCase() === 'true';

    if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
        throw new TaskError('ServiceConnectionKeyPairIncomplete', connection.id);
    }
    if (accessKeyId && secretAccessKey) {
        const keys = { accessKeyId, secretAccessKey, sessionToken: parameter('sessionToken') };
        return { kind: 'keys', origin: 'service-connection', keys, role };
    }
    if (!role) {
        throw new TaskError('ServiceConnectionEmpty', connection.id);
    }
    if (useOidc) {
        return { kind: 'web-identity', origin: 'service-connection', connectionId: connection.id, role };
    }
    return { kind: 'ambient', origin: 'service-connection', role };
}

function roleRequest(
    roleArn: string | undefined,
    sessionName: string | undefined,
    externalId: string | undefined,
    durationSeconds: number,
): RoleRequest | undefined {
    if (!roleArn?.trim()) {
        return undefined;
    }
    return {
        roleArn: roleArn.trim(),
        sessionName: sessionName?.trim() || DEFAULT_ROLE_SESSION_NAME,
        externalId: externalId?.trim() || undefined,
        durationSeconds,
    };
}

/**
 * Reads aws.rolecredential.maxduration: a whole number of seconds from 900 to
 * 43200. Returns 900 when the variable is unset and undefined when it is out of range.
 */
export function parseRoleDuration(value: string | undefined): number | undefined {
    if (value === undefined || value.trim() === '') {
        return DEFAULT_ROLE_DURATION_SECONDS;
    }
    const seconds = Number(value.trim());
    if (!Number.isInteger(seconds) || seconds < DEFAULT_ROLE_DURATION_SECONDS || seconds > MAX_ROLE_DURATION_SECONDS) {
        return undefined;
    }
    return seconds;
}
