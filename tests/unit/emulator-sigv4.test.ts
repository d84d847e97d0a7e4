import { DescribeRepositoriesCommand, ECRClient, ECRServiceException } from '@aws-sdk/client-ecr';
import { AwsEmulator } from '../emulator';
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

function ecrClient(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = 'eu-west-1'): ECRClient {
  return new ECRClient({ endpoint: emulator.url, region, credentials, maxAttempts: 1 });
}

async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ECRServiceException);
    return (error as ECRServiceException).name;
  }
  throw new Error('The request succeeded, but an error was expected');
}

describe('SigV4 verification on ECR', () => {
  it('accepts a request signed with the right secret', async () => {
    const user = emulator.addCredentials({ label: 'pipeline-user' });

    const output = await ecrClient(user).send(new DescribeRepositoriesCommand({}));

    expect(output.repositories).toEqual([]);
    const [request] = emulator.requests;
    expect(request.operation).toBe('DescribeRepositories');
    expect(request.accessKeyId).toBe(user.accessKeyId);
    expect(request.credentialLabel).toBe('pipeline-user');
    expect(request.region).toBe('eu-west-1');
    expect(request.signingService).toBe('ecr');
    expect(request.authenticated).toBe(true);
    expect(request.status).toBe(200);
  });

  it('rejects a wrong secret', async () => {
    const user = emulator.addCredentials();

    const code = await errorCodeOf(ecrClient({ accessKeyId: user.accessKeyId, secretAccessKey: `${user.secretAccessKey}x` }).send(new DescribeRepositoriesCommand({})));

    expect(code).toBe('InvalidSignatureException');
    expect(emulator.requests[0].accessKeyId).toBe(user.accessKeyId);
    expect(emulator.requests[0].authenticated).toBe(false);
    expect(emulator.requests[0].status).toBe(400);
  });

  it('rejects an unknown access key', async () => {
    const code = await errorCodeOf(ecrClient({ accessKeyId: 'AKIAUNKNOWNUNKNOWN12', secretAccessKey: 'x'.repeat(40) }).send(new DescribeRepositoriesCommand({})));

    expect(code).toBe('UnrecognizedClientException');
  });

  it('rejects a missing session token', async () => {
    const temporary = emulator.addCredentials({ sessionToken: 'session-token-of-the-test' });

    const code = await errorCodeOf(ecrClient({ accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey }).send(new DescribeRepositoriesCommand({})));

    expect(temporary.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(code).toBe('UnrecognizedClientException');
  });

  it('accepts a matching session token', async () => {
    const temporary = emulator.addCredentials({ sessionToken: 'session-token-of-the-test' });

    await ecrClient(temporary).send(new DescribeRepositoriesCommand({}));

    expect(emulator.requests[0].authenticated).toBe(true);
  });

  it('rejects expired credentials', async () => {
    const expired = emulator.addCredentials({ sessionToken: 'old-session-token', expiration: new Date(Date.now() - 1000) });

    const code = await errorCodeOf(ecrClient(expired).send(new DescribeRepositoriesCommand({})));

    expect(code).toBe('ExpiredTokenException');
  });

  it('rejects credentials scoped to another service', async () => {
    const user = emulator.addCredentials();
    const client = ecrClient(user);
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers.authorization = request.headers.authorization.replace('/ecr/aws4_request', '/sts/aws4_request');
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'rescopeSignature' },
    );

    const code = await errorCodeOf(client.send(new DescribeRepositoriesCommand({})));

    expect(code).toBe('InvalidSignatureException');
  });
});
