import { makeAccessKeyId, makeSecretAccessKey, makeSessionToken } from './identifiers';

/** Origin of a set of credentials: a test added them, or an emulated service issued them. */
export type CredentialSource = 'static' | 'AssumeRole' | 'AssumeRoleWithWebIdentity' | 'instance-metadata' | 'container-credentials';

/** Credentials the emulator accepts in SigV4 signatures. */
export interface CredentialRecord {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials; requests must then send it in X-Amz-Security-Token. */
  readonly sessionToken?: string;
  readonly expiration?: Date;
  /** A name for assertions, e.g. 'pipeline-user' or 'assumed-role/deploy/aws-vsts-tools'. */
  readonly label: string;
  readonly accountId: string;
  /** The IAM user or assumed-role ARN that GetCallerIdentity returns and error messages name. */
  readonly principalArn: string;
  readonly source: CredentialSource;
  readonly roleArn?: string;
  readonly roleSessionName?: string;
}

export interface CredentialInput {
  /** Defaults to a fresh AKIA… key, or ASIA… when a session token is given. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly label?: string;
  readonly accountId?: string;
  readonly principalArn?: string;
  readonly source?: CredentialSource;
  readonly roleArn?: string;
  readonly roleSessionName?: string;
}

/** Registered access keys, by access key ID. */
export class CredentialStore {
  private readonly records = new Map<string, CredentialRecord>();

  constructor(private readonly defaultAccountId: string) {}

  add(input: CredentialInput = {}): CredentialRecord {
    const accessKeyId = input.accessKeyId ?? makeAccessKeyId(input.sessionToken ? 'ASIA' : 'AKIA');
    const accountId = input.accountId ?? this.defaultAccountId;
    const label = input.label ?? `user-${accessKeyId.slice(-6).toLowerCase()}`;
    const record: CredentialRecord = {
      accessKeyId,
      secretAccessKey: input.secretAccessKey ?? makeSecretAccessKey(),
      sessionToken: input.sessionToken,
      expiration: input.expiration,
      label,
      accountId,
      principalArn: input.principalArn ?? `arn:aws:iam::${accountId}:user/${label}`,
      source: input.source ?? 'static',
      roleArn: input.roleArn,
      roleSessionName: input.roleSessionName,
    };

    this.records.set(accessKeyId, record);
    return record;
  }

  /** Issues fresh temporary credentials (ASIA key, secret, session token) valid for durationSeconds. */
  issueTemporary(input: Omit<CredentialInput, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration'> & { durationSeconds: number }): CredentialRecord {
    return this.add({
      ...input,
      accessKeyId: makeAccessKeyId('ASIA'),
      secretAccessKey: makeSecretAccessKey(),
      sessionToken: makeSessionToken(),
      expiration: new Date(Date.now() + input.durationSeconds * 1000),
    });
  }

  find(accessKeyId: string): CredentialRecord | undefined {
    return this.records.get(accessKeyId);
  }

  all(): CredentialRecord[] {
    return [...this.records.values()];
  }

  /** Forgets every key except those kept, e.g. the instance profile's, which live as long as the emulator. */
  clear(keep: (record: CredentialRecord) => boolean = () => false): void {
    for (const [accessKeyId, record] of this.records) {
      if (!keep(record)) {
        this.records.delete(accessKeyId);
      }
    }
  }
}
