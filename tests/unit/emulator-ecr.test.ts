import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecr';
import { AwsEmulator, type CredentialRecord } from '../emulator';
import { startStubRegistry, type StubRegistry } from '../support/stub-registry';

let registry: StubRegistry;
let emulator: AwsEmulator;
let user: CredentialRecord;

beforeAll(async () => {
  registry = await startStubRegistry();
  emulator = await AwsEmulator.start({ registryUrl: registry.url, registryPassword: registry.password });
});

afterAll(async () => {
  await emulator?.stop();
  await registry?.stop();
});

beforeEach(() => {
  emulator.reset();
  user = emulator.addCredentials({ label: 'pipeline-user' });
});

function ecrClient(options: { maxAttempts?: number } = {}): ECRClient {
  return new ECRClient({ endpoint: emulator.url, region: 'us-west-2', credentials: user, maxAttempts: options.maxAttempts ?? 1 });
}

async function ecrErrorOf(promise: Promise<unknown>): Promise<ECRServiceException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ECRServiceException);
    return error as ECRServiceException;
  }
  throw new Error('The request succeeded, but an error was expected');
}

describe('ECR emulation', () => {
  it('token decodes to registry credentials', async () => {
    const output = await ecrClient().send(new GetAuthorizationTokenCommand({}));

    const [data] = output.authorizationData ?? [];
    expect(Buffer.from(data.authorizationToken ?? '', 'base64').toString('utf8')).toBe(`AWS:${registry.password}`);
    expect(data.proxyEndpoint).toBe(emulator.registryFrontUrl);
    expect(data.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 11 * 3600_000);
  });

  it('registryIds selects another registry front', async () => {
    const output = await ecrClient().send(new GetAuthorizationTokenCommand({ registryIds: ['210987654321'] }));

    const proxyEndpoint = output.authorizationData?.[0].proxyEndpoint;
    expect(proxyEndpoint).toBe(await emulator.registryFrontUrlFor('210987654321'));
    expect(proxyEndpoint).not.toBe(emulator.registryFrontUrl);
  });

  it('reports a missing repository', async () => {
    const error = await ecrErrorOf(ecrClient().send(new DescribeRepositoriesCommand({ repositoryNames: ['team/missing'] })));

    expect(error.name).toBe('RepositoryNotFoundException');
    expect(error.message).toBe("The repository with name 'team/missing' does not exist in the registry with id '123456789012'");
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('creates a repository with every setting given', async () => {
    const output = await ecrClient().send(
      new CreateRepositoryCommand({
        repositoryName: 'team/app',
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-west-2:123456789012:key/test-key' },
        tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );

    expect(output.repository).toMatchObject({
      repositoryName: 'team/app',
      registryId: '123456789012',
      repositoryArn: 'arn:aws:ecr:us-west-2:123456789012:repository/team/app',
      repositoryUri: `${emulator.registryFrontHost}/team/app`,
      imageTagMutability: 'IMMUTABLE',
    });
    expect(output.repository?.createdAt).toBeInstanceOf(Date);
    expect(emulator.repository('team/app')).toMatchObject({
      region: 'us-west-2',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-west-2:123456789012:key/test-key' },
      tags: [{ Key: 'team', Value: 'platform' }],
    });
  });

  it('reports an existing repository', async () => {
    await emulator.createRepository('team/app');

    const error = await ecrErrorOf(ecrClient().send(new CreateRepositoryCommand({ repositoryName: 'team/app' })));

    expect(error.name).toBe('RepositoryAlreadyExistsException');
  });

  it('rejects an invalid repository name', async () => {
    const error = await ecrErrorOf(ecrClient().send(new CreateRepositoryCommand({ repositoryName: 'Team/App' })));

    expect(error.name).toBe('InvalidParameterException');
  });

  it('keeps repositories of other accounts apart', async () => {
    await emulator.createRepository('shared-name', { registryId: '210987654321' });

    const own = await ecrClient().send(new DescribeRepositoriesCommand({}));
    const other = await ecrClient().send(new DescribeRepositoriesCommand({ registryId: '210987654321' }));

    expect(own.repositories).toEqual([]);
    expect(other.repositories?.map((repository) => repository.repositoryName)).toEqual(['shared-name']);
    expect(other.repositories?.[0].repositoryUri).toBe(`${new URL(await emulator.registryFrontUrlFor('210987654321')).host}/shared-name`);
  });

  it('stores lifecycle and repository policies and tags', async () => {
    const repository = await emulator.createRepository('team/app');
    const lifecyclePolicyText = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }] });
    const policyText = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    const client = ecrClient();

    await client.send(new PutLifecyclePolicyCommand({ repositoryName: 'team/app', lifecyclePolicyText }));
    await client.send(new SetRepositoryPolicyCommand({ repositoryName: 'team/app', policyText }));
    await client.send(new TagResourceCommand({ resourceArn: repository.repositoryArn, tags: [{ Key: 'stage', Value: 'test' }] }));

    expect((await client.send(new GetLifecyclePolicyCommand({ repositoryName: 'team/app' }))).lifecyclePolicyText).toBe(lifecyclePolicyText);
    expect((await client.send(new GetRepositoryPolicyCommand({ repositoryName: 'team/app' }))).policyText).toBe(policyText);
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: repository.repositoryArn }))).tags).toEqual([{ Key: 'stage', Value: 'test' }]);
  });

  it('reports a missing lifecycle policy', async () => {
    await emulator.createRepository('team/app');

    const error = await ecrErrorOf(ecrClient().send(new GetLifecyclePolicyCommand({ repositoryName: 'team/app' })));

    expect(error.name).toBe('LifecyclePolicyNotFoundException');
  });

  it('denies an action to one access key', async () => {
    emulator.denyAction('ecr:CreateRepository', { accessKeyId: user.accessKeyId });

    const error = await ecrErrorOf(ecrClient().send(new CreateRepositoryCommand({ repositoryName: 'team/app' })));

    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('ecr:CreateRepository');
  });

  it('throttling is retried by the SDK', async () => {
    emulator.injectFault('DescribeRepositories', { kind: 'throttle', times: 2 });

    const output = await ecrClient({ maxAttempts: 3 }).send(new DescribeRepositoriesCommand({}));

    expect(output.repositories).toEqual([]);
    expect(emulator.requests.map((request) => [request.fault, request.status])).toEqual([
      ['throttle', 400],
      ['throttle', 400],
      [undefined, 200],
    ]);
  });

  it('answers a server error with status 500', async () => {
    emulator.injectFault('GetAuthorizationToken', { kind: 'server-error' });

    const error = await ecrErrorOf(ecrClient().send(new GetAuthorizationTokenCommand({})));

    expect(error.$metadata.httpStatusCode).toBe(500);
    expect(error.name).toBe('ServerException');
  });

  it('drops a connection without an answer', async () => {
    emulator.injectFault('DescribeRepositories', { kind: 'drop' });

    await expect(ecrClient().send(new DescribeRepositoriesCommand({}))).rejects.toThrow();
    expect(emulator.requests[0].fault).toBe('drop');
  });

  it('delays a slow answer', async () => {
    emulator.injectFault('DescribeRepositories', { kind: 'slow', delayMs: 300 });
    const started = Date.now();

    await ecrClient().send(new DescribeRepositoriesCommand({}));

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});
