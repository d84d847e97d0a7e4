import { AwsError } from './aws-error';
import type { CredentialRecord, CredentialStore } from './credential-store';
import { makeUniqueId } from './identifiers';
import { element, optionalElement } from './sts-xml';

/** How the emulated IAM treats one role. Roles that were never configured can be assumed by anyone. */
export interface RoleSettings {
  /** When set, AssumeRole must send exactly this ExternalId. */
  readonly externalId?: string;
  /** Deny every AssumeRole of this role; a string replaces the reason in the message. */
  readonly denied?: boolean | string;
  /** The role's maximum session duration; AWS's default is 3600 s. */
  readonly maxSessionDurationSeconds?: number;
}

/** A web identity (OIDC) token that AssumeRoleWithWebIdentity accepts. */
export interface WebIdentityTokenSettings {
  readonly subject?: string;
  readonly audience?: string;
  readonly provider?: string;
  /** Roles this token may assume; any role when left out. */
  readonly roleArns?: readonly string[];
  readonly expiresAt?: Date;
}

/** One successful role assumption, for assertions. */
export interface IssuedRoleSession {
  readonly action: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly durationSeconds: number;
  readonly externalId?: string;
  /** Access key that signed AssumeRole; undefined for AssumeRoleWithWebIdentity. */
  readonly callerAccessKeyId?: string;
  readonly webIdentityToken?: string;
  readonly credentials: CredentialRecord;
}

/** Actions STS accepts without a signature. */
export const UNSIGNED_STS_ACTIONS = new Set(['AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML']);

const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
const DEFAULT_DURATION_SECONDS = 3600;
const DEFAULT_MAX_SESSION_SECONDS = 3600;
/** AWS limits sessions of a role assumed with another role's credentials to one hour. */
const ROLE_CHAINING_MAX_SECONDS = 3600;

type Parameters = Readonly<Record<string, string>>;

/** The STS actions of the query API, rendered as the inner XML of each action's Result element. */
export class StsApi {
  private readonly roles = new Map<string, RoleSettings>();
  private readonly webIdentityTokens = new Map<string, WebIdentityTokenSettings>();
  private readonly roleIds = new Map<string, string>();
  private readonly userIds = new Map<string, string>();
  readonly sessions: IssuedRoleSession[] = [];

  constructor(private readonly store: CredentialStore) {}

  configureRole(roleArn: string, settings: RoleSettings): void {
    this.roles.set(roleArn, settings);
  }

  addWebIdentityToken(token: string, settings: WebIdentityTokenSettings = {}): void {
    this.webIdentityTokens.set(token, settings);
  }

  clear(): void {
    this.roles.clear();
    this.webIdentityTokens.clear();
    this.sessions.length = 0;
  }

  /** Runs one action; the caller is undefined only for unsigned actions. */
  handle(action: string, parameters: Parameters, caller: CredentialRecord | undefined): readonly (string | undefined)[] {
    switch (action) {
      case 'AssumeRole':
        return this.assumeRole(parameters, requireCaller(caller));
      case 'AssumeRoleWithWebIdentity':
        return this.assumeRoleWithWebIdentity(parameters);
      case 'GetCallerIdentity':
        return this.getCallerIdentity(requireCaller(caller));
      default:
        throw new AwsError('InvalidAction', `The STS emulator does not implement the action '${action}'.`, 400);
    }
  }

  private assumeRole(parameters: Parameters, caller: CredentialRecord): readonly (string | undefined)[] {
    const { roleArn, roleName, accountId } = parseRoleArn(parameters.RoleArn);
    const roleSessionName = validateSessionName(parameters.RoleSessionName);
    const role = this.roles.get(roleArn) ?? {};
    // Instance profile, container and assumed-role credentials are all role sessions, so assuming a role with them is role chaining.
    const durationSeconds = this.validateDuration(parameters.DurationSeconds, role, caller.roleArn !== undefined);
    const externalId = parameters.ExternalId;

    let deniedBecause: string | undefined;
    if (typeof role.denied === 'string') {
      deniedBecause = role.denied;
    } else if (role.denied) {
      deniedBecause = 'the role trust policy does not allow this principal';
    }
    const wrongExternalId = role.externalId !== undefined && role.externalId !== externalId;
    if (deniedBecause !== undefined || wrongExternalId) {
      throw new AwsError(
        'AccessDenied',
        `User: ${caller.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}` +
          (wrongExternalId ? ' (the external ID is missing or does not match)' : ` (${deniedBecause})`),
        403,
      );
    }

    const credentials = this.issue(roleArn, roleName, roleSessionName, accountId, durationSeconds, 'AssumeRole');
    this.sessions.push({ action: 'AssumeRole', roleArn, roleSessionName, durationSeconds, externalId, callerAccessKeyId: caller.accessKeyId, credentials });
    return [credentialsXml(credentials), assumedRoleUserXml(credentials, this.roleId(roleArn))];
  }

  private assumeRoleWithWebIdentity(parameters: Parameters): readonly (string | undefined)[] {
    const { roleArn, roleName, accountId } = parseRoleArn(parameters.RoleArn);
    const roleSessionName = validateSessionName(parameters.RoleSessionName);
    const durationSeconds = this.validateDuration(parameters.DurationSeconds, this.roles.get(roleArn) ?? {}, false);
    const token = parameters.WebIdentityToken;

    const settings = token ? this.webIdentityTokens.get(token) : undefined;
    if (!token || !settings) {
      throw new AwsError('InvalidIdentityToken', 'The web identity token is not one this account trusts.', 400);
    }
    if (settings.expiresAt && settings.expiresAt.getTime() <= Date.now()) {
      throw new AwsError('ExpiredTokenException', `The web identity token expired at ${settings.expiresAt.toISOString()}.`, 400);
    }
    if (settings.roleArns && !settings.roleArns.includes(roleArn)) {
      throw new AwsError('AccessDenied', `Not authorized to perform sts:AssumeRoleWithWebIdentity on ${roleArn} with this web identity token.`, 403);
    }

    const credentials = this.issue(roleArn, roleName, roleSessionName, accountId, durationSeconds, 'AssumeRoleWithWebIdentity');
    this.sessions.push({ action: 'AssumeRoleWithWebIdentity', roleArn, roleSessionName, durationSeconds, webIdentityToken: token, credentials });
    return [
      optionalElement('SubjectFromWebIdentityToken', settings.subject ?? 'test-subject'),
      optionalElement('Audience', settings.audience ?? 'sts.amazonaws.com'),
      credentialsXml(credentials),
      assumedRoleUserXml(credentials, this.roleId(roleArn)),
      optionalElement('Provider', settings.provider ?? 'test-identity-provider'),
    ];
  }

  private getCallerIdentity(caller: CredentialRecord): readonly (string | undefined)[] {
    const userId = caller.roleArn ? `${this.roleId(caller.roleArn)}:${caller.roleSessionName ?? 'session'}` : this.userId(caller.accessKeyId);
    return [element('Arn', caller.principalArn), element('UserId', userId), element('Account', caller.accountId)];
  }

  private issue(roleArn: string, roleName: string, roleSessionName: string, accountId: string, durationSeconds: number, source: 'AssumeRole' | 'AssumeRoleWithWebIdentity'): CredentialRecord {
    return this.store.issueTemporary({
      durationSeconds,
      label: `assumed-role/${roleName}/${roleSessionName}`,
      accountId,
      principalArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${roleSessionName}`,
      source,
      roleArn,
      roleSessionName,
    });
  }

  private validateDuration(value: string | undefined, role: RoleSettings, chained: boolean): number {
    const durationSeconds = value === undefined ? DEFAULT_DURATION_SECONDS : Number(value);
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
      throw new AwsError('ValidationError', `DurationSeconds must be an integer from 900 to 43200; got '${value}'.`, 400);
    }
    if (chained && durationSeconds > ROLE_CHAINING_MAX_SECONDS) {
      throw new AwsError('ValidationError', `The requested DurationSeconds (${durationSeconds}) is over the one-hour limit for a role assumed with another role's credentials.`, 400);
    }
    const maximum = role.maxSessionDurationSeconds ?? DEFAULT_MAX_SESSION_SECONDS;
    if (durationSeconds > maximum) {
      throw new AwsError('ValidationError', `The requested DurationSeconds (${durationSeconds}) is over the MaxSessionDuration of this role (${maximum}).`, 400);
    }
    return durationSeconds;
  }

  private roleId(roleArn: string): string {
    return stableId(this.roleIds, roleArn, 'AROA');
  }

  private userId(accessKeyId: string): string {
    return stableId(this.userIds, accessKeyId, 'AIDA');
  }
}

function stableId(ids: Map<string, string>, key: string, prefix: string): string {
  let id = ids.get(key);
  if (!id) {
    id = makeUniqueId(prefix);
    ids.set(key, id);
  }
  return id;
}

function requireCaller(caller: CredentialRecord | undefined): CredentialRecord {
  if (!caller) {
    throw new AwsError('MissingAuthenticationToken', 'This action requires a signed request.', 403);
  }
  return caller;
}

function parseRoleArn(value: string | undefined): { roleArn: string; roleName: string; accountId: string } {
  const match = value ? ROLE_ARN_PATTERN.exec(value) : null;
  if (!value || !match) {
    throw new AwsError('ValidationError', `'${value ?? ''}' is not a valid IAM role ARN (arn:aws:iam::<account>:role/<name>).`, 400);
  }
  return { roleArn: value, accountId: match[1], roleName: match[2] };
}

function validateSessionName(value: string | undefined): string {
  if (!value || !SESSION_NAME_PATTERN.test(value)) {
    throw new AwsError('ValidationError', `RoleSessionName '${value ?? ''}' must be 2 to 64 characters of letters, digits and + = , . @ _ -.`, 400);
  }
  return value;
}

function credentialsXml(credentials: CredentialRecord): string {
  return element('Credentials', [
    element('AccessKeyId', credentials.accessKeyId),
    element('SecretAccessKey', credentials.secretAccessKey),
    element('SessionToken', credentials.sessionToken ?? ''),
    element('Expiration', isoSeconds(credentials.expiration ?? new Date())),
  ]);
}

function assumedRoleUserXml(credentials: CredentialRecord, roleId: string): string {
  return element('AssumedRoleUser', [element('AssumedRoleId', `${roleId}:${credentials.roleSessionName}`), element('Arn', credentials.principalArn)]);
}

/** ISO 8601 without milliseconds, as AWS writes timestamps. */
export function isoSeconds(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
