import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { AwsEmulator } from '../emulator';
import { httpRequest } from '../support/http-client';
import { startStubRegistry, type StubRegistry } from '../support/stub-registry';

let registry: StubRegistry;
let emulator: AwsEmulator;

beforeAll(async () => {
  registry = await startStubRegistry();
  emulator = await AwsEmulator.start({ registryUrl: registry.url, registryPassword: registry.password });
});

afterAll(async () => {
  await emulator?.stop();
  await registry?.stop();
});

beforeEach(() => emulator.reset());

const ROLE_ARN = 'arn:aws:iam::210987654321:role/ecr-push';

function stsClient(credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): STSClient {
  return new STSClient({ endpoint: emulator.url, region: 'eu-central-1', credentials, maxAttempts: 1 });
}

async function stsErrorOf(promise: Promise<unknown>): Promise<STSServiceException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(STSServiceException);
    return error as STSServiceException;
  }
  throw new Error('The request succeeded, but an error was expected');
}

describe('STS emulation', () => {
  it('issues role credentials that ECR accepts', async () => {
    const user = emulator.addCredentials({ label: 'base-user' });

    const assumed = await stsClient(user).send(
      new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'aws-vsts-tools', DurationSeconds: 900, ExternalId: 'shared-external-id' }),
    );
    const roleCredentials = {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken,
    };
    await new ECRClient({ endpoint: emulator.url, region: 'eu-central-1', credentials: roleCredentials, maxAttempts: 1 }).send(new DescribeRepositoriesCommand({}));

    expect(roleCredentials.accessKeyId).toMatch(/^ASIA/);
    expect(assumed.AssumedRoleUser?.Arn).toBe('arn:aws:sts::210987654321:assumed-role/ecr-push/aws-vsts-tools');
    expect(assumed.Credentials?.Expiration?.getTime()).toBeGreaterThan(Date.now() + 800_000);
    expect(emulator.roleSessions).toHaveLength(1);
    expect(emulator.roleSessions[0]).toMatchObject({ roleArn: ROLE_ARN, roleSessionName: 'aws-vsts-tools', durationSeconds: 900, externalId: 'shared-external-id', callerAccessKeyId: user.accessKeyId });
    const ecrRequest = emulator.requests.find((request) => request.service === 'ecr');
    expect(ecrRequest?.accessKeyId).toBe(roleCredentials.accessKeyId);
    expect(ecrRequest?.credentialLabel).toBe('assumed-role/ecr-push/aws-vsts-tools');
    expect(ecrRequest?.authenticated).toBe(true);
  });

  it('records AssumeRole parameters in the request log', async () => {
    const user = emulator.addCredentials();

    await stsClient(user).send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'my-session', DurationSeconds: 1800 }));

    const [request] = emulator.requests;
    expect(request.service).toBe('sts');
    expect(request.operation).toBe('AssumeRole');
    expect(request.region).toBe('eu-central-1');
    expect(request.body).toMatchObject({ RoleArn: ROLE_ARN, RoleSessionName: 'my-session', DurationSeconds: '1800' });
  });

  it('denies AssumeRole without the required external ID', async () => {
    const user = emulator.addCredentials();
    emulator.configureRole(ROLE_ARN, { externalId: 'expected-external-id' });

    const error = await stsErrorOf(stsClient(user).send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'session' })));

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toContain('sts:AssumeRole');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('denies AssumeRole of a denied role', async () => {
    const user = emulator.addCredentials();
    emulator.configureRole(ROLE_ARN, { denied: 'the trust policy names another account' });

    const error = await stsErrorOf(stsClient(user).send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'session' })));

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toContain('the trust policy names another account');
  });

  it('rejects a session longer than the role allows', async () => {
    const user = emulator.addCredentials();

    const error = await stsErrorOf(stsClient(user).send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'session', DurationSeconds: 7200 })));

    expect(error.name).toBe('ValidationError');
  });

  it('rejects a wrong secret with SignatureDoesNotMatch', async () => {
    const user = emulator.addCredentials();

    const error = await stsErrorOf(stsClient({ accessKeyId: user.accessKeyId, secretAccessKey: 'wrong'.repeat(8) }).send(new GetCallerIdentityCommand({})));

    expect(error.name).toBe('SignatureDoesNotMatch');
  });

  it('rejects an unknown key with InvalidClientTokenId', async () => {
    const error = await stsErrorOf(stsClient({ accessKeyId: 'AKIAUNKNOWNUNKNOWN12', secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})));

    expect(error.name).toBe('InvalidClientTokenId');
  });

  it('rejects expired role credentials with ExpiredToken', async () => {
    const expired = emulator.addCredentials({ sessionToken: 'token', expiration: new Date(Date.now() - 60_000) });

    const error = await stsErrorOf(stsClient(expired).send(new GetCallerIdentityCommand({})));

    expect(error.name).toBe('ExpiredToken');
  });

  it('returns the caller identity of a user key', async () => {
    const user = emulator.addCredentials({ label: 'ci-user', accountId: '111122223333' });

    const identity = await stsClient(user).send(new GetCallerIdentityCommand({}));

    expect(identity.Account).toBe('111122223333');
    expect(identity.Arn).toBe('arn:aws:iam::111122223333:user/ci-user');
    expect(identity.UserId).toMatch(/^AIDA/);
  });

  it('exchanges an OIDC token for credentials', async () => {
    const oidcResponse = await httpRequest(
      `${emulator.url}/organization/project-id/_apis/distributedtask/hubs/build/plans/plan-id/jobs/job-id/oidctoken?serviceConnectionId=connection-id&api-version=7.1-preview.1`,
      { method: 'POST', headers: { authorization: `Bearer ${emulator.oidcAccessToken}`, 'content-type': 'application/json' }, body: '{}' },
    );
    const { oidcToken } = JSON.parse(oidcResponse.body.toString('utf8')) as { oidcToken: string };

    const assumed = await stsClient().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'oidc-session', WebIdentityToken: oidcToken }));

    expect(oidcResponse.status).toBe(200);
    expect(oidcToken.split('.')).toHaveLength(3);
    expect(emulator.issuedOidcTokens[0]).toMatchObject({ projectId: 'project-id', hostType: 'build', planId: 'plan-id', jobId: 'job-id', serviceConnectionId: 'connection-id' });
    expect(assumed.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(assumed.SubjectFromWebIdentityToken).toBe('sc://emulated-organization/project-id/connection-id');
    expect(emulator.roleSessions[0]).toMatchObject({ action: 'AssumeRoleWithWebIdentity', webIdentityToken: oidcToken });
  });

  it('OIDC endpoint rejects wrong access token', async () => {
    const response = await httpRequest(
      `${emulator.url}/org/project/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken?serviceConnectionId=c&api-version=7.1-preview.1`,
      { method: 'POST', headers: { authorization: 'Bearer not-the-job-token' } },
    );

    expect(response.status).toBe(401);
    expect(emulator.issuedOidcTokens).toHaveLength(0);
  });

  it('rejects an unknown web identity token', async () => {
    const error = await stsErrorOf(stsClient().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'session', WebIdentityToken: 'a.b.c' })));

    // The wire code is InvalidIdentityToken; the SDK names its modeled exception with the Exception suffix.
    expect(error.name).toBe('InvalidIdentityTokenException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});
